import DinoImage
import DinoModel
import Foundation
import Synchronization

/// Asks a running `index` to stop after the batch in flight (e.g. from a Ctrl-C handler): what was decoded is
/// embedded and committed, the index file is saved, and `index` returns with `IndexSummary.interrupted` set.
public final class IndexStop: Sendable {
    private let raised = Atomic<Bool>(false)
    public init() {}
    public func request() { raised.store(true, ordering: .relaxed) }
    public var isRequested: Bool { raised.load(ordering: .relaxed) }
}

/// How `SearchEngine.index` treats a folder.
public struct IndexOptions: Sendable {
    /// Walk into hidden files and folders (names starting with ".").
    public var includeHidden = false
    /// Remove from the store the images under the given folders whose files no longer exist.
    public var prune = false
    /// Images per forward pass.
    public var batchSize = 8
    /// Threads reading, hashing and decoding files while the encoder runs. The default, one per core up to 4,
    /// measured best on 2 cores (Benchmarks/README.md): large WebPs and progressive JPEGs decode slower than
    /// the encoder embeds, and a second decoder fills the gaps the first leaves.
    public var decodeThreads = IndexOptions.defaultDecodeThreads
    /// Set `stop.request()` from anywhere to end the run early and cleanly.
    public var stop: IndexStop? = nil

    /// One decode thread per core, up to 4.
    public static var defaultDecodeThreads: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)) }

    public init(
        includeHidden: Bool = false, prune: Bool = false, batchSize: Int = 8,
        decodeThreads: Int = IndexOptions.defaultDecodeThreads
    ) {
        self.includeHidden = includeHidden
        self.prune = prune
        self.batchSize = max(1, batchSize)
        self.decodeThreads = max(1, decodeThreads)
    }
}

/// A file `index` could not use, and why.
public struct IndexFailure: Codable, Sendable, Hashable {
    /// The file, absolute.
    public var path: String
    /// One line: why it was skipped (or, for warnings, what was wrong with it).
    public var reason: String
}

/// What an `index` run did. Counts are files.
public struct IndexSummary: Codable, Sendable {
    /// New files embedded (or new copies of stored bytes, which reuse the stored vector).
    public var added = 0
    /// Files whose bytes changed, embedded again.
    public var updated = 0
    /// Files found at a new path with the same bytes: path updated, no model run.
    public var moved = 0
    /// Files already up to date (including ones touched without changing their bytes).
    public var unchanged = 0
    /// Images removed because their files are gone (`prune`).
    public var removed = 0
    /// Files skipped as unreadable or not decodable, each with the reason.
    public var failed: [IndexFailure] = []
    /// Files indexed from damaged data the decoder could recover (e.g. a truncated JPEG).
    public var warnings: [IndexFailure] = []
    /// The run was stopped early (`IndexOptions.stop`); what it did is committed, the rest waits for the next run.
    public var interrupted = false
}

/// Progress of an `index` run, reported after every batch.
public struct IndexProgress: Sendable {
    /// Files that needed work (reading, hashing, maybe embedding), and how many of them are done.
    public var total: Int
    public var done: Int
    /// Images through the encoder so far, and the time since the run started.
    public var embedded: Int
    public var elapsed: Double
}

extension SearchEngine {
    /// Brings the store up to date with the images under `paths` (folders walked recursively, or files).
    ///
    /// New files are embedded; files whose size or modification time changed are hashed and embedded again
    /// only if their bytes changed; a file found at a new path with the bytes of a vanished one keeps its
    /// vector (path updated). Reading and decoding run on `options.decodeThreads` threads feeding the
    /// encoder through a bounded queue; each batch is committed as it finishes, so an interrupted run loses
    /// at most the batch in flight and the next run resumes from there.
    /// - Throws: `StoreError` or `ModelError` when the store or the model fails (bad image files never throw:
    ///   they are reported in `IndexSummary.failed`); `ImageError(.unreadable)` for a path that does not exist.
    public func index(
        _ paths: [String], options: IndexOptions = IndexOptions(), progress: (@Sendable (IndexProgress) -> Void)? = nil
    ) throws -> IndexSummary {
        for path in paths where FileStatus(path) == nil {
            throw ImageError(.unreadable, path: path, "no such file or directory")
        }
        try store.recordIndexedFolders(paths)
        let started = Date()
        var summary = IndexSummary()
        let files = FileWalker(includeHidden: options.includeHidden).files(under: paths, failures: &summary.failed)

        // Files whose catalog entry still matches their size and modification time need nothing.
        var jobs: [IndexJob] = []
        for (path, status) in files {
            let record = try store.record(path: path)
            if let record, record.fileSize == status.size, record.modified == status.modified {
                summary.unchanged += 1
            } else {
                jobs.append(IndexJob(path: path, status: status, existing: record))
            }
        }

        let queue = BoundedQueue<IndexItem>(capacity: 2 * options.batchSize)
        let preparer = ItemPreparer(store: store, preprocessing: preprocessing, jobs: jobs)
        let finished = DispatchGroup()
        for _ in 0..<options.decodeThreads {
            finished.enter()
            Thread.detachNewThread {
                preparer.run(into: queue)
                finished.leave()
            }
        }
        DispatchQueue.global().async {
            finished.wait()
            queue.finish()
        }
        defer { queue.cancel() }

        // The encoder thread: batches fill as items arrive and commit when full; the last one when the
        // decoders are done.
        var committer = Committer(engine: self, summary: summary, batchSize: options.batchSize)
        var done = 0
        while let item = queue.pop() {
            let before = committer.embedded
            try committer.take(item)
            done += 1
            if committer.embedded != before || done % 64 == 0 {
                progress?(IndexProgress(total: jobs.count, done: done, embedded: committer.embedded,
                                        elapsed: Date().timeIntervalSince(started)))
            }
            if options.stop?.isRequested == true {
                queue.cancel()  // decoders stop; what they already handed over is still committed below
                committer.summary.interrupted = true
                break
            }
        }
        try committer.flush()
        summary = committer.summary

        if options.prune && !summary.interrupted {
            let roots = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            let gone = try store.records().filter { record in
                roots.contains { record.path == $0 || record.path.hasPrefix($0 == "/" ? "/" : $0 + "/") }
                    && FileStatus(record.path) == nil
            }
            summary.removed = try store.remove(ids: gone.map(\.id))
        }
        try store.flush()
        if !jobs.isEmpty { progress?(IndexProgress(total: jobs.count, done: done, embedded: committer.embedded,
                                elapsed: Date().timeIntervalSince(started))) }
        return summary
    }
}

/// A file that needs reading: new, or changed since the catalog saw it.
struct IndexJob: Sendable {
    var path: String
    var status: FileStatus
    var existing: ImageRecord?
}

/// What a decode thread hands the encoder thread.
enum IndexItem: Sendable {
    /// Needs the model.
    case embed(IndexJob, hash: String, image: PreparedImage)
    /// Same bytes as images already stored (`candidates`): a move, or a copy reusing the vector.
    case reuse(IndexJob, hash: String, candidates: [UInt64])
    /// Size or time changed, bytes did not.
    case touch(IndexJob)
    case failed(IndexFailure)
}

/// Reads, hashes and decodes jobs on worker threads.
final class ItemPreparer: @unchecked Sendable {  // `next` is guarded by `lock`; the rest is immutable
    let store: Store
    let preprocessing: Preprocessing
    let jobs: [IndexJob]
    private let lock = NSLock()
    private var next = 0

    init(store: Store, preprocessing: Preprocessing, jobs: [IndexJob]) {
        self.store = store
        self.preprocessing = preprocessing.withOneThreadPerImage
        self.jobs = jobs
    }

    func run(into queue: BoundedQueue<IndexItem>) {
        while true {
            lock.lock()
            let i = next
            next += 1
            lock.unlock()
            guard i < jobs.count else { return }
            guard queue.push(prepare(jobs[i])) else { return }
        }
    }

    func prepare(_ job: IndexJob) -> IndexItem {
        do {
            let bytes = try ImageFile.read(job.path)
            let hash = SearchEngine.contentHash(bytes)
            if let existing = job.existing, existing.contentHash == hash { return .touch(job) }
            if job.existing == nil {
                let candidates = try store.ids(withContentHash: hash)
                if !candidates.isEmpty { return .reuse(job, hash: hash, candidates: candidates) }
            }
            return .embed(job, hash: hash, image: try preprocessing.load(bytes))
        } catch let error as ImageError {
            return .failed(IndexFailure(path: job.path, reason: error.message))
        } catch {
            return .failed(IndexFailure(path: job.path, reason: "\(error)"))
        }
    }
}

/// Applies items to the store on the encoder thread, embedding in batches.
struct Committer {
    let engine: SearchEngine
    var summary: IndexSummary
    let batchSize: Int
    var pending: [(IndexJob, String, PreparedImage)] = []
    var embedded = 0
    /// Ids moved during this run: a second copy of the same bytes must not move them again.
    var moved = Set<UInt64>()

    init(engine: SearchEngine, summary: IndexSummary, batchSize: Int) {
        self.engine = engine
        self.summary = summary
        self.batchSize = batchSize
    }

    mutating func take(_ item: IndexItem) throws {
        let store = engine.store
        switch item {
        case .embed(let job, let hash, let image):
            pending.append((job, hash, image))
            if let warning = image.warning { summary.warnings.append(IndexFailure(path: job.path, reason: warning)) }
            if pending.count >= batchSize { try flush() }
        case .touch(let job):
            try store.touch(id: job.existing!.id, fileSize: job.status.size, modified: job.status.modified)
            summary.unchanged += 1
        case .reuse(let job, let hash, let candidates):
            let records = try candidates.compactMap { id throws(StoreError) in try store.record(id: id) }
            if let vanished = records.first(where: { !moved.contains($0.id) && FileStatus($0.path) == nil }) {
                try store.move(id: vanished.id, to: job.path)
                try store.touch(id: vanished.id, fileSize: job.status.size, modified: job.status.modified)
                moved.insert(vanished.id)
                summary.moved += 1
            } else if let source = records.first, let vector = try store.vector(id: source.id) {
                try store.add([NewImage(
                    path: job.path, fileSize: job.status.size, modified: job.status.modified, contentHash: hash,
                    width: source.width, height: source.height, vector: vector)])
                summary.added += 1
            } else {
                // The stored copies vanished between hashing and now: embed after all.
                try pending.append((job, hash, engine.preprocessing.load(contentsOf: job.path)))
            }
        case .failed(let failure):
            summary.failed.append(failure)
        }
    }

    /// Embeds the pending images and commits them in one transaction.
    mutating func flush() throws {
        guard !pending.isEmpty else { return }
        let vectors = try engine.embed(pending.map(\.2))
        var images: [NewImage] = []
        for ((job, hash, image), vector) in zip(pending, vectors) {
            images.append(NewImage(
                path: job.path, fileSize: job.status.size, modified: job.status.modified, contentHash: hash,
                width: image.width, height: image.height, vector: vector))
            if job.existing == nil { summary.added += 1 } else { summary.updated += 1 }
        }
        try engine.store.add(images)
        embedded += images.count
        pending.removeAll(keepingCapacity: true)
    }
}
