#include "dino_faiss.h"

#include <faiss/Clustering.h>
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IVFlib.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <cstring>
#include <exception>
#include <memory>

struct dino_index {
    std::unique_ptr<faiss::Index> index;
};

namespace {

void set_error(char *error, size_t size, const char *message) {
    if (error == nullptr || size == 0) return;
    std::strncpy(error, message, size - 1);
    error[size - 1] = '\0';
}

// Runs `body`, turning every C++ exception into status 1 and a message.
template <typename Body>
int guarded(char *error, size_t error_size, Body body) {
    try {
        body();
        return 0;
    } catch (const std::bad_alloc &) {
        set_error(error, error_size, "out of memory");
    } catch (const std::exception &e) {
        set_error(error, error_size, e.what());
    } catch (...) {
        set_error(error, error_size, "unknown C++ exception");
    }
    return 1;
}

// Reads from a caller-owned buffer; a read past the end returns fewer items, which Faiss reports as an error.
struct BufferReader : faiss::IOReader {
    const uint8_t *bytes;
    size_t count;
    size_t position = 0;
    BufferReader(const void *b, size_t n) : bytes(static_cast<const uint8_t *>(b)), count(n) { name = "buffer"; }
    size_t operator()(void *ptr, size_t size, size_t nitems) override {
        if (size == 0 || nitems == 0) return 0;
        size_t available = (count - position) / size;
        size_t items = nitems < available ? nitems : available;
        std::memcpy(ptr, bytes + position, items * size);
        position += items * size;
        return items;
    }
};

struct CallbackWriter : faiss::IOWriter {
    dino_write_fn write;
    void *context;
    CallbackWriter(dino_write_fn w, void *c) : write(w), context(c) { name = "callback"; }
    size_t operator()(const void *ptr, size_t size, size_t nitems) override {
        if (size == 0 || nitems == 0) return nitems;
        return write(context, ptr, size * nitems) == 0 ? nitems : 0;
    }
};

}  // namespace

extern "C" {

int dino_index_create(const char *factory, int dimension, dino_index **out, char *error, size_t error_size) {
    *out = nullptr;
    return guarded(error, error_size, [&] {
        auto made = std::unique_ptr<faiss::Index>(
            faiss::index_factory(dimension, factory, faiss::METRIC_INNER_PRODUCT));
        *out = new dino_index{std::move(made)};
    });
}

int dino_index_read(const void *bytes, size_t count, dino_index **out, char *error, size_t error_size) {
    *out = nullptr;
    return guarded(error, error_size, [&] {
        BufferReader reader(bytes, count);
        auto loaded = std::unique_ptr<faiss::Index>(faiss::read_index(&reader));
        if (reader.position != count) throw std::runtime_error("trailing bytes after the index");
        *out = new dino_index{std::move(loaded)};
    });
}

int dino_index_write(const dino_index *index, dino_write_fn write, void *context, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        CallbackWriter writer(write, context);
        faiss::write_index(index->index.get(), &writer);
    });
}

void dino_index_free(dino_index *index) { delete index; }

int dino_index_dimension(const dino_index *index) { return index->index->d; }
int64_t dino_index_count(const dino_index *index) { return index->index->ntotal; }
int dino_index_is_trained(const dino_index *index) { return index->index->is_trained ? 1 : 0; }

int dino_index_train(dino_index *index, int64_t n, const float *vectors, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        if (!index->index->is_trained) index->index->train(n, vectors);
    });
}

int dino_index_add(dino_index *index, int64_t n, const float *vectors, const int64_t *ids, char *error,
                   size_t error_size) {
    return guarded(error, error_size, [&] { index->index->add_with_ids(n, vectors, ids); });
}

int dino_index_remove(dino_index *index, int64_t n, const int64_t *ids, int64_t *removed, char *error,
                      size_t error_size) {
    *removed = 0;
    return guarded(error, error_size, [&] {
        faiss::IDSelectorBatch selector(n, ids);
        *removed = static_cast<int64_t>(index->index->remove_ids(selector));
    });
}

int dino_index_search(const dino_index *index, int64_t n, const float *queries, int64_t k, float *scores,
                      int64_t *labels, char *error, size_t error_size) {
    return guarded(error, error_size, [&] { index->index->search(n, queries, k, scores, labels); });
}

int64_t dino_index_set_nprobe(dino_index *index, int64_t nprobe) {
    faiss::IndexIVF *ivf = faiss::ivflib::try_extract_index_ivf(index->index.get());
    if (ivf == nullptr) return 0;
    if (nprobe > 0) ivf->nprobe = static_cast<size_t>(nprobe < (int64_t)ivf->nlist ? nprobe : (int64_t)ivf->nlist);
    return static_cast<int64_t>(ivf->nprobe);
}

int dino_kmeans(int dimension, int64_t n, const float *vectors, int64_t k, int iterations, int seed, float *centroids,
                float *objective, char *error, size_t error_size) {
    return guarded(error, error_size, [&] {
        faiss::ClusteringParameters parameters;
        parameters.niter = iterations;
        parameters.seed = seed;
        parameters.spherical = true;
        // The caller has drawn the sample: Faiss must neither subsample it again nor warn that it is small.
        parameters.max_points_per_centroid = 1 << 30;
        parameters.min_points_per_centroid = 1;
        faiss::Clustering clustering(dimension, static_cast<size_t>(k), parameters);
        faiss::IndexFlatIP assigner(dimension);
        clustering.train(n, vectors, assigner);
        std::memcpy(centroids, clustering.centroids.data(), sizeof(float) * k * dimension);
        *objective = clustering.iteration_stats.empty() ? 0 : clustering.iteration_stats.back().obj;
    });
}

}  // extern "C"
