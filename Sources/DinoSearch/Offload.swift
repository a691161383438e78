import Dispatch

/// Runs blocking work (a forward pass, a disk read) on a Dispatch thread, so awaiting it does not hold one of
/// Swift concurrency's few cooperative threads for seconds. `package`: the server's handlers use it too.
package func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try work() })
        }
    }
}
