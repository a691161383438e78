#!/usr/bin/env bash
# Installs the Debian packages dinosearch builds against, only those that are missing, then chooses the Faiss to
# link (scripts/faiss.sh: built for AVX2 from Debian's source where the CPU has it, cached outside the repo).
# Idempotent: a second run installs and builds nothing and exits 0.
# --examples: also what the Spark job and the Milvus loader (examples/spark, examples/milvus) and the browser tests
# of the web interface (Tests/Browser) need: Java 17, Python's venv, Chromium and chromium-driver from Debian, and
# a virtual environment with examples/requirements.txt (PySpark, pymilvus, milvus-lite, Selenium, axe-core from
# PyPI) at $DINOSEARCH_PYTHON_ENV, by default ~/.cache/dinosearch/python-examples.
set -euo pipefail
examples=false
if [ "${1:-}" = --examples ]; then examples=true; fi

packages=(
  pkg-config
  libfaiss-dev       # vector index (static C++ library; wrapped by Sources/CDinoFaiss)
  libopenblas-dev    # BLAS/LAPACK that the static Faiss links against
  libopenblas0-openmp  # its OpenMP flavour, the one dinosearch runs with (below)
  libdnnl-dev        # oneDNN sgemm for the encoder (measured faster than OpenBLAS, Benchmarks/gemm.md)
  liblmdb-dev        # the catalog
  libturbojpeg0-dev  # JPEG decoding
  libpng-dev         # PNG decoding
  libwebp-dev        # WebP decoding
  libheif-dev        # HEIC/HEIF (HEVC through libde265)
  libavif-dev        # AVIF (AV1 through dav1d); bit-exact with Pillow where libheif was not (Benchmarks/README.md)
  libtiff-dev        # TIFF
  libgif-dev         # GIF
  libraw-dev         # camera RAW: DNG, CR2/CR3, NEF, ARW, RAF, ORF, RW2
  libjxl-dev         # JPEG XL
  libcurl4           # HTTP for `dinosearch model download` (Foundation's URLSession uses it)
)
if $examples; then
  # Java for Spark; Chromium and its WebDriver for the web interface's browser tests (Tests/Browser).
  packages+=(openjdk-17-jre-headless python3-venv chromium chromium-driver fonts-dejavu-core)
fi

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# Faiss runs its loops on GNU OpenMP and calls BLAS beside them. Debian's default OpenBLAS flavour (pthreads) then
# keeps a second thread pool that fights OpenMP's on few cores: training IVF512,PQ192x4fs on 100k vectors took
# 5.7 s against 2.9-3.7 s with the OpenMP flavour, which is what faiss-cpu's wheels ship (Indexes/README.md).
# Both flavours have the soname libopenblas.so.0, so the choice is Debian's alternative for it (system-wide;
# DINOSEARCH_OPENBLAS=keep leaves it as it is).
# No early `exit` in awk: with pipefail, a writer cut off by a reader that stopped reading dies of SIGPIPE (141).
alternative=$(update-alternatives --get-selections | awk '/^libopenblas\.so\.0-/ && !found { print $1; found = 1 }')
openblas=$(update-alternatives --list "$alternative" 2>/dev/null | grep /openblas-openmp/ || true)
if [ "${DINOSEARCH_OPENBLAS:-openmp}" != keep ] && [ -n "$openblas" ] &&
   [ "$(update-alternatives --query "$alternative" 2>/dev/null | sed -n 's/^Value: //p')" != "$openblas" ]; then
  echo "setup: using OpenBLAS's OpenMP flavour ($alternative)" >&2
  $sudo update-alternatives --set "$alternative" "$openblas" >&2
fi

"$(dirname "$0")/faiss.sh"

if $examples; then
  # Rebuilt when the requirements change (their digest is kept inside the environment).
  env_dir=${DINOSEARCH_PYTHON_ENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch/python-examples}
  requirements="$(dirname "$0")/../examples/requirements.txt"
  digest=$(sha256sum <"$requirements")
  if [ ! -x "$env_dir/bin/python" ] || [ "$(cat "$env_dir/requirements.sha256" 2>/dev/null || true)" != "$digest" ]; then
    echo "setup: Python environment for the examples in $env_dir" >&2
    rm -rf "$env_dir"
    /usr/bin/python3 -m venv "$env_dir"
    "$env_dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$digest" >"$env_dir/requirements.sha256"
  fi
fi
