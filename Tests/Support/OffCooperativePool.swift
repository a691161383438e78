import Dispatch
import Foundation
import Testing

/// Runs a suite's tests on threads of their own instead of Swift's cooperative pool.
///
/// Swift Testing runs tests in parallel on the cooperative pool, which has one thread per core. On a 2-core machine
/// two long synchronous tests (a parity check, a child process waited on) hold every thread of it, and an async
/// test that needs the pool — the download tests' loopback HTTP server — starves until it times out. Under this
/// trait a test body runs on a task executor of its own (`BlockingThreads`), so blocking there blocks no async
/// test. Give it to every suite whose tests block; async suites that only await need it not.
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

/// A task executor with as many slots as the machine has cores, on threads that are not the cooperative pool's:
/// jobs run on a concurrent Dispatch queue of its own (which starts threads as needed) once a slot is free. The
/// slots keep blocking tests from all running at once, as the cooperative pool's width did before.
final class BlockingThreads: TaskExecutor {
    static let shared = BlockingThreads(slots: ProcessInfo.processInfo.activeProcessorCount)
    private let queue = DispatchQueue(label: "dinosearch.tests.blocking", attributes: .concurrent)
    private let slots: DispatchSemaphore

    init(slots: Int) { self.slots = DispatchSemaphore(value: max(1, slots)) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { [slots] in
            slots.wait()
            job.runSynchronously(on: executor)
            slots.signal()
        }
    }
}
