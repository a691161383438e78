// Camera RAW decodes run in worker processes. Debian's LibRaw 0.20 corrupts its heap on some damaged files
// (FormatTests' byte flips, the fuzzer's unpack_thumb overflow): a crash there must not take down an indexer or a
// server. A worker is forked once and then decodes file after file: the file's bytes and the decoded pixels travel
// through a memfd that both processes map, and a socket carries one request and one reply byte per file. A worker
// that crashes, hangs past the timeout or has just seen a damaged file is replaced; a file whose worker crashed after
// earlier files is tried once more in a fresh worker, so a heap corrupted by one file never costs another its
// result. Forking per file instead cost a page-table copy of the whole caller each time (0.59× rawpy on previews).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "guarded.hpp"

namespace {

/// One file to decode; its bytes are already in the shared memory.
struct Request {
    uint64_t length;      // the file's bytes at input_offset
    uint64_t capacity;    // room for pixels at output_offset(length)
    uint64_t max_pixels;
    int32_t min_short_side;
    int32_t timeout_ms;   // the parent's; the worker's own alarm is a little later
};

/// What the worker writes back at the start of the shared memory.
struct Header {
    dino_image_status status;
    dino_image image;  // `pixels` unused: they are at output_offset
};

constexpr size_t kPage = 4096;
size_t round_up(size_t n) { return (n + kPage - 1) / kPage * kPage; }
size_t input_offset() { return round_up(sizeof(Header)); }
size_t output_offset(size_t length) { return input_offset() + round_up(length); }

struct Worker {
    pid_t pid;
    int socket;  // the parent's end
    int memory;  // the memfd both map
    uint8_t *base;  // the parent's mapping of it, kept from file to file (grown when a file needs more)
    size_t mapped;
    unsigned decoded;
};

/// After a file whose bytes and pixels took more than this, the shared pages are given back; below it they stay
/// for the next file (allocating and zeroing fresh pages for every file cost more than the decode of a preview).
constexpr size_t kKeptBytes = size_t(256) << 20;

/// A worker is renewed after this many files, so that whatever LibRaw leaks stays bounded.
constexpr unsigned kFilesPerWorker = 1000;
constexpr int kMaxIdle = 64;

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
Worker idle[kMaxIdle];
int idle_count = 0;
int timeout_ms = 120 * 1000;  // a decoder caught in a loop on a hostile file is stopped

bool receive(int socket, void *buffer, size_t size) {
    auto *bytes = static_cast<uint8_t *>(buffer);
    while (size > 0) {
        ssize_t n = recv(socket, bytes, size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes += n;
        size -= size_t(n);
    }
    return true;
}

bool send_all(int socket, const void *buffer, size_t size) {
    const auto *bytes = static_cast<const uint8_t *>(buffer);
    while (size > 0) {
        ssize_t n = send(socket, bytes, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes += n;
        size -= size_t(n);
    }
    return true;
}

/// Closes every descriptor but stdio and the two the worker needs (the rest belong to the caller: its files,
/// its server sockets, other workers' sockets, which would otherwise never see their end).
void close_others(int a, int b) {
    if (a > b) { int t = a; a = b; b = t; }
    if (a > 3) close_range(3, unsigned(a - 1), 0);
    if (b > a + 1) close_range(unsigned(a + 1), unsigned(b - 1), 0);
    close_range(unsigned(b + 1), ~0U, 0);
}

/// The worker's life: decode what the socket asks for until the parent closes it (or exits).
[[noreturn]] void serve(int socket, int memory) {
    // The caller's signal handlers are not the worker's: it lives and ends by its socket. (A terminal's Ctrl-C
    // reaches the whole process group; the parent decides what happens then.)
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    // What a crashing LibRaw or glibc prints ("double free or corruption") is not the caller's output: the crash
    // is reported as that file's error.
    int quiet = open("/dev/null", O_WRONLY);
    if (quiet >= 0) {
        dup2(quiet, STDOUT_FILENO);
        dup2(quiet, STDERR_FILENO);
        close(quiet);
    }
    close_others(socket, memory);
    void *shared = nullptr;
    size_t mapped = 0;
    for (;;) {
        Request request;
        if (!receive(socket, &request, sizeof request)) _exit(0);
        size_t total = output_offset(request.length) + request.capacity;
        if (total > mapped) {
            if (shared) munmap(shared, mapped);
            shared = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0);
            if (shared == MAP_FAILED) _exit(1);
            mapped = total;
        }
        auto *base = static_cast<uint8_t *>(shared);
        auto *header = static_cast<Header *>(shared);
        // The parent kills a worker that overruns; should the parent be gone, the alarm ends a worker caught in a
        // loop, so that none outlives it.
        alarm(unsigned(request.timeout_ms / 1000 + 10));
        dino_image image;
        dino_image_status status = dino_decode_raw_here(base + input_offset(), request.length,
                                                        request.min_short_side, request.max_pixels, &image);
        alarm(0);
        if (status >= 0 && uint64_t(image.width) * uint64_t(image.height) > request.max_pixels) {
            dino_image_free(&image);
            dino_set_message(&image, "", "the developed image is above the pixel limit");
            status = DINO_IMAGE_TOO_LARGE;
        }
        header->image = image;
        header->image.pixels = nullptr;
        if (status >= 0) memcpy(base + output_offset(request.length), image.pixels, size_t(image.width) * image.height * 3);
        header->status = status;
        if (status >= 0) dino_image_free(&image);
        const uint8_t done = 1;
        if (!send_all(socket, &done, 1)) _exit(0);
    }
}

struct Spawn {
    int socket, memory;
    pid_t pid;
    int error;
};

/// Forks on a thread of its own that has never entered an OpenMP region: LibRaw's OpenMP (libgomp) cannot run in
/// a child forked from a thread that owns a thread pool (the child waits for pool threads that fork left behind),
/// and the caller's thread may own one (the encoder's GEMM runs on OpenMP too).
void *fork_worker(void *argument) {
    auto *spawn = static_cast<Spawn *>(argument);
    spawn->pid = fork();
    if (spawn->pid == 0) serve(spawn->socket, spawn->memory);
    if (spawn->pid < 0) spawn->error = errno;
    return nullptr;
}

int spawn(Worker *worker) {
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) return errno;
    int memory = memfd_create("dinosearch-raw", MFD_CLOEXEC);
    if (memory < 0) {
        int error = errno;
        close(sockets[0]);
        close(sockets[1]);
        return error;
    }
    Spawn job = {sockets[1], memory, -1, 0};
    pthread_t thread;
    int error = pthread_create(&thread, nullptr, fork_worker, &job);
    if (error == 0) {
        pthread_join(thread, nullptr);
        error = job.pid < 0 ? job.error : 0;
    }
    close(sockets[1]);
    if (error != 0) {
        close(sockets[0]);
        close(memory);
        return error;
    }
    *worker = {job.pid, sockets[0], memory, nullptr, 0, 0};
    return 0;
}

/// An idle worker, or a new one. Returns 0 or an errno.
int take(Worker *worker) {
    pthread_mutex_lock(&lock);
    bool found = idle_count > 0;
    if (found) *worker = idle[--idle_count];
    pthread_mutex_unlock(&lock);
    return found ? 0 : spawn(worker);
}

/// Ends a worker and reaps it: no zombie is left behind.
void retire(const Worker &worker) {
    if (worker.base) munmap(worker.base, worker.mapped);
    close(worker.socket);
    close(worker.memory);
    kill(worker.pid, SIGKILL);
    int ignored;
    while (waitpid(worker.pid, &ignored, 0) < 0 && errno == EINTR) {}
    // ECHILD: the caller ignores SIGCHLD and the kernel reaped it.
}

void give_back(const Worker &worker) {
    pthread_mutex_lock(&lock);
    bool kept = idle_count < kMaxIdle;
    if (kept) idle[idle_count++] = worker;
    pthread_mutex_unlock(&lock);
    if (!kept) retire(worker);
}

enum class Outcome { decoded, crashed, hung, unreachable, failed };

int64_t now_ms() {
    timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return int64_t(time.tv_sec) * 1000 + time.tv_nsec / 1000000;
}

/// Waits for the worker's reply byte: decoded, crashed (the socket closed) or hung (`timeout` passed).
Outcome await_reply(const Worker &worker, int timeout) {
    const int64_t deadline = now_ms() + timeout;
    for (;;) {
        pollfd entry = {worker.socket, POLLIN, 0};
        int64_t left = deadline - now_ms();
        if (left <= 0) return Outcome::hung;
        int ready = poll(&entry, 1, int(left < 60000 ? left : 60000));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return Outcome::crashed;
        if (ready == 0) continue;
        uint8_t done;
        return receive(worker.socket, &done, 1) ? Outcome::decoded : Outcome::crashed;
    }
}

/// Checks what the worker wrote (a heap it overflowed before writing may have written anything) and copies it out.
dino_image_status collect(const uint8_t *base, size_t length, uint64_t max_pixels, dino_image *out) {
    const auto *header = reinterpret_cast<const Header *>(base);
    dino_image_status status = header->status;
    *out = header->image;
    out->pixels = nullptr;
    out->message[sizeof out->message - 1] = 0;
    bool known = status == DINO_IMAGE_OK || status == DINO_IMAGE_WARNING || status == DINO_IMAGE_CORRUPT ||
                 status == DINO_IMAGE_TOO_LARGE || status == DINO_IMAGE_UNSUPPORTED || status == DINO_IMAGE_NO_MEMORY;
    bool whole = out->width > 0 && out->height > 0 && uint64_t(out->width) * uint64_t(out->height) <= max_pixels &&
                 out->orientation >= 1 && out->orientation <= 8;
    if (!known || (status >= 0 && !whole)) {
        memset(out, 0, sizeof *out);
        dino_set_message(out, "", "LibRaw's process returned an inconsistent result");
        return DINO_IMAGE_CORRUPT;
    }
    if (status < 0) return status;
    size_t bytes = size_t(out->width) * out->height * 3;
    out->pixels = static_cast<uint8_t *>(malloc(bytes));
    if (!out->pixels) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    }
    memcpy(out->pixels, base + output_offset(length), bytes);
    return status;
}

/// One file through one worker.
Outcome run(Worker &worker, const uint8_t *data, size_t length, int32_t min_short_side, uint64_t max_pixels,
            dino_image *out, dino_image_status *status) {
    const uint64_t max_bytes = (SIZE_MAX / 2 - output_offset(length)) / 3;
    const size_t capacity = size_t(max_pixels < max_bytes ? max_pixels : max_bytes) * 3;
    const size_t total = output_offset(length) + capacity;
    if (total > worker.mapped) {
        // Sized, not filled: only the pages written are ever allocated.
        if (worker.base) munmap(worker.base, worker.mapped);
        worker.base = nullptr;
        worker.mapped = 0;
        if (ftruncate(worker.memory, off_t(total)) != 0) return Outcome::failed;
        void *shared = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, worker.memory, 0);
        if (shared == MAP_FAILED) return Outcome::failed;
        worker.base = static_cast<uint8_t *>(shared);
        worker.mapped = total;
    }
    memcpy(worker.base + input_offset(), data, length);
    reinterpret_cast<Header *>(worker.base)->status = DINO_IMAGE_CORRUPT;
    const int timeout = __atomic_load_n(&timeout_ms, __ATOMIC_RELAXED);
    Request request = {length, capacity, max_pixels, min_short_side, timeout};
    Outcome outcome =
        send_all(worker.socket, &request, sizeof request) ? await_reply(worker, timeout) : Outcome::unreachable;
    if (outcome == Outcome::decoded) {
        *status = collect(worker.base, length, max_pixels, out);
        size_t used = output_offset(length) + (*status >= 0 ? size_t(out->width) * out->height * 3 : 0);
        if (used > kKeptBytes && fallocate(worker.memory, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                                           off_t(worker.mapped)) != 0) {
            outcome = Outcome::failed;  // (the worker is replaced, its memory with it)
            if (*status >= 0) dino_image_free(out);
        }
    }
    return outcome;
}

}  // namespace

extern "C" dino_image_status dino_decode_raw(const uint8_t *data, size_t length, int32_t min_short_side,
                                             uint64_t max_pixels, dino_image *out) {
    for (int attempt = 0;; attempt++) {
        memset(out, 0, sizeof *out);
        out->orientation = 1;
        Worker worker;
        if (int error = take(&worker)) {
            snprintf(out->message, sizeof out->message, "cannot run the RAW decoder's process: %s", strerror(error));
            return DINO_IMAGE_NO_MEMORY;
        }
        dino_image_status status = DINO_IMAGE_CORRUPT;
        Outcome outcome = run(worker, data, length, min_short_side, max_pixels, out, &status);
        if (outcome == Outcome::decoded) {
            // A damaged file may have left LibRaw's heap damaged too: the next file gets a fresh worker.
            if (status != DINO_IMAGE_OK || ++worker.decoded >= kFilesPerWorker) retire(worker);
            else give_back(worker);
            return status;
        }
        retire(worker);
        // A worker that died while idle, or crashed on this file after decoding others (whose damage it may have
        // carried), gets one more try in a fresh worker; a fresh worker's crash is this file's.
        bool again = outcome == Outcome::unreachable || (outcome == Outcome::crashed && worker.decoded > 0);
        if (again && attempt == 0) continue;
        memset(out, 0, sizeof *out);
        switch (outcome) {
        case Outcome::hung: dino_set_message(out, "", "LibRaw took too long on this file"); return DINO_IMAGE_CORRUPT;
        case Outcome::failed: dino_set_message(out, "", "cannot share memory with the RAW decoder's process"); return DINO_IMAGE_NO_MEMORY;
        default: dino_set_message(out, "", "LibRaw crashed on this file"); return DINO_IMAGE_CORRUPT;
        }
    }
}

extern "C" void dino_raw_set_timeout(int32_t milliseconds) {
    __atomic_store_n(&timeout_ms, milliseconds > 0 ? milliseconds : 1, __ATOMIC_RELAXED);
}

extern "C" int32_t dino_raw_idle_workers(int32_t *pids, int32_t capacity) {
    pthread_mutex_lock(&lock);
    int32_t count = idle_count;
    for (int32_t i = 0; i < count && i < capacity; i++) pids[i] = idle[i].pid;
    pthread_mutex_unlock(&lock);
    return count;
}
