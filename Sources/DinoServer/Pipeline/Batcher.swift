import Dispatch
import Synchronization

/// Gathers the inputs that concurrent requests submit and runs them through `work` in batches, on one Dispatch
/// queue of its own: whatever arrived while the previous batch ran becomes the next batch (at most `maxBatch`).
/// Under load the batches grow by themselves; a lone request runs at once, as a batch of one.
///
/// The server uses it twice: the encoder (one forward pass for all waiting images: dynamic batching, as
/// inference servers do) and the store (one LMDB transaction and one fsync for all waiting uploads: group
/// commit). `work` returns one result per input, in order, so one bad input fails only its own request.
final class Batcher<Input: Sendable, Output: Sendable>: Sendable {
    typealias Work = @Sendable ([Input]) -> [Result<Output, any Error>]

    private struct Pending {
        var input: Input
        var continuation: CheckedContinuation<Output, any Error>
    }
    private struct State {
        var pending: [Pending] = []
        var running = false
    }

    private let state = Mutex(State())
    private let queue: DispatchQueue
    private let maxBatch: Int
    private let work: Work

    init(label: String, maxBatch: Int, work: @escaping Work) {
        queue = DispatchQueue(label: "dinosearch.\(label)", qos: .userInitiated)
        self.maxBatch = max(1, maxBatch)
        self.work = work
    }

    /// Inputs waiting for a batch (not counting the batch running).
    var waiting: Int { state.withLock { $0.pending.count } }

    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state in
                state.pending.append(Pending(input: input, continuation: continuation))
                if state.running { return false }
                state.running = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
    }

    /// Runs batches until nothing is pending.
    private func drain() {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.running = false }
                return batch
            }
            if batch.isEmpty { return }
            let results = work(batch.map(\.input))
            precondition(results.count == batch.count, "a batch's work must return one result per input")
            for (pending, result) in zip(batch, results) { pending.continuation.resume(with: result) }
        }
    }
}
