#!/usr/bin/env bash
# Forces the fallback a CPU without AVX2 gets — Debian's generic libfaiss.a — and proves that it builds, links
# and passes the store tests, without touching the Faiss choice in force: the generic dinosearch-faiss.pc is
# written to a temporary folder that PKG_CONFIG_PATH puts first, and the build goes to its own scratch path.
# usage: scripts/faiss-fallback-check.sh   (after scripts/setup.sh; about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
pc=$(mktemp -d)
trap 'rm -rf "$pc"' EXIT
DINOSEARCH_FAISS=generic DINOSEARCH_PKGCONFIG_DIR="$pc" scripts/faiss.sh
grep -q -- '-lfaiss ' "$pc/dinosearch-faiss.pc"
export PKG_CONFIG_PATH="$pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
scratch=.build-faiss-generic
swift build --scratch-path "$scratch" --build-tests
# The link line names Debian's library, not the AVX2 build.
grep -q -- '-lfaiss"' "$scratch/debug.yaml" && ! grep -q -- '-lfaiss_avx2' "$scratch/debug.yaml"
swift test --scratch-path "$scratch" --skip-build --filter 'StoreTests|StoreDurabilityTests|InterchangeTests|CurationTests'
echo "faiss fallback: Debian's generic libfaiss.a builds, links and passes the store tests"
