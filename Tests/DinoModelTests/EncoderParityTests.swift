import Foundation
import DinoTestSupport
import Testing

@testable import DinoModel

/// The folder of committed model fixtures (made by scripts/reference/make_model_fixtures.py).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Every fixture model against transformers' outputs (llm.c style: the largest difference is printed per tensor).
@Test(.offCooperativePool, arguments: ["plain", "registers", "swiglu", "original"])
func matchesReference(model: String) throws {
    let folder = fixtures.appendingPathComponent(model)
    let encoder = try DinoEncoder(contentsOf: folder.path)
    let reference = try SafeTensorsFile(path: folder.appendingPathComponent("reference.safetensors").path)
    let d = encoder.architecture.width
    for size in ["112x112", "70x98"] {
        let dims = size.split(separator: "x").map { Int($0)! }
        let input = try reference.floats("input_\(size)")
        let batch = reference.entries["input_\(size)"]!.shape[0]
        let out = try encoder.encode(input, batch: batch, height: dims[0], width: dims[1], includePatches: true)
        for (name, ours) in [("cls", out.cls), ("patches", out.patches)] {
            let expected = try reference.floats("\(name)_\(size)")
            let (maxError, minCosine) = compare(ours, expected, width: d)
            print("\(model) \(name)_\(size): max |Δ| \(maxError), min cosine \(minCosine)")
            #expect(maxError <= 1e-4, "\(model) \(name)_\(size)")
            #expect(minCosine >= 0.99999, "\(model) \(name)_\(size)")
        }
    }
}

@Test(.offCooperativePool) func infersArchitectures() throws {
    let plain = try DinoEncoder(contentsOf: fixtures.appendingPathComponent("plain").path).architecture
    #expect(plain.width == 128 && plain.depth == 2 && plain.heads == 2 && plain.patchSize == 14)
    #expect(plain.positionGrid == 18 && plain.registerCount == 0 && !plain.usesSwiGLU && plain.mlpWidth == 512)
    #expect(plain.interpolation == .transformers)
    let registers = try DinoEncoder(contentsOf: fixtures.appendingPathComponent("registers").path).architecture
    #expect(registers.registerCount == 4 && registers.interpolation == .transformersRegisters)
    let swiglu = try DinoEncoder(contentsOf: fixtures.appendingPathComponent("swiglu").path).architecture
    #expect(swiglu.usesSwiGLU && swiglu.mlpWidth == 344)
    let original = try DinoEncoder(contentsOf: fixtures.appendingPathComponent("original/model.safetensors").path)
    #expect(original.architecture.interpolation == .original)
}

@Test(.offCooperativePool) func batchedEqualsOneByOne() throws {
    let encoder = try DinoEncoder(contentsOf: fixtures.appendingPathComponent("plain").path)
    let reference = try SafeTensorsFile(path: fixtures.appendingPathComponent("plain/reference.safetensors").path)
    let input = try reference.floats("input_112x112")
    let both = try encoder.encode(input, batch: 2, height: 112, width: 112)
    let half = input.count / 2
    let first = try encoder.encode(Array(input[..<half]), batch: 1, height: 112, width: 112)
    let second = try encoder.encode(Array(input[half...]), batch: 1, height: 112, width: 112)
    #expect(compare(both.cls, first.cls + second.cls, width: 128).maxError < 1e-5)
}

@Test(.offCooperativePool) func rejectsInputsThatDoNotFit() throws {
    let encoder = try DinoEncoder(contentsOf: fixtures.appendingPathComponent("plain").path)
    #expect(throws: ModelError.self) { try encoder.encode([Float](repeating: 0, count: 3 * 100 * 100), batch: 1, height: 100, width: 100) }
    #expect(throws: ModelError.self) { try encoder.encode([Float](repeating: 0, count: 10), batch: 1, height: 112, width: 112) }
}

@Test(.offCooperativePool) func vectorKernelsMatchLibm() {
    for i in -400...400 {
        let x = Float(i) / 50
        #expect(abs(verf(Vec(repeating: x))[0] - Float(erf(Double(x)))) <= 4e-7)  // a few ulp of values near ±1
        let e = vexp(Vec(repeating: x))[0], exact = Float(exp(Double(x)))
        #expect(abs(e - exact) <= 3 * exact.ulp)
    }
}

/// The AVX2 kernels in C (Sources/CDinoGEMM/activations.c) against the portable Swift ones, tails included.
@Test(.offCooperativePool) func avx2KernelsMatchThePortableOnes() {
    var state: UInt64 = 7
    func random() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 20_000) / 1000 - 10
    }
    for width in [1, 7, 8, 13, 257, 1370] {
        let input = (0..<(3 * width)).map { _ in random() }
        var fast = input, portable = input
        fast.withUnsafeMutableBufferPointer { softmaxRows($0.baseAddress!, rows: 3, width: width) }
        portable.withUnsafeMutableBufferPointer { softmaxRowsPortable($0.baseAddress!, rows: 3, width: width) }
        let error = zip(fast, portable).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-6, "softmax width \(width): \(error)")
        for r in 0..<3 { #expect(abs(fast[(r * width)..<((r + 1) * width)].reduce(0, +) - 1) < 1e-5) }

        var gelu = input
        gelu.withUnsafeMutableBufferPointer { geluInPlace($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(input, gelu) {
            let exact = Double(x) / 2 * (1 + erf(Double(x) / 2.squareRoot()))
            #expect(abs(Double(y) - exact) <= 1e-5 * max(1, abs(exact)), "GELU(\(x)) = \(y), not \(exact)")
        }
    }
}
