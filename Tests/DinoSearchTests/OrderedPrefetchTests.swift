import Foundation
import DinoTestSupport
import Testing

@testable import DinoSearch

/// `OrderedPrefetch`, which reads and decodes ahead of the encoder in `embedFiles`: results in index order whatever
/// order the workers finish in, never more than the window ahead of the consumer, and stopped by `cancel`.
@Suite(.offCooperativePool) struct OrderedPrefetchTests {
    /// Tracks the most items worked on or waiting at once.
    final class Ahead: @unchecked Sendable {
        let lock = NSLock()
        var current = 0, most = 0, started = 0
        func begin() { lock.withLock { current += 1; started += 1; most = max(most, current) } }
        func delivered() { lock.withLock { current -= 1 } }
    }

    @Test func resultsComeInIndexOrderWithinTheWindow() {
        let ahead = Ahead()
        let prefetch = OrderedPrefetch(count: 200, threads: 4, window: 6) { i in
            ahead.begin()
            usleep(UInt32((i * 7919) % 5) * 200)  // workers finish out of order
            return i * i
        }
        var got: [Int] = []
        while let value = prefetch.next() {
            got.append(value)
            ahead.delivered()
        }
        #expect(got == (0..<200).map { $0 * $0 })
        // Six claimed or waiting, plus the one the consumer holds (it counts as delivered once `next` returns).
        #expect(ahead.most <= 7, "\(ahead.most) items in flight with a window of 6")
        #expect(prefetch.next() == nil)
    }

    @Test func cancelStopsTheWorkers() {
        let ahead = Ahead()
        let prefetch = OrderedPrefetch(count: 10_000, threads: 2, window: 4) { i in
            ahead.begin()
            return i
        }
        #expect(prefetch.next() == 0 && prefetch.next() == 1)
        prefetch.cancel()
        usleep(50_000)
        let started = ahead.lock.withLock { ahead.started }
        #expect(started <= 2 + 4 + 2, "\(started) items started after cancel")
        #expect(prefetch.next() == nil)
    }

    @Test func nothingToDo() {
        let prefetch = OrderedPrefetch(count: 0, threads: 3, window: 8) { $0 }
        #expect(prefetch.next() == nil)
    }
}
