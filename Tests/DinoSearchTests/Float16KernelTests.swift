import CDinoFloat16
import Foundation
import DinoTestSupport
import Testing

/// The catalog's float16 kernels (Sources/CDinoFloat16) against Swift's own conversion, on the F16C path this
/// CPU takes and on the portable path of CPUs without it.
@Suite(.serialized, .offCooperativePool) struct Float16KernelTests {
    /// Both paths; the portable one forced for the duration of `body`.
    func onBothPaths(_ body: (String) throws -> Void) rethrows {
        try body(dino_float16_accelerated() != 0 ? "F16C" : "portable (no F16C here)")
        dino_float16_use_portable(1)
        defer { dino_float16_use_portable(0) }
        try body("portable")
    }

    @Test func decodesEveryBitPatternAsSwiftDoes() {
        let all = (0...UInt16.max).map { $0 }
        onBothPaths { path in
            // From an odd address too: stored values are not aligned.
            var bytes = [UInt8](repeating: 0, count: 1)
            for h in all { bytes += [UInt8(h & 0xFF), UInt8(h >> 8)] }
            var out = [Float](repeating: 0, count: all.count)
            bytes.withUnsafeBytes { raw in dino_float16_decode(raw.baseAddress! + 1, &out, all.count) }
            var wrong = 0
            for (h, value) in zip(all, out) {
                let expected = Float(Float16(bitPattern: h))
                if expected.isNaN ? !value.isNaN : expected.bitPattern != value.bitPattern { wrong += 1 }
            }
            #expect(wrong == 0, "\(path): \(wrong) of 65536 values differ")
        }
    }

    @Test(arguments: [1, 7, 16, 17, 128, 384, 385, 1536])
    func dotAndNormMatchDoublePrecision(n: Int) {
        var seed: UInt64 = UInt64(n)
        func next() -> Float {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 1) % 20001) / 10000 - 1
        }
        let query = (0..<n).map { _ in next() }
        let half = (0..<n).map { _ in Float16(next()) }
        var dot64 = 0.0, norm64 = 0.0
        for (q, h) in zip(query, half) {
            dot64 += Double(q) * Double(Float(h))
            norm64 += Double(Float(h)) * Double(Float(h))
        }
        onBothPaths { path in
            var dot: Float = 0, norm: Float = 0
            half.withUnsafeBytes { dino_float16_dot(query, $0.baseAddress, n, &dot, &norm) }
            #expect(abs(Double(dot) - dot64) <= 1e-5 * max(1, norm64), "\(path): dot \(dot) vs \(dot64)")
            #expect(abs(Double(norm) - norm64) <= 1e-5 * max(1, norm64), "\(path): norm \(norm) vs \(norm64)")
        }
    }
}
