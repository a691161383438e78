import Foundation

/// Which Faiss index a store uses, and its parameters. Chosen by `IndexLayout.recommended(for:dimension:)` from
/// the measurements in Indexes/README.md; stored in the catalog and in the index file so a mismatch is noticed.
public struct IndexLayout: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The Faiss factory string: "IDMap2,Flat" or "IVF{nlist},PQ{m}x4fs" ...
    public var factory: String
    /// IVF lists visited per search (nil for exact layouts).
    public var nprobe: Int?
    /// Candidates fetched per result before exact re-ranking (k · this, at least `minimumCandidates`).
    public var candidatesPerResult: Int
    public var minimumCandidates: Int
    /// How many vectors the index was trained on (0 for layouts that need no training).
    public var trainedOn: Int
    /// How `nprobe` was measured when the index was built; nil for layouts without lists and for stores built
    /// before probe counts were measured (they used `nprobe(lists:)`).
    public var calibration: ProbeCalibration? = nil

    public var description: String {
        var text = factory
        if let nprobe { text += ", nprobe \(nprobe)" }
        if let c = calibration {
            text += String(format: " (recall@%d %.3f on 2×%d queries from its vectors, %.2f ms a query",
                           c.k, c.recall, c.queries, c.microsecondsPerQuery / 1000)
            if let target = c.target { text += String(format: "; target %.2f", target) }
            if c.cappedByLatency { text += ", held back by the latency budget" }
            text += ")"
        }
        if trainedOn > 0 { text += ", trained on \(trainedOn)" }
        return text
    }

    /// Exact inner-product search over every vector: the true top-k, and fast enough well past 100k vectors.
    public static let exact = IndexLayout(
        factory: "IDMap2,Flat", nprobe: nil, candidatesPerResult: 1, minimumCandidates: 0, trainedOn: 0)

    /// Collections up to this size stay exact (Indexes/README.md: with Faiss built for AVX2, exact search over
    /// 100k vectors of 384 dimensions answers a query in 5 ms; what bounds it is the index file a query process
    /// reads at start, 154 MB at 100k).
    public static let exactLimit = 100_000

    /// The layout for `count` vectors: exact up to `exactLimit`, otherwise IVF with 4-bit fast-scan PQ (trains in
    /// seconds, 110–120 bytes a vector) and an exact re-rank of its candidates.
    public static func recommended(for count: Int, dimension: Int) -> IndexLayout {
        count > exactLimit ? ivf(for: count, dimension: dimension) : .exact
    }

    /// The IVF layout for `count` vectors: about 2·√n lists (a power of two, at least 64), so each list holds
    /// enough training points (Faiss wants 39 per centroid).
    public static func ivf(for count: Int, dimension: Int) -> IndexLayout {
        var lists = 64
        while lists * lists < 4 * count && lists < 65536 { lists *= 2 }
        return ivf(lists: lists, dimension: dimension)
    }

    /// IVF with `lists` lists and 4-bit fast-scan PQ of D/2 sub-quantizers (2 dimensions per 4-bit code: 96 bytes
    /// a vector at 384-d), visiting `nprobe(lists:)` lists and re-ranking 10 candidates per result (at least 100).
    public static func ivf(lists: Int, dimension: Int) -> IndexLayout {
        let m = dimension % 2 == 0 ? dimension / 2 : dimension
        return reranked("IVF\(lists),PQ\(m)x4fs", nprobe: nprobe(lists: lists))
    }

    /// An approximate layout whose candidates are re-ranked exactly: 10 per result, at least 100 (Indexes/README.md).
    static func reranked(_ factory: String, nprobe: Int?) -> IndexLayout {
        IndexLayout(factory: factory, nprobe: nprobe, candidatesPerResult: 10, minimumCandidates: 100, trainedOn: 0)
    }

    /// Lists visited per query: at least 128, and an eighth of them past 1,024 lists. With 100 candidates
    /// re-ranked (Indexes/README.md), recall@10 is 0.981 at 100k real 384-d embeddings (512 lists), 0.982 on the
    /// harder synthetic clusters of the tests, 0.986 at 1M (2,048 lists at 256); half as many lists fell to
    /// 0.959 and 0.924.
    static func nprobe(lists: Int) -> Int { min(lists, max(128, lists / 8)) }

    /// Whether a store of `count` vectors should be rebuilt: it outgrew the exact layout; or its IVF index was
    /// trained on fewer than an eighth of its vectors while a larger sample was possible; or the recommended
    /// number of lists has grown fourfold (the store sixteenfold).
    public func rebuildAdvised(count: Int, dimension: Int) -> Bool {
        if isExact { return count > Self.exactLimit }
        guard trainedOn > 0 else { return false }  // a forced layout that needs no training
        if count > 8 * trainedOn && trainedOn < Self.trainingSampleLimit { return true }
        guard let lists = Self.lists(in: factory), let wanted = Self.lists(in: Self.ivf(for: count, dimension: dimension).factory)
        else { return false }
        return wanted >= 4 * lists
    }

    /// The most vectors an index is trained on (spread evenly over the catalog): Faiss's k-means wants 39–256
    /// points per centroid, and 100k covers 2,048 lists with room.
    public static let trainingSampleLimit = 100_000

    /// The layout as chosen before any calibration: the measured choice and its extra candidates removed.
    var uncalibrated: IndexLayout {
        var layout = self
        let scale = calibration?.candidateScale ?? 1
        layout.candidatesPerResult /= scale
        layout.minimumCandidates /= scale
        layout.calibration = nil
        return layout
    }

    /// How a rebuild that recovers this layout (its file lost or damaged) chooses the probe count again: as it was
    /// chosen, by the same target or the same fixed count.
    var probeChoice: ProbeChoice {
        guard let calibration else { return .standard }
        if let target = calibration.target { return .measured(recall: target) }
        return nprobe.map { .fixed($0) } ?? .standard
    }

    /// Exact search: the index's own top k is the answer, with nothing to re-rank.
    var isExact: Bool { factory == Self.exact.factory }
}

extension IndexLayout {
    /// The layout a user names (`dinosearch rebuild --layout`): "exact"; "ivf", the IVF layout recommended for
    /// `count` vectors; or a Faiss factory string. An IVF factory ("IVF1024,PQ96x4fs", "IVF4096,SQ8") visits as
    /// many lists as `nprobe(lists:)` says; another ("HNSW32", "PQ48") is wrapped in IDMap2 so it keeps the store's
    /// ids. Every layout but exact has its candidates re-ranked with the stored vectors. Faiss checks the string
    /// when the index is built.
    public init(named name: String, count: Int, dimension: Int) {
        switch name.lowercased() {
        case "exact", "flat", IndexLayout.exact.factory.lowercased(): self = .exact
        case "ivf": self = .ivf(for: max(count, 1), dimension: dimension)
        default:
            if let lists = Self.lists(in: name) {
                self = .reranked(name, nprobe: Self.nprobe(lists: lists))
            } else {
                self = .reranked(name.hasPrefix("IDMap") ? name : "IDMap2," + name, nprobe: nil)
            }
        }
    }

    /// N of a factory string's "IVFN" component.
    static func lists(in factory: String) -> Int? {
        guard let range = factory.range(of: "IVF") else { return nil }
        return Int(factory[range.upperBound...].prefix { $0.isNumber })
    }
}
