import DinoTestSupport
import Foundation
import Synchronization
import Testing

/// The trait that `swift test` relies on to run in parallel on 2 cores (Tests/Support/OffCooperativePool.swift).
@Suite struct OffCooperativePoolTests {
    /// As many blocked test bodies as the machine has cores, each scoped by the trait: once all of them block, a
    /// task on the cooperative pool must still run. Without the trait they would hold every thread of the pool and
    /// the probe would wait out its 30 s.
    @Test func blockedBodiesLeaveThePoolFree() async throws {
        final class State: Sendable {
            let started = Atomic<Int>(0)
            let poolWasFree = Atomic<Bool>(false)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let state = State(), release = DispatchSemaphore(value: 0)
        let test = try #require(Test.current)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<cores {
                group.addTask {
                    try await OffCooperativePool().provideScope(for: test, testCase: nil) {
                        // A test body that blocks its thread; the last one to arrive probes the pool.
                        guard state.started.add(1, ordering: .relaxed).newValue == cores else { return release.wait() }
                        let probe = DispatchSemaphore(value: 0)
                        Task.detached { probe.signal() }
                        state.poolWasFree.store(probe.wait(timeout: .now() + 30) == .success, ordering: .relaxed)
                        for _ in 1..<cores { release.signal() }
                    }
                }
            }
            try await group.waitForAll()
        }
        let free = state.poolWasFree.load(ordering: .relaxed)
        #expect(free, "the blocked bodies held the cooperative pool")
    }
}
