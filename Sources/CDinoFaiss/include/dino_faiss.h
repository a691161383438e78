// dino_faiss.h — the C interface dinosearch uses to reach Faiss.
//
// Why a shim: Debian's libfaiss-dev ships only the static C++ library (its c_api headers are not compiled in),
// and Swift must never see a C++ exception. Every function here catches std::exception and anything else and
// returns a nonzero status with the message copied into the caller's buffer (a buffer, not thread-local state,
// because a Swift task can change threads between a call and reading its error).
#ifndef DINO_FAISS_H
#define DINO_FAISS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An owned faiss::Index.
typedef struct dino_index dino_index;

/// Streams serialized index bytes; returns 0 on success, nonzero to abort the write.
typedef int (*dino_write_fn)(void *context, const void *bytes, size_t count);

/// Makes an index from a Faiss factory string ("IDMap2,Flat", "IVF1024,PQ48", ...) with the inner-product metric.
int dino_index_create(const char *factory, int dimension, dino_index **out, char *error, size_t error_size);

/// Reads an index serialized by dino_index_write from memory; never reads outside [bytes, bytes + count).
int dino_index_read(const void *bytes, size_t count, dino_index **out, char *error, size_t error_size);

/// Serializes the index through `write`.
int dino_index_write(const dino_index *index, dino_write_fn write, void *context, char *error, size_t error_size);

void dino_index_free(dino_index *index);

int dino_index_dimension(const dino_index *index);
int64_t dino_index_count(const dino_index *index);
int dino_index_is_trained(const dino_index *index);

/// Trains on n row-major vectors (a no-op for indexes that need no training).
int dino_index_train(dino_index *index, int64_t n, const float *vectors, char *error, size_t error_size);

/// Adds n vectors with their ids.
int dino_index_add(dino_index *index, int64_t n, const float *vectors, const int64_t *ids, char *error,
                   size_t error_size);

/// Removes the given ids; `removed` receives how many vectors were removed.
int dino_index_remove(dino_index *index, int64_t n, const int64_t *ids, int64_t *removed, char *error,
                      size_t error_size);

/// k nearest neighbours by inner product for n queries; missing results have label -1.
/// Safe to call concurrently with other searches, never with a mutation.
int dino_index_search(const dino_index *index, int64_t n, const float *queries, int64_t k, float *scores,
                      int64_t *labels, char *error, size_t error_size);

/// Sets how many IVF lists a search visits (clamped to the list count; 0 only reads it) and returns the value in
/// force; returns 0 for indexes without inverted lists.
int64_t dino_index_set_nprobe(dino_index *index, int64_t nprobe);

/// Spherical k-means (faiss::Clustering, inner product, centroids renormalised each iteration) of n row-major
/// vectors into k centroids, trained on exactly those vectors (the caller samples). `centroids` receives k × dimension
/// floats; `objective` the sum over the vectors of the inner product with their centroid after the last iteration.
int dino_kmeans(int dimension, int64_t n, const float *vectors, int64_t k, int iterations, int seed, float *centroids,
                float *objective, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif
#endif
