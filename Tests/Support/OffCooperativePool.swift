import Dispatch
import Testing

/// Runs a suite's tests on threads of their own instead of Swift's cooperative pool.
///
/// Swift Testing runs tests in parallel on the cooperative pool, which has one thread per core. On a 2-core machine
/// two long synchronous tests (a parity check, a child process waited on) hold every thread of it, and an async
/// test that needs the pool — the download tests' loopback HTTP server — starves until it times out. Under this
/// trait a test body runs on a task executor whose threads are made on demand, so blocking there blocks no one
/// else. Give it to every suite whose tests block; async suites that only await need it not.
public struct OffCooperativePool: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public init() {}

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BlockingThreads.shared) { try await function() }
    }
}

extension Trait where Self == OffCooperativePool {
    /// Runs the tests on threads of their own, never on the cooperative pool (see `OffCooperativePool`).
    public static var offCooperativePool: Self { OffCooperativePool() }
}

/// A task executor on a concurrent Dispatch queue of its own: such a queue targets Dispatch's overcommitting root
/// queue, which starts another thread whenever every one it has is busy, blocked or not.
final class BlockingThreads: TaskExecutor {
    static let shared = BlockingThreads()
    private let queue = DispatchQueue(label: "dinosearch.tests.blocking", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
