import DinoSearch
import Foundation
import Synchronization

/// A whole-store computation that a page waits for (k-means for the clusters page, the near-duplicate groups for
/// the review page): started by the first request, run in the background while requests get its progress (202),
/// kept in memory while the store is unchanged (same change sequence). One run at a time per job.
final class BackgroundJob<Parameters: Sendable, Value: Sendable>: Sendable {
    enum State: Sendable {
        case ready(Value)
        case running(CurationProgress?)
    }

    typealias Compute = @Sendable (Parameters, @escaping CurationProgressHandler) async throws -> Value

    /// What `/v1/progress` calls it ("clusters", "duplicates").
    let operation: String
    private let store: Store
    private let key: @Sendable (Parameters) -> String
    private let stored: @Sendable (Parameters) throws -> Value?
    private let compute: Compute
    private let run = Mutex<Run?>(nil)
    private let memo = Mutex<Memo?>(nil)

    private struct Run {
        var key: String
        var progress: CurationProgress?
        var failure: (any Error)?
        var finished = false
    }

    private struct Memo {
        var key: String
        var sequence: UInt64
        var value: Value
    }

    /// - Parameters:
    ///   - key: the parameters as a string; equal keys are the same computation.
    ///   - stored: a result kept in the store for these parameters, if current (read before computing).
    init(
        operation: String, store: Store, key: @escaping @Sendable (Parameters) -> String,
        stored: @escaping @Sendable (Parameters) throws -> Value? = { _ in nil }, compute: @escaping Compute
    ) {
        self.operation = operation
        self.store = store
        self.key = key
        self.stored = stored
        self.compute = compute
    }

    /// The result if it is ready; else starts the computation (unless it runs already) and says how far it is.
    /// - Throws: the error of a run that failed (reported once; the next call starts again); `APIError`
    ///   `overloaded` while a run with other parameters goes on.
    func state(_ parameters: Parameters) throws -> State {
        let key = key(parameters)
        let sequence = try store.changeSequence()
        if let memo = memo.withLock({ $0 }), memo.key == key, memo.sequence == sequence { return .ready(memo.value) }
        if let kept = try stored(parameters) {
            memo.withLock { $0 = Memo(key: key, sequence: sequence, value: kept) }
            return .ready(kept)
        }
        return try run.withLock { current throws -> State in
            if let running = current, !running.finished {
                guard running.key == key else {
                    throw APIError.overloaded("another \(operation) computation is running", retryAfter: 5)
                }
                return .running(running.progress)
            }
            if let done = current, done.key == key, let failure = done.failure {
                current = nil
                throw failure
            }
            current = Run(key: key)
            start(parameters, key: key, sequence: sequence)
            return .running(nil)
        }
    }

    /// The run going on now, if any, and its progress.
    var progress: CurationProgress?? {
        run.withLock { current in current.flatMap { $0.finished ? nil : .some($0.progress) } }
    }

    /// Forgets the result in memory (after the store changed through this server, the sequence says so anyway).
    func forget() { memo.withLock { $0 = nil } }

    private func start(_ parameters: Parameters, key: String, sequence: UInt64) {
        Task.detached { [self] in
            do {
                let value = try await compute(parameters) { [self] progress in run.withLock { $0?.progress = progress } }
                memo.withLock { $0 = Memo(key: key, sequence: sequence, value: value) }
                run.withLock { $0?.finished = true }
            } catch {
                run.withLock {
                    $0?.failure = error
                    $0?.finished = true
                }
            }
        }
    }
}
