// Empty on purpose: Faiss's headers are C++ and are included by Sources/CDinoFaiss alone. This module exists to
// carry dinosearch-faiss.pc's include path and link flags (scripts/faiss.sh) to the targets that use Faiss.
