// Camera RAW through LibRaw (the reentrant libraw_r). For retrieval the camera's own rendering is the better
// and much faster input: the embedded JPEG preview when its short side is at least 256 px; otherwise LibRaw
// demosaics (AHD) with the camera's white balance into 8-bit sRGB, as rawpy's postprocess(use_camera_wb=True)
// does. LibRaw is C++: every call stays inside one try block, so no exception reaches Swift; and it runs in a
// child process (see dino_decode_raw).
#include <fcntl.h>
#include <libraw/libraw.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <new>

#include "guarded.hpp"

namespace {

constexpr int kPreviewShortSide = 256;

/// LibRaw reports damaged or missing raw data here and carries on with what it has: the caller gets a warning.
void on_data_error(void *user, const char *, const int offset) {
    dino_image *out = static_cast<dino_image *>(user);
    if (!out->message[0]) snprintf(out->message, sizeof out->message, "damaged or missing raw data (at byte %d)", offset);
}
void quiet_memory_error(void *, const char *, const char *) {}

dino_image_status failure(int code, dino_image *out) {
    dino_set_message(out, "", libraw_strerror(code));
    switch (code) {
    case LIBRAW_FILE_UNSUPPORTED:
    case LIBRAW_NOT_IMPLEMENTED:
        return DINO_IMAGE_UNSUPPORTED;
    case LIBRAW_UNSUFFICIENT_MEMORY:
    case LIBRAW_MEMPOOL_OVERFLOW:
        return DINO_IMAGE_NO_MEMORY;
    case LIBRAW_TOO_BIG:
        return DINO_IMAGE_TOO_LARGE;
    default:
        return DINO_IMAGE_CORRUPT;
    }
}

/// EXIF orientation for LibRaw's `flip` (LibRaw stores the TIFF orientation as dcraw's flip bits).
int32_t orientation_of_flip(int flip) {
    static const int32_t table[8] = {1, 2, 4, 3, 5, 8, 6, 7};
    return flip >= 0 && flip < 8 ? table[flip] : 1;
}

/// The embedded JPEG preview, when there is one large enough. Returns 1 and fills `out` when it was used.
int decode_preview(libraw_data_t *raw, int32_t min_short_side, uint64_t max_pixels, dino_image *out) {
    if (libraw_unpack_thumb(raw) != LIBRAW_SUCCESS || raw->thumbnail.tformat != LIBRAW_THUMBNAIL_JPEG ||
        !raw->thumbnail.thumb || raw->thumbnail.tlength == 0)
        return 0;
    dino_image preview;
    dino_image_status status = dino_decode_jpeg(reinterpret_cast<const uint8_t *>(raw->thumbnail.thumb),
                                                raw->thumbnail.tlength, min_short_side, max_pixels, &preview);
    int short_side = preview.stored_width < preview.stored_height ? preview.stored_width : preview.stored_height;
    if (status != DINO_IMAGE_OK || short_side < kPreviewShortSide) {
        dino_image_free(&preview);
        return 0;
    }
    *out = preview;  // (drops any message about the raw data: the preview is whole)
    out->orientation = orientation_of_flip(raw->sizes.flip);  // the raw file's orientation; previews carry none
    return 1;
}

dino_image_status decode_file(libraw_data_t *raw, const uint8_t *data, size_t length, int32_t min_short_side,
                              uint64_t max_pixels, dino_image *out) {
    int rc = libraw_open_buffer(raw, const_cast<uint8_t *>(data), length);
    if (rc != LIBRAW_SUCCESS) return failure(rc, out);
    dino_image_status status = dino_check_size(out, raw->sizes.raw_width, raw->sizes.raw_height, max_pixels);
    if (status != DINO_IMAGE_OK) return status;
    if (decode_preview(raw, min_short_side, max_pixels, out)) return DINO_IMAGE_OK;

    // LibRaw rounds a partly read last sample up to a whole one and fills what is missing without a word: a file
    // cut inside its raw data is noticed here, from where the format says the data ends.
    const auto &unpacker = static_cast<LibRaw *>(raw->parent_class)->get_internal_data_pointer()->unpacker_data;
    if (unpacker.data_size > 0 && unpacker.data_offset + INT64(unpacker.data_size) > INT64(length))
        dino_set_message(out, "", "the raw data ends early (truncated)");

    raw->params.use_camera_wb = 1;
    raw->params.output_bps = 8;
    raw->params.output_color = 1;  // sRGB
    if ((rc = libraw_unpack(raw)) != LIBRAW_SUCCESS || (rc = libraw_dcraw_process(raw)) != LIBRAW_SUCCESS)
        return failure(rc, out);
    libraw_processed_image_t *image = libraw_dcraw_make_mem_image(raw, &rc);
    if (!image) return failure(rc, out);
    // The processed image is already turned by the file's orientation.
    if (image->type != LIBRAW_IMAGE_BITMAP || image->colors != 3 || image->bits != 8 ||
        image->data_size != size_t(image->width) * image->height * 3) {
        libraw_dcraw_clear_mem(image);
        dino_set_message(out, "", "LibRaw returned an unexpected pixel layout");
        return DINO_IMAGE_UNSUPPORTED;
    }
    out->pixels = static_cast<uint8_t *>(malloc(image->data_size));
    if (!out->pixels) {
        libraw_dcraw_clear_mem(image);
        throw std::bad_alloc();
    }
    memcpy(out->pixels, image->data, image->data_size);
    out->width = out->stored_width = image->width;
    out->height = out->stored_height = image->height;
    libraw_dcraw_clear_mem(image);
    return out->message[0] ? DINO_IMAGE_WARNING : DINO_IMAGE_OK;
}

/// The decode itself, in the calling process.
dino_image_status decode_here(const uint8_t *data, size_t length, int32_t min_short_side, uint64_t max_pixels,
                              dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    libraw_data_t *raw = libraw_init(0);
    if (!raw) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    libraw_set_dataerror_handler(raw, on_data_error, out);  // LibRaw's own handler prints to stderr
    libraw_set_memerror_handler(raw, quiet_memory_error, nullptr);
    dino_image_status status = guarded(out, [&] { return decode_file(raw, data, length, min_short_side, max_pixels, out); });
    libraw_close(raw);
    if (status < 0) dino_image_free(out);
    return status;
}

/// What the child process hands back through shared memory.
struct Handoff {
    int finished;  // set last, atomically: the rest is whole
    dino_image_status status;
    dino_image image;  // `pixels` unused: the pixels follow the struct
    uint8_t pixels[];
};

constexpr unsigned kSecondsPerFile = 120;  // a decoder caught in a loop on a hostile file is stopped

/// One decode in a child process: the arguments, and what the parent reads back.
struct Job {
    const uint8_t *data;
    size_t length;
    int32_t min_short_side;
    uint64_t max_pixels;
    Handoff *handoff;
    int wait_status, fork_errno;
    pid_t child;
};

/// Runs on a thread of its own that has never entered an OpenMP region: LibRaw's OpenMP (libgomp) cannot run in
/// a child forked from a thread that owns a thread pool (the child waits for pool threads that fork left behind),
/// and the caller's thread may own one (the encoder's GEMM runs on OpenMP too).
void *fork_and_wait(void *argument) {
    Job *job = static_cast<Job *>(argument);
    job->child = fork();
    if (job->child == 0) {
        // The alarm must be able to end the child whatever the caller did with SIGALRM.
        signal(SIGALRM, SIG_DFL);
        sigset_t alarm_only;
        sigemptyset(&alarm_only);
        sigaddset(&alarm_only, SIGALRM);
        pthread_sigmask(SIG_UNBLOCK, &alarm_only, nullptr);
        alarm(kSecondsPerFile);
        // What a crashing LibRaw or glibc prints ("double free or corruption") is not the caller's output: the
        // crash is reported as this file's error.
        int quiet = open("/dev/null", O_WRONLY);
        if (quiet >= 0) dup2(quiet, STDERR_FILENO);
        dino_image image;
        dino_image_status status = decode_here(job->data, job->length, job->min_short_side, job->max_pixels, &image);
        if (status >= 0 && uint64_t(image.width) * uint64_t(image.height) > job->max_pixels) {
            dino_image_free(&image);
            dino_set_message(&image, "", "the developed image is above the pixel limit");
            status = DINO_IMAGE_TOO_LARGE;
        }
        job->handoff->image = image;
        job->handoff->image.pixels = nullptr;
        if (status >= 0) memcpy(job->handoff->pixels, image.pixels, size_t(image.width) * image.height * 3);
        job->handoff->status = status;
        __atomic_store_n(&job->handoff->finished, 1, __ATOMIC_RELEASE);
        _exit(0);  // no atexit handlers, no stdio flushing: the parent owns those
    }
    if (job->child < 0) {
        job->fork_errno = errno;
        return nullptr;
    }
    while (waitpid(job->child, &job->wait_status, 0) < 0) {
        if (errno == EINTR) continue;
        // ECHILD: the caller ignores SIGCHLD, so the kernel reaped the child; `finished` says whether it got there.
        job->wait_status = 0;
        break;
    }
    return nullptr;
}

}  // namespace

// Debian's LibRaw 0.20 corrupts its heap on some damaged files (FormatTests' byte flips found two in 200 copies
// of one DNG). A crash there must not take down an indexer or a server, so LibRaw runs in a forked child that
// writes its result into shared memory: a child that dies or loops is a decode error, never the caller's crash.
// A fork copies the caller's page tables: a few ms for a process of a few hundred MB, beside ~25 ms for a 24 MP
// RAW's preview and ~1 s for demosaicing (Benchmarks/README.md).
extern "C" dino_image_status dino_decode_raw(const uint8_t *data, size_t length, int32_t min_short_side,
                                             uint64_t max_pixels, dino_image *out) {
    memset(out, 0, sizeof *out);
    out->orientation = 1;
    const uint64_t max_bytes = (SIZE_MAX - sizeof(Handoff)) / 3;
    size_t capacity = sizeof(Handoff) + size_t(max_pixels < max_bytes ? max_pixels : max_bytes) * 3;
    // Reserved, not committed: only the pages the child writes are ever allocated.
    void *shared = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (shared == MAP_FAILED) {
        dino_set_message(out, "", "cannot map memory for the RAW decoder");
        return DINO_IMAGE_NO_MEMORY;
    }
    Job job = {data, length, min_short_side, max_pixels, static_cast<Handoff *>(shared), 0, 0, -1};
    job.handoff->finished = 0;
    job.handoff->status = DINO_IMAGE_CORRUPT;
    pthread_t thread;
    int started = pthread_create(&thread, nullptr, fork_and_wait, &job);
    if (started == 0) pthread_join(thread, nullptr);
    int wait_status = job.wait_status;
    dino_image_status status;
    if (started != 0 || job.child < 0) {
        snprintf(out->message, sizeof out->message, "cannot run the RAW decoder's process: %s",
                 strerror(started ? started : job.fork_errno));
        status = DINO_IMAGE_NO_MEMORY;
    } else if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0 ||
               !__atomic_load_n(&job.handoff->finished, __ATOMIC_ACQUIRE)) {
        int signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
        snprintf(out->message, sizeof out->message, "LibRaw %s on this file",
                 signal == SIGALRM ? "took too long" : signal ? "crashed" : "failed");
        status = DINO_IMAGE_CORRUPT;
    } else {
        // The child may have been corrupted before it wrote (LibRaw overflows heap buffers on some files): nothing
        // it wrote is trusted beyond what the mapping can hold.
        status = job.handoff->status;
        *out = job.handoff->image;
        out->pixels = nullptr;
        out->message[sizeof out->message - 1] = 0;
        bool known = status == DINO_IMAGE_OK || status == DINO_IMAGE_WARNING || status == DINO_IMAGE_CORRUPT ||
                     status == DINO_IMAGE_TOO_LARGE || status == DINO_IMAGE_UNSUPPORTED || status == DINO_IMAGE_NO_MEMORY;
        bool whole = out->width > 0 && out->height > 0 && uint64_t(out->width) * uint64_t(out->height) <= max_pixels &&
                     out->orientation >= 1 && out->orientation <= 8;
        if (!known || (status >= 0 && !whole)) {
            memset(out, 0, sizeof *out);
            dino_set_message(out, "", "LibRaw's process returned an inconsistent result");
            status = DINO_IMAGE_CORRUPT;
        }
        if (status >= 0) {
            size_t bytes = size_t(out->width) * out->height * 3;
            out->pixels = static_cast<uint8_t *>(malloc(bytes));
            if (out->pixels) {
                memcpy(out->pixels, job.handoff->pixels, bytes);
            } else {
                dino_set_message(out, "", "out of memory");
                status = DINO_IMAGE_NO_MEMORY;
            }
        }
    }
    munmap(shared, capacity);
    return status;
}
