// A writer process for the store's crash tests and benchmarks: adds batches of deterministic pseudo-random vectors
// and prints "committed N" after each batch's transaction returns, so a parent can kill it at any moment and then
// check that every reported batch survived.
//
// usage: store-writer STORE_DIR BATCHES BATCH_SIZE DIMENSION [FIRST_BATCH]
import DinoSearch
import Foundation

/// Vector `index` of batch `batch`: the same numbers in every process (SplitMix64).
func syntheticVector(batch: Int, index: Int, dimension: Int) -> [Float] {
    var state = UInt64(batch) &* 1_000_003 &+ UInt64(index) &+ 0x9E37_79B9_7F4A_7C15
    return (0..<dimension).map { _ in
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float(Double(z ^ (z >> 31)) / Double(UInt64.max)) * 2 - 1
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 5, let batches = Int(arguments[2]), let size = Int(arguments[3]), let dimension = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: store-writer STORE_DIR BATCHES BATCH_SIZE DIMENSION [FIRST_BATCH]\n".utf8))
    exit(2)
}
let first = arguments.count > 5 ? Int(arguments[5])! : 0
do {
    // $STORE_WRITER_MODEL: a real model's fingerprint, so `dinosearch query` accepts the store (benchmarks).
    let model = ProcessInfo.processInfo.environment["STORE_WRITER_MODEL"] ?? "synthetic"
    let store = try Store(at: arguments[1], dimension: dimension, model: model)
    for batch in first..<(first + batches) {
        try store.add((0..<size).map { i in
            NewImage(path: "/synthetic/\(batch)/\(i)", vector: syntheticVector(batch: batch, index: i, dimension: dimension))
        })
        FileHandle.standardOutput.write(Data("committed \(batch)\n".utf8))  // unbuffered: the parent reads it at once
    }
    try store.flush()
} catch {
    FileHandle.standardError.write(Data("store-writer: \(error)\n".utf8))
    exit(1)
}
