import DinoTestSupport
import Foundation

@testable import DinoSearch

/// Deterministic vectors that behave like embeddings rather than i.i.d. noise: points scattered around a few
/// hundred cluster centres, with a shared low-rank component, so neighbours are close but not trivial.
struct ClusteredVectors {
    let dimension: Int
    private var state: UInt64
    private let centres: [[Float]]
    private let shared: [[Float]]

    init(dimension: Int, clusters: Int, seed: UInt64) {
        self.dimension = dimension
        var rng = seed ^ 0xABCD
        centres = (0..<clusters).map { _ in (0..<dimension).map { _ in Self.gaussian(&rng) } }
        shared = (0..<8).map { _ in (0..<dimension).map { _ in Self.gaussian(&rng) } }
        state = rng
    }

    /// A standard normal sample (Box–Muller over a 64-bit LCG).
    static func gaussian(_ s: inout UInt64) -> Float {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        let u1 = Double((s >> 11) | 1) / Double(1 << 53)
        s = s &* 6364136223846793005 &+ 1442695040888963407
        let u2 = Double(s >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }

    mutating func gaussian() -> Float { Self.gaussian(&state) }

    mutating func next() -> [Float] {
        let c = centres[Int(UInt32(truncatingIfNeeded: state >> 33)) % centres.count]
        let weights = (0..<shared.count).map { _ in gaussian() }
        return (0..<dimension).map { j in
            var v = c[j] + 0.9 * gaussian()
            for (w, s) in zip(weights, shared) { v += 0.5 * w * s[j] }
            return v
        }
    }
}

func randomVector(_ dimension: Int, seed: Int) -> [Float] {
    var s = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<dimension).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: s >> 1) % 20001) / 10000 - 1
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0, na: Float = 0, nb: Float = 0
    for (x, y) in zip(a, b) { dot += x * y; na += x * x; nb += y * y }
    return dot / (na.squareRoot() * nb.squareRoot())
}

/// A small tmpfs mounted for one test (root only), unmounted when released.
final class TmpfsMount {
    let path: String

    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = TemporaryDirectory()
        return TmpfsMount(at: probe.path, kilobytes: 64) != nil
    }()

    init?(at path: String, kilobytes: Int) {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
        guard Self.mount(["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]) else { return nil }
    }

    func remountReadOnly() throws {
        guard Self.mount(["-o", "remount,ro", path]) else { throw CocoaError(.fileWriteNoPermission) }
    }

    deinit { _ = Self.run("/bin/umount", [path]) }

    private static func mount(_ arguments: [String]) -> Bool { run("/bin/mount", arguments) }

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
