#!/usr/bin/env bash
# Chooses the Faiss that dinosearch links and writes its pkg-config file, dinosearch-faiss.pc.
#
# Debian's libfaiss.a is compiled for generic x86-64: fast-scan PQ runs on emulated SIMD and exact search on scalar
# loops (Indexes/README.md). On a CPU with AVX2 this script rebuilds the *same* Faiss — the Debian source package of
# the installed libfaiss-dev, with Debian's patches — with `-DFAISS_OPT_LEVEL=avx2`, caches the library outside the
# repo (keyed by version and flags: rebuilt only when those change) and points dinosearch-faiss.pc at it. Elsewhere,
# or with DINOSEARCH_FAISS=generic, the .pc points at Debian's libfaiss.a. `pkg-config --libs dinosearch-faiss`
# shows the choice in force; Package.swift reads nothing else.
#
# Environment: DINOSEARCH_FAISS=auto|avx2|generic (default auto), DINOSEARCH_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/dinosearch), DINOSEARCH_PKGCONFIG_DIR (default /usr/local/lib/pkgconfig, on
# pkg-config's and SwiftPM's default search path).
# Run by scripts/setup.sh after the Debian packages are installed; idempotent.
set -euo pipefail

choice=${DINOSEARCH_FAISS:-auto}
cache=${DINOSEARCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dinosearch}
pcdir=${DINOSEARCH_PKGCONFIG_DIR:-/usr/local/lib/pkgconfig}
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

log() { echo "faiss: $*" >&2; }

# Faiss's AVX2 build also compiles with -mfma -mf16c -mpopcnt.
cpu_has_avx2() {
  local flags
  flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  for f in avx2 fma f16c popcnt; do
    [[ " $flags " == *" $f "* ]] || return 1
  done
}

case "$choice" in
  auto) if [ "$(uname -m)" = x86_64 ] && cpu_has_avx2; then choice=avx2; else choice=generic; fi ;;
  avx2)
    cpu_has_avx2 || { log "DINOSEARCH_FAISS=avx2, but this CPU lacks AVX2/FMA/F16C"; exit 1; } ;;
  generic) ;;
  *) log "DINOSEARCH_FAISS must be auto, avx2 or generic, not '$choice'"; exit 1 ;;
esac

version=$(dpkg-query -W -f='${source:Version}' libfaiss-dev)
source_package=$(dpkg-query -W -f='${source:Package}' libfaiss-dev)
cmake_flags=(
  -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF
  -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DFAISS_ENABLE_C_API=OFF -DFAISS_OPT_LEVEL=avx2
)
key="$version-avx2-$(printf '%s\n' "${cmake_flags[@]}" | sha256sum | cut -c1-12)"
prefix="$cache/faiss/$key"

# Fetches the Debian source of $source_package=$version into $1, using the archive entry that the installed
# binary package came from, through a private sources list and lists directory: the system's apt configuration
# is neither read for writing nor changed.
fetch_source() {
  local work=$1 origin uri suite component apt
  # "500 http://... bookworm/main amd64 Packages" under the installed version in `apt-cache policy`.
  origin=$(apt-cache policy libfaiss-dev | awk -v v="$(dpkg-query -W -f='${Version}' libfaiss-dev)" '
    $1 == "***" && $2 == v { found = 1; next }
    found && !done && $NF == "Packages" && $2 ~ /:\/\// { print $2, $3; done = 1 }')  # no early exit: SIGPIPE
  [ -n "$origin" ] || { log "cannot tell which archive libfaiss-dev came from (apt-cache policy)"; return 1; }
  uri=${origin%% *}
  suite=${origin#* }; component=${suite#*/}; suite=${suite%%/*}
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  echo "deb-src $uri $suite $component" >"$work/sources.list"
  apt=(apt-get -q -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives")
  "${apt[@]}" update >&2
  (cd "$work" && "${apt[@]}" source "$source_package=$version" >&2)
}

build_avx2() {
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/dinosearch-faiss.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  local tools=()
  for p in cmake g++ make dpkg-dev; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || tools+=("$p")
  done
  if [ ${#tools[@]} -gt 0 ]; then
    log "installing build tools: ${tools[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${tools[@]}" >&2
  fi
  log "building Faiss $version with AVX2 into $prefix (once; a few minutes)"
  fetch_source "$work"
  local src
  src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name "$source_package-*" -print -quit)
  [ -n "$src" ] || { log "apt-get source left no $source_package-* folder"; return 1; }
  cmake -S "$src" -B "$work/build" "${cmake_flags[@]}" >&2
  cmake --build "$work/build" --target faiss_avx2 -j "$(nproc)" >&2
  local staging="$prefix.tmp-$$"
  rm -rf "$staging"
  mkdir -p "$staging/lib" "$staging/include"
  cp "$work/build/faiss/libfaiss_avx2.a" "$staging/lib/"
  (cd "$src" && find faiss -name '*.h' -exec cp --parents {} "$staging/include/" \;)
  rm -rf "$prefix"
  mv "$staging" "$prefix"  # complete or absent: an interrupted build is redone
}

# What follows Faiss on the link line: the BLAS/LAPACK it was built against, GNU OpenMP, libm, libstdc++.
deps="-lopenblas -lgomp -lm -lstdc++"
if [ "$choice" = avx2 ]; then
  [ -f "$prefix/lib/libfaiss_avx2.a" ] || build_avx2
  cflags="-I$prefix/include"
  libs="-L$prefix/lib -lfaiss_avx2 $deps"
  description="Faiss $version built for AVX2 by dinosearch's scripts/faiss.sh"
else
  cflags=""
  libs="-lfaiss $deps"
  description="Debian's Faiss $version (generic x86-64)"
fi

pc="Name: dinosearch-faiss
Description: $description
Version: ${version%%-*}
Cflags: $cflags
Libs: $libs"
if [ "$(cat "$pcdir/dinosearch-faiss.pc" 2>/dev/null)" != "$pc" ]; then
  $sudo mkdir -p "$pcdir"
  printf '%s\n' "$pc" | $sudo tee "$pcdir/dinosearch-faiss.pc.tmp" >/dev/null
  $sudo mv "$pcdir/dinosearch-faiss.pc.tmp" "$pcdir/dinosearch-faiss.pc"
  log "linking $description ($pcdir/dinosearch-faiss.pc)"
fi
