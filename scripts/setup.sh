#!/usr/bin/env bash
# Installs the Debian packages dinosearch builds against, only those that are missing, then chooses the Faiss to
# link (scripts/faiss.sh: built for AVX2 from Debian's source where the CPU has it, cached outside the repo).
# Idempotent: a second run installs and builds nothing and exits 0.
set -euo pipefail

packages=(
  pkg-config
  libfaiss-dev       # vector index (static C++ library; wrapped by Sources/CDinoFaiss)
  libopenblas-dev    # BLAS/LAPACK that the static Faiss links against
  libdnnl-dev        # oneDNN sgemm for the encoder (measured faster than OpenBLAS, Benchmarks/gemm.md)
  liblmdb-dev        # the catalog
  libturbojpeg0-dev  # JPEG decoding
  libpng-dev         # PNG decoding
  libwebp-dev        # WebP decoding
  libcurl4           # HTTP for `dinosearch model download` (Foundation's URLSession uses it)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

"$(dirname "$0")/faiss.sh"
