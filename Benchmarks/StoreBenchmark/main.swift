// Store benchmark on real embeddings: build time, QPS at batch 1 and 1000, recall@10 against exact search and
// bytes per vector, for the layout the store would choose, through three layers: Faiss called directly through
// the C shim, the `VectorIndex` wrapper, and `Store.search` (candidates re-ranked with the catalog's vectors).
// Run through Benchmarks/store.sh, which puts Faiss's Python bindings (faiss-cpu) beside it on the same vectors.
//
// usage: store-benchmark BASE.npy QUERIES.npy [--lists N] [--nprobe N] [--candidates N] [--factory F] [--sweep N,N...]
//   --lists: IVF with N lists; --candidates: re-ranked candidates per query (k=10); --factory: another codec;
//   --sweep: afterwards, recall and QPS of Store.search at each of these nprobe values on the same index
import CDinoFaiss
import Foundation

@testable import DinoSearch

func loadNPY(_ path: String) -> (rows: Int, columns: Int, values: [Float]) {
    let data = try! Data(contentsOf: URL(fileURLWithPath: path))
    let headerLength = Int(data[8]) | Int(data[9]) << 8
    let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
    precondition((header.contains("'<f4'") || header.contains("'<f2'")) && header.contains("False"), "float32 or float16 C-order .npy expected")
    let shape = header.split(separator: "(")[1].split(separator: ")")[0].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let values = header.contains("'<f2'")
        ? data[(10 + headerLength)...].withUnsafeBytes { $0.bindMemory(to: Float16.self).map { Float($0) } }
        : data[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return (shape[0], shape[1], values)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func recall(_ found: [[Int64]], _ truth: [[Int64]]) -> Double {
    let hits = zip(found, truth).map { f, t in Set(f.prefix(10)).intersection(t.prefix(10)).count }
    return Double(hits.reduce(0, +)) / Double(10 * truth.count)
}

let arguments = CommandLine.arguments
let base = loadNPY(arguments[1]), queries = loadNPY(arguments[2])
let d = base.columns, n = base.rows, q = queries.rows
func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
var layout = IndexLayout.recommended(for: n, dimension: d)
if let lists = option("--lists").flatMap(Int.init) { layout = .ivf(lists: lists, dimension: d) }
if let factory = option("--factory") { layout.factory = factory }  // e.g. "IVF512,SQ8", keeping the IVF defaults
if let nprobe = option("--nprobe") { layout.nprobe = Int(nprobe) }
if let candidates = option("--candidates").flatMap(Int.init) { (layout.minimumCandidates, layout.candidatesPerResult) = (candidates, 1) }
print("vectors: \(n) × \(d), queries: \(q), layout: \(layout.factory), nprobe \(layout.nprobe.map(String.init) ?? "-")")

// Ground truth: exact inner product over the float16-rounded vectors the store holds.
let rounded = base.values.map { Float(Float16($0)) }
let ids = (0..<Int64(n)).map { $0 }
let exact = try VectorIndex.make(.exact, dimension: d)
try exact.add(rounded, ids: ids)
let truth = try exact.search(queries.values, k: 10).map { $0.map(\.id) }

// Store: add in batches of 10,000 (one transaction each), then build the chosen layout.
let folder = NSTemporaryDirectory() + "store-benchmark-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: folder) }
let store = try Store(at: folder, dimension: d, model: "minilm")
let addTime = try seconds {
    for start in stride(from: 0, to: n, by: 10_000) {
        let end = min(start + 10_000, n)
        try store.add((start..<end).map { i in
            NewImage(path: "/v/\(i)", vector: Array(base.values[(i * d)..<((i + 1) * d)]))
        })
    }
}
var buildTime = 0.0
// The probe count (and candidates) measured on the store's vectors unless --nprobe fixes it; the peer gets the same.
if !layout.isExact {
    let probes: ProbeChoice = option("--nprobe").flatMap(Int.init).map { .fixed($0) } ?? .standard
    buildTime = try seconds { try store.rebuild(layout: layout, probes: probes) }
    layout = store.index.layout
}
try store.flush()
let stats = try store.stats()
print(String(format: "store: add %.1f s (catalog), build index %.1f s (train on %d + add + probe count), %@", addTime, buildTime,
             min(n, 100_000), stats.layout))
print(String(format: "bytes per vector: index file %.0f, catalog %.0f", Double(stats.indexBytes) / Double(n),
             Double(stats.catalogBytes) / Double(n)))

// The same index as Store holds it, searched three ways.
let index = store.index
let candidates = layout.isExact ? 10 : max(10 * layout.candidatesPerResult, layout.minimumCandidates)
let queryRows = (0..<q).map { Array(queries.values[($0 * d)..<(($0 + 1) * d)]) }

func qps(batch: Int, _ body: ([Float], Int) throws -> Void) rethrows -> Double {
    var rates: [Double] = []
    for _ in 0..<3 {
        let t = try seconds {
            for start in stride(from: 0, to: q, by: batch) {
                let count = min(batch, q - start)
                try body(Array(queries.values[(start * d)..<((start + count) * d)]), count)
            }
        }
        rates.append(Double(q) / t)
    }
    return rates.sorted()[1]
}

var scores = [Float](repeating: 0, count: q * candidates), labels = [Int64](repeating: 0, count: q * candidates)
var error = [CChar](repeating: 0, count: 256)
let handle = index.handle
let direct1 = qps(batch: 1) { v, c in _ = dino_index_search(handle, Int64(c), v, Int64(candidates), &scores, &labels, &error, 256) }
let direct1000 = qps(batch: 1000) { v, c in _ = dino_index_search(handle, Int64(c), v, Int64(candidates), &scores, &labels, &error, 256) }
let wrapper1 = try qps(batch: 1) { v, _ in _ = try index.search(v, k: candidates) }
let wrapper1000 = try qps(batch: 1000) { v, _ in _ = try index.search(v, k: candidates) }
let store1 = try qps(batch: 1) { v, _ in _ = try store.search(v, k: 10) }
let store1000 = try qps(batch: 1000) { v, c in
    _ = try store.search((0..<c).map { Array(v[($0 * d)..<(($0 + 1) * d)]) }, k: 10)
}
// The same searches re-ranked from LMDB, as before the vector file (same index, same answers).
let vectorFile = store.vectorFile
store.vectorFile = nil
let lmdb1 = try qps(batch: 1) { v, _ in _ = try store.search(v, k: 10) }
store.vectorFile = vectorFile
// Store ids start at 1 and follow the order of the file; the ground truth is 0-based.
let raw = recall(try index.search(queries.values, k: 10).map { $0.map { $0.id - 1 } }, truth)
let reranked = recall(try store.search(queryRows, k: 10).map { $0.map { Int64($0.id) - 1 } }, truth)

print("peer-arguments: \(layout.factory) \(layout.nprobe ?? 0) \(candidates)")
print("| layer | QPS batch 1 | QPS batch 1000 | recall@10 |")
print("|---|---|---|---|")
print(String(format: "| Faiss via shim, %d candidates | %.0f | %.0f | %.3f (top 10 raw) |", candidates, direct1, direct1000, raw))
print(String(format: "| VectorIndex wrapper, %d candidates | %.0f | %.0f | |", candidates, wrapper1, wrapper1000))
print(String(format: "| Store.search k=10 (re-ranked from the vector file) | %.0f | %.0f | %.3f |", store1, store1000, reranked))
print(String(format: "| Store.search k=10 (re-ranked from LMDB) | %.0f | | |", lmdb1))
print(String(format: "wrapper overhead vs shim: batch 1 %.1f%%, batch 1000 %.1f%%", (direct1 / wrapper1 - 1) * 100,
             (direct1000 / wrapper1000 - 1) * 100))

// The same single queries through the shim and the wrapper alternately, each pair timed back to back, so the
// machine's drift cancels out of the ratio (the block timings above differ by ±20% from run to run).
var ratios: [Double] = []
for round in 0..<3 {
    for i in 0..<min(q, 200) {
        let v = queryRows[i]
        let first = round % 2 == 0  // alternate which goes first
        var tDirect = 0.0, tWrapper = 0.0
        for turn in 0..<2 {
            if (turn == 0) == first {
                tDirect = seconds { _ = dino_index_search(handle, 1, v, Int64(candidates), &scores, &labels, &error, 256) }
            } else {
                tWrapper = try seconds { _ = try index.search(v, k: candidates) }
            }
        }
        ratios.append(tWrapper / tDirect)
    }
}
ratios.sort()
let quartiles = [0.25, 0.5, 0.75].map { ratios[Int($0 * Double(ratios.count - 1))] }
print(String(format: "wrapper/shim time per query, %d interleaved pairs: median %.4f (quartiles %.4f–%.4f)",
             ratios.count, quartiles[1], quartiles[0], quartiles[2]))

// nprobe sweep on the same index: what each setting buys in recall and costs in speed.
if let sweep = option("--sweep") {
    print("| nprobe | Store.search QPS batch 1 | recall@10 re-ranked |")
    print("|---|---|---|")
    for nprobe in sweep.split(separator: ",").compactMap({ Int($0) }) {
        dino_index_set_nprobe(handle, Int64(nprobe))
        let rate = try qps(batch: 1) { v, _ in _ = try store.search(v, k: 10) }
        let found = recall(try store.search(queryRows, k: 10).map { $0.map { Int64($0.id) - 1 } }, truth)
        print(String(format: "| %d | %.0f | %.3f |", nprobe, rate, found))
    }
}
