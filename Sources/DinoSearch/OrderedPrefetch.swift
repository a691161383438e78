import Foundation

/// Runs `work(i)` for i in 0..<count on worker threads, at most `window` items ahead of the consumer, and hands
/// the results over in index order: decoding overlaps the encoder, output order stays the input's, and memory
/// holds at most `window` results.
final class OrderedPrefetch<Result>: @unchecked Sendable {  // all state is guarded by `condition`
    private let condition = NSCondition()
    private var ready: [Int: Result] = [:]
    private var taken = 0      // the next index a worker takes
    private var delivered = 0  // the next index the consumer gets
    private var cancelled = false
    private let count: Int
    private let window: Int

    init(count: Int, threads: Int, window: Int, work: @escaping @Sendable (Int) -> Result) {
        self.count = count
        self.window = max(1, window)
        for _ in 0..<max(1, threads) {
            Thread.detachNewThread { [self] in
                while let i = claim() {
                    let result = work(i)
                    condition.lock()
                    ready[i] = result
                    condition.broadcast()
                    condition.unlock()
                }
            }
        }
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while taken < count && taken >= delivered + window && !cancelled { condition.wait() }
        guard taken < count, !cancelled else { return nil }
        taken += 1
        return taken - 1
    }

    /// The next result in index order, waiting for it; nil after the last (or once cancelled).
    func next() -> Result? {
        condition.lock()
        defer { condition.unlock() }
        while delivered < count && ready[delivered] == nil && !cancelled { condition.wait() }
        guard delivered < count, !cancelled, let result = ready.removeValue(forKey: delivered) else { return nil }
        delivered += 1
        condition.broadcast()
        return result
    }

    /// Stops the workers after the items they are working on.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
