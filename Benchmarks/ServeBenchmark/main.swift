// The library side of Benchmarks/serve.sh: the same searches the HTTP server answers, called in-process on the same
// store, from N threads at once, each one query at a time — what the server's throughput is measured against.
//
// usage: serve-benchmark STORE MODEL QUERIES.npy IMAGE [--seconds S] [--threads N] [--only vector|image]
//   prints one line per workload: queries/s, p50 and p99 latency in ms
import DinoSearch
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 5 else {
    FileHandle.standardError.write(Data("usage: serve-benchmark STORE MODEL QUERIES.npy IMAGE [--seconds S] [--threads N]\n".utf8))
    exit(2)
}
func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
let seconds = option("--seconds").flatMap(Double.init) ?? 10
let threads = option("--threads").flatMap(Int.init) ?? 8
let only = option("--only")

let engine = try SearchEngine(store: arguments[1], model: arguments[2], mode: .readOnly)
let matrix = try NumpyMatrix(contentsOf: arguments[3])
let queries = try (0..<matrix.rows).map { try matrix.row($0) }
let image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[4])))

/// Runs `work(i)` in a loop on `threads` threads for `seconds`; prints throughput and latency percentiles.
func measure(_ name: String, _ work: @escaping @Sendable (Int) throws -> Void) {
    final class Results: @unchecked Sendable {  // each thread writes its own slot; read after join
        var latencies: [[Double]]
        init(_ n: Int) { latencies = Array(repeating: [], count: n) }
    }
    let results = Results(threads)
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
    let group = DispatchGroup()
    let start = DispatchTime.now().uptimeNanoseconds
    for t in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            var i = t
            while DispatchTime.now().uptimeNanoseconds < deadline {
                let begin = DispatchTime.now().uptimeNanoseconds
                try! work(i)
                results.latencies[t].append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
                i += threads
            }
            group.leave()
        }
    }
    group.wait()
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let all = results.latencies.flatMap { $0 }.sorted()
    func percentile(_ p: Double) -> Double { all[min(all.count - 1, Int(Double(all.count) * p))] }
    print(String(format: "%-34@ %9.1f /s   p50 %7.2f ms   p99 %7.2f ms   (%d in %.1f s, %d threads)",
                 name, Double(all.count) / elapsed, percentile(0.5), percentile(0.99), all.count, elapsed, threads))
}

print("store: \(engine.store.count) images, \(try engine.store.stats().layout)")
if only != "image" {
    measure("library search by vector (k 10)") { i in _ = try engine.search(vector: queries[i % queries.count], k: 10) }
}
if only != "vector" {
  measure("library search by image (k 10)") { _ in
    let semaphore = DispatchSemaphore(value: 0)
    Task {
        _ = try? await engine.search(image, k: 10)
        semaphore.signal()
    }
    semaphore.wait()
  }
}
