// Decode + DINOv2 preprocessing throughput on real photos, one and two threads.
// Usage: decode-benchmark [--full | --embedded-thumbnails] [--rounds N] [--per-file] [--compare] FILE...
//   (run by Benchmarks/decode.sh, Benchmarks/formats.sh and Benchmarks/heic.sh)
//   --compare: how much the fast path (DCT-scaled JPEG, rescaled WebP) differs from full-size decoding.
import DinoImage
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func flag(_ name: String) -> Bool {
    guard let i = arguments.firstIndex(of: name) else { return false }
    arguments.remove(at: i)
    return true
}
@MainActor func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    let value = Int(arguments[i + 1]) ?? fallback
    arguments.removeSubrange(i...(i + 1))
    return value
}
let full = flag("--full")
let thumbnails = flag("--embedded-thumbnails")
let perFile = flag("--per-file")
let compare = flag("--compare")
let rounds = option("--rounds", 3)
let files = arguments
precondition(!files.isEmpty, "usage: decode-benchmark [--full] [--rounds N] [--per-file] FILE...")

let prep = Preprocessing(fullSizeDecode: full, threadsPerImage: 1, usesEmbeddedThumbnails: thumbnails)
// File bytes are read once up front: the benchmark measures decoding and preprocessing, not the disk.
let contents = files.map { try! ImageFile.read($0) }

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

if perFile {
    for (file, bytes) in zip(files, contents) {
        var best = (Double.infinity, 0.0, 0.0)
        var size = (0, 0, 0, 0)
        for _ in 0..<rounds {
            let start = now()
            let decoded = try! prep.decoder.decode(bytes)
            let mid = now()
            _ = prep.prepare(decoded)
            let end = now()
            if end - start < best.0 { best = (end - start, mid - start, end - mid) }
            size = (decoded.width, decoded.height, decoded.image.width, decoded.image.height)
        }
        print(String(format: "%@  decode %6.1f ms  resize+crop+normalise %5.1f ms  (%dx%d decoded at %dx%d)",
                     (file as NSString).lastPathComponent, best.1 * 1000, best.2 * 1000, size.0, size.1, size.2, size.3))
    }
}

if compare {
    let exact = Preprocessing(fullSizeDecode: true)
    let fast = Preprocessing(fullSizeDecode: false, usesEmbeddedThumbnails: thumbnails)
    var means: [Double] = [], maxima: [Float] = []
    for (file, bytes) in zip(files, contents) {
        let a = try! exact.load(bytes).pixels, b = try! fast.load(bytes).pixels
        let deltas = zip(a, b).map { abs($0 - $1) }
        let mean = deltas.reduce(0.0) { $0 + Double($1) } / Double(deltas.count)
        means.append(mean)
        maxima.append(deltas.max()!)
        print(String(format: "%@: mean |Δ| %.4f, max |Δ| %.3f (normalised units; one 8-bit level ≈ 0.0175)",
                     (file as NSString).lastPathComponent, mean, deltas.max()!))
    }
    means.sort()
    print(String(format: "fast path vs full-size decode over %d files: median of mean |Δ| %.4f, worst mean %.4f, max |Δ| %.3f",
                 files.count, means[means.count / 2], means.last!, maxima.max()!))
    exit(0)
}

// Images decoded at once × threads each may use (a HEIC grid's tiles): one thread in all; one image in flight on
// every core (a query, an upload); every core busy with an image of its own (the indexer).
let cores = ProcessInfo.processInfo.activeProcessorCount
for (threads, perImage) in [(1, 1), (1, cores), (cores, 1)] where perImage == 1 || cores > 1 {
    var rates: [Double] = []
    var configured = prep
    configured.threadsPerImage = perImage
    let prep = configured
    for _ in 0..<rounds {
        let next = ManagedAtomicCounter()
        let start = now()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while true {
                let i = next.increment()
                if i >= contents.count { break }
                _ = try! prep.load(contents[i])
            }
        }
        rates.append(Double(contents.count) / (now() - start))
    }
    rates.sort()
    print(String(format: "dinosearch %@ threads=%d%@: %.2f images/s (median of %d; runs %@)",
                 full ? "full-size" : thumbnails ? "embedded-thumbnail" : "dct-scaled", threads, perImage > 1 ? " (\(perImage) per image)" : "",
                 rates[rates.count / 2], rounds, rates.map { String(format: "%.2f", $0) }.joined(separator: " ")))
}

/// A shared work index.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
