// Encoder throughput: images/s and GFLOP/s of DinoEncoder at 224×224 for batch 1, 8 and 32, plus the parity check
// of a full-size checkpoint against its transformers reference. Run through Benchmarks/encoder.sh, which puts
// PyTorch and ONNX Runtime beside it in the same run.
//
// usage: encoder-benchmark MODEL_DIR [--batches 1,8,32] [--seconds 20] [--size HxW]
// --size: another input than 224x224 (patch maps run at 448 and up, with every patch token returned)
import CDinoGEMM
import DinoModel
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write("usage: encoder-benchmark MODEL_DIR [--batches 1,8,32] [--seconds 20] [--size HxW]\n".data(using: .utf8)!)
    exit(2)
}
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let folder = arguments[1]
let batches = (option("--batches") ?? "1,8,32").split(separator: ",").map { Int($0)! }
let seconds = Double(option("--seconds") ?? "20")!
let size = (option("--size") ?? "224x224").split(separator: "x").map { Int($0)! }
let (height, width) = (size[0], size[1])
let dense = option("--size") != nil  // patch-map inputs: every token through the final LayerNorm

let encoder = try DinoEncoder(contentsOf: folder)
let arch = encoder.architecture
print("model: \(arch.name), fingerprint \(encoder.fingerprint)")

// Parity of the full-size model, if the generator wrote a reference beside it.
let referencePath = folder + "/reference.safetensors"
if FileManager.default.fileExists(atPath: referencePath) {
    let reference = try SafeTensorsFile(path: referencePath)
    let input = try reference.floats("input_224x224")
    let batch = reference.entries["input_224x224"]!.shape[0]
    let out = try encoder.encode(input, batch: batch, height: 224, width: 224, includePatches: true)
    for (name, ours) in [("cls", out.cls), ("patches", out.patches)] {
        let expected = try reference.floats("\(name)_224x224")
        var maxError: Float = 0, minCosine = 1.0
        let d = arch.width
        for v in 0..<(ours.count / d) {
            var dot = 0.0, a = 0.0, b = 0.0
            for j in (v * d)..<((v + 1) * d) {
                maxError = max(maxError, abs(ours[j] - expected[j]))
                dot += Double(ours[j]) * Double(expected[j]); a += Double(ours[j] * ours[j]); b += Double(expected[j] * expected[j])
            }
            minCosine = min(minCosine, dot / (a * b).squareRoot())
        }
        print("parity \(name) 224x224 (batch \(batch)): max |Δ| \(maxError), min cosine \(String(format: "%.7f", minCosine))")
    }
}

let flops = arch.flops(height: height, width: width)
print(String(format: "GFLOP per image: %.2f", flops / 1e9))
/// The GEMM library alone on this model's four weight shapes at M = tokens · batch (QKV, projection, MLP up and
/// down, row-major A·Wᵀ as the encoder calls them): FLOP-weighted GFLOP/s, the ceiling the encoder is held to.
func gemmThroughput(batch: Int, seconds: Double) -> Double {
    let m = (1 + arch.registerCount + (height / 14) * (width / 14)) * batch, d = arch.width, h = arch.mlpWidth
    let shapes = [(3 * d, d), (d, d), (h, d), (d, h)]  // (N, K)
    let a = [Float](repeating: 0.5, count: m * h), w = [Float](repeating: 0.25, count: h * max(3 * d, h))
    var c = [Float](repeating: 0, count: m * max(3 * d, h))
    var total: [Double] = []
    let start = Date()
    while Date().timeIntervalSince(start) < seconds || total.count < 3 {
        let t0 = DispatchTime.now().uptimeNanoseconds
        for (n, k) in shapes {
            _ = dino_sgemm(78, 84, Int64(m), Int64(n), Int64(k), 1, a, Int64(k), w, Int64(k), 1, &c, Int64(n))
        }
        total.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    total.sort()
    let work = shapes.reduce(0.0) { $0 + 2 * Double(m) * Double($1.0) * Double($1.1) }
    return work / total[total.count / 2] / 1e9
}

print("| batch | images/s (median) | GFLOP/s | runs | sgemm alone on the same shapes, GFLOP/s | encoder / sgemm |")
print("|---|---|---|---|---|---|")
for batch in batches {
    var state: UInt64 = 42
    let pixels = (0..<(batch * 3 * height * width)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
    }
    _ = try encoder.encode(pixels, batch: batch, height: height, width: width, includePatches: dense)  // warm-up
    var rates: [Double] = []
    let start = Date()
    while Date().timeIntervalSince(start) < seconds || rates.count < 3 {
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try encoder.encode(pixels, batch: batch, height: height, width: width, includePatches: dense)
        rates.append(Double(batch) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
    }
    rates.sort()
    let median = rates[rates.count / 2]
    let gemm = gemmThroughput(batch: batch, seconds: min(seconds, 5))
    print(String(format: "| %d | %.2f | %.1f | %d | %.1f | %.2f |", batch, median, median * flops / 1e9, rates.count, gemm,
                 median * flops / 1e9 / gemm))
}
