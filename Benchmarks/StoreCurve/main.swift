// Serving figures of one store for the cost curve (Benchmarks/store-curve.sh): opens the store read-only as a
// search process would, then answers held-out queries one at a time (QPS, p50/p99 latency), with two threads at
// once (QPS), and scores recall@10 against the brute-force truth; reports the process's memory, anonymous and
// file-mapped apart, and the time to open the store.
//
// usage: store-curve STORE QUERIES.npy TRUTH.npy
//   QUERIES: float32 (Q, D); TRUTH: int64 (Q, 10) row numbers of the imported interchange folder, whose records'
//   paths end in IMG_<row>.jpg (Benchmarks/interchange/make_folder.py).
import DinoSearch
import Foundation

func loadNPY(_ path: String) -> (rows: Int, columns: Int, bytes: Data, descr: String) {
    let data = try! Data(contentsOf: URL(fileURLWithPath: path))
    let headerLength = Int(data[8]) | Int(data[9]) << 8
    let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
    let shape = header.split(separator: "(")[1].split(separator: ")")[0].split(separator: ",")
        .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let descr = header.contains("'<f4'") ? "f4" : header.contains("'<i8'") ? "i8" : "?"
    return (shape[0], shape[1], Data(data[(10 + headerLength)...]), descr)
}

/// Resident memory of this process from /proc/self/status, in MiB: anonymous, file-mapped, and the peak of all.
func memory() -> (anonymous: Double, mapped: Double, peak: Double) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }
    return (field("RssAnon"), field("RssFile") + field("RssShmem"), field("VmHWM"))
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: store-curve STORE QUERIES.npy TRUTH.npy\n".utf8))
    exit(2)
}
let queryFile = loadNPY(arguments[2]), truthFile = loadNPY(arguments[3])
precondition(queryFile.descr == "f4" && truthFile.descr == "i8", "float32 queries and int64 truth expected")
let d = queryFile.columns
let queries: [[Float]] = queryFile.bytes.withUnsafeBytes { raw in
    let all = raw.bindMemory(to: Float.self)
    return (0..<queryFile.rows).map { Array(all[($0 * d)..<(($0 + 1) * d)]) }
}
let truth: [Set<Int>] = truthFile.bytes.withUnsafeBytes { raw in
    let all = raw.bindMemory(to: Int64.self)
    return (0..<truthFile.rows).map { q in Set((0..<10).map { Int(all[q * 10 + $0]) }) }
}

let opening = now()
let store = try Store(at: arguments[1], mode: .readOnly)
let openSeconds = now() - opening
let stats = try store.stats()

/// The interchange row of a result: its path ends in IMG_<row>.jpg.
func row(_ result: SearchResult) -> Int {
    let name = (result.record.path as NSString).lastPathComponent
    return Int(name.dropFirst(4).dropLast(4)) ?? -1
}

// One query at a time, twice over the queries; the second round is timed (the first warms the caches).
var latencies: [Double] = []
var hits = 0
for round in 0..<2 {
    for (q, query) in queries.enumerated() {
        let start = now()
        let results = try store.search(query, k: 10)
        if round == 1 {
            latencies.append(now() - start)
            hits += results.count { truth[q].contains(row($0)) }
        }
    }
}
let total = latencies.reduce(0, +)
latencies.sort()
let p50 = latencies[latencies.count / 2] * 1000, p99 = latencies[latencies.count * 99 / 100] * 1000
let recall = Double(hits) / Double(10 * queries.count)

// Two threads, each with half the queries, each one query at a time.
let twoStart = now()
DispatchQueue.concurrentPerform(iterations: 2) { half in
    for q in stride(from: half, to: queries.count, by: 2) { _ = try? store.search(queries[q], k: 10) }
}
let twoSeconds = now() - twoStart
let mem = memory()

print("store: \(stats.images) images, \(stats.layout)")
print(String(format: "open %.2f s; one at a time %.0f QPS (p50 %.2f ms, p99 %.2f ms); two threads %.0f QPS; recall@10 %.3f (held-out queries)",
             openSeconds, Double(queries.count) / total, p50, p99, Double(queries.count) / twoSeconds, recall))
print(String(format: "memory after searching: anonymous %.0f MiB, file-mapped %.0f MiB, peak resident %.0f MiB",
             mem.anonymous, mem.mapped, mem.peak))
print(String(format: "curve-row: %d %.0f %.2f %.2f %.0f %.3f %.0f %.0f %.2f",
             stats.images, Double(queries.count) / total, p50, p99, Double(queries.count) / twoSeconds, recall,
             mem.anonymous, mem.mapped, openSeconds))
