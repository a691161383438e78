import CDinoGEMM

/// Runs `body` over slices of 0..<count on the OpenMP pool oneDNN and Faiss share (see `dino_parallel_for`);
/// `body` receives its slice and the thread's index (0 ..< `parallelThreads`). GEMMs called inside run on one thread.
func parallelFor(_ count: Int, _ body: (Range<Int>, Int) -> Void) {
    withoutActuallyEscaping(body) { escapable in
        var closure = escapable
        withUnsafeMutablePointer(to: &closure) { pointer in
            dino_parallel_for(Int64(count), { context, begin, end, thread in
                let body = context!.assumingMemoryBound(to: ((Range<Int>, Int) -> Void).self).pointee
                body(Int(begin)..<Int(end), Int(thread))
            }, pointer)
        }
    }
}

/// Threads in the shared pool.
var parallelThreads: Int { Int(dino_threads()) }
