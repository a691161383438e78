import DinoTestSupport
import Foundation
import Synchronization
import Testing

/// The trait that `swift test` relies on to run in parallel on 2 cores (Tests/Support/OffCooperativePool.swift).
@Suite struct OffCooperativePoolTests {
    /// As many blocked test bodies as the machine has cores: under the trait, the cooperative pool still runs
    /// tasks. Without it each body would hold one of the pool's threads and nothing async could run — not even
    /// Swift Testing's time limit — so a watchdog on a plain thread frees the bodies after 30 s and the test fails.
    @Test func blockedBodiesLeaveThePoolFree() async throws {
        final class Flags: Sendable {
            let started = Atomic<Int>(0)
            let watchdogFired = Atomic<Bool>(false)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let flags = Flags(), release = DispatchSemaphore(value: 0), checked = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            guard checked.wait(timeout: .now() + 30) == .timedOut else { return }
            flags.watchdogFired.store(true, ordering: .relaxed)
            for _ in 0..<cores { release.signal() }
        }
        let test = try #require(Test.current)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<cores {
                group.addTask {
                    try await OffCooperativePool().provideScope(for: test, testCase: nil) {
                        flags.started.add(1, ordering: .relaxed)
                        release.wait()  // a test body that blocks its thread
                    }
                }
            }
            // Sleeping and waking up need a free thread of the cooperative pool.
            while flags.started.load(ordering: .relaxed) < cores { try await Task.sleep(for: .milliseconds(10)) }
            checked.signal()
            for _ in 0..<cores { release.signal() }
            try await group.waitForAll()
        }
        let fired = flags.watchdogFired.load(ordering: .relaxed)
        #expect(!fired, "the blocked bodies held the cooperative pool")
    }
}
