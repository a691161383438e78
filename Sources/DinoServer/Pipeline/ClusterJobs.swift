import DinoSearch
import Foundation
import Synchronization

/// k-means for pages that browse clusters: computed once in the background (the page polls, and shows the
/// progress meanwhile), kept in the store by `Store.cachedCluster` and in memory while the store is unchanged.
/// One clustering runs at a time.
final class ClusterJobs: Sendable {
    enum State: Sendable {
        case ready(Clustering)
        case running(CurationProgress?)
    }

    private struct Job {
        var parameters: KMeansParameters
        var progress: CurationProgress?
        var failure: (any Error)?
        var finished = false
    }

    private struct Memo {
        var key: String
        var sequence: UInt64
        var clustering: Clustering
    }

    let store: Store
    private let job = Mutex<Job?>(nil)
    private let memo = Mutex<Memo?>(nil)

    init(store: Store) { self.store = store }

    /// The clustering if it is ready; else starts it (unless it runs already) and says how far it has got.
    /// - Throws: the error of a run that failed (reported once, then retried on the next call); `APIError`
    ///   `overloaded` while a clustering with other parameters runs.
    func clustering(_ parameters: KMeansParameters) throws -> State {
        let key = Self.key(parameters)
        let sequence = try store.changeSequence()
        if let memo = memo.withLock({ $0 }), memo.key == key, memo.sequence == sequence { return .ready(memo.clustering) }
        if let cached = try store.cachedClusterIfCurrent(parameters) {
            memo.withLock { $0 = Memo(key: key, sequence: sequence, clustering: cached) }
            return .ready(cached)
        }
        return try job.withLock { job throws -> State in
            if let running = job, !running.finished {
                guard Self.key(running.parameters) == key else {
                    throw APIError.overloaded(
                        "another clustering (\(running.parameters.clusters) clusters) is running", retryAfter: 5)
                }
                return .running(running.progress)
            }
            if let done = job, Self.key(done.parameters) == key, let failure = done.failure {
                job = nil
                throw failure
            }
            job = Job(parameters: parameters)
            start(parameters, key: key, sequence: sequence)
            return .running(nil)
        }
    }

    /// The whole-store operation running now, if any.
    var progress: (parameters: KMeansParameters, progress: CurationProgress?)? {
        job.withLock { job in job.flatMap { $0.finished ? nil : ($0.parameters, $0.progress) } }
    }

    private func start(_ parameters: KMeansParameters, key: String, sequence: UInt64) {
        Task.detached { [self] in
            do {
                let clustering = try await store.cachedCluster(parameters) { [self] progress in
                    job.withLock { $0?.progress = progress }
                }
                memo.withLock { $0 = Memo(key: key, sequence: sequence, clustering: clustering) }
                job.withLock { $0?.finished = true }
            } catch {
                job.withLock {
                    $0?.failure = error
                    $0?.finished = true
                }
            }
        }
    }

    static func key(_ parameters: KMeansParameters) -> String {
        "\(parameters.clusters)/\(parameters.seed)/\(parameters.iterations)/\(parameters.pointsPerCentroid)"
    }
}
