/// A fixed-size, heap-allocated array of floats with a stable address, for weights and scratch space handed to GEMM.
///
/// `@unchecked Sendable`: weights are written once while loading and only read afterwards; scratch buffers belong
/// to one `Workspace`, which is used by one forward pass at a time.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
