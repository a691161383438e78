import Foundation

/// How an IVF index's probe count was chosen: measured on vectors drawn from the store when the index was built,
/// against their exact neighbours (autofaiss's rule, and the Faiss wiki's: the fewest lists that reach a recall).
/// Stored with the layout, shown by `dinosearch stats`.
public struct ProbeCalibration: Sendable, Hashable, Codable {
    /// The recall@k asked for; nil when the probe count was given (`rebuild --nprobe`) and only measured.
    public var target: Double?
    /// Mean recall@k at the chosen probe count: the share of each query's k exact neighbours among the candidates
    /// that search re-ranks, so also the recall of the re-ranked answer; the lower of two kinds of queries, stored
    /// vectors and blends of three (`ProbeCalibrator` says why).
    public var recall: Double
    public var k: Int
    /// How many queries of each kind it was measured on.
    public var queries: Int
    /// Candidates re-ranked per query at k results (the layout's, or the more the target needed).
    public var candidates: Int
    /// How many times the layout's own candidates that is (1, 2, 4 or 8).
    public var candidateScale: Int
    /// Median time of one query through the index at the chosen probe count, in microseconds.
    public var microsecondsPerQuery: Double
    /// Whether the latency budget held the probe count below the one the target needs.
    public var cappedByLatency: Bool
    /// The near-duplicate graph's probe count, measured the same way on the pairs at cosine ≥ 0.9 among the
    /// queries' neighbours; nil when too few such pairs were drawn to measure it (the rule applies then).
    public var duplicateNprobe: Int?
}

/// How a rebuild picks an IVF index's probe count.
public enum ProbeChoice: Sendable, Hashable {
    /// The fewest lists that reach this recall@10 on queries drawn from the store, within the latency budget.
    case measured(recall: Double)
    /// This many lists, whatever recall that reaches (measured and recorded all the same).
    case fixed(Int)

    /// Recall@10 ≥ 0.95 (autofaiss's default is 0.99 of the exact results at k=10; photo search tolerates a
    /// little less, and the candidates are re-ranked exactly).
    public static let standard = ProbeChoice.measured(recall: 0.95)
}

/// The measurement behind `ProbeCalibration`: sample queries, their exact neighbours, and recall per probe count.
///
/// The recall is measured on two kinds of queries, and the lower counts: stored vectors (their own neighbours,
/// themselves excluded: queries like the store's contents) and blends of three stored vectors (their normalised
/// sum: queries between the contents, with no copy in the store). Neither is always the harder. On the curve's
/// vectors (`Benchmarks/store/make_curve_vectors.py`: near-copies of texts; held-out texts as queries) recall@10
/// 0.95 at 1M took 3 lists for stored vectors, 50 for blends and 45 for the held-out queries; on the tests'
/// clustered vectors, where held-out queries are drawn like the stored ones, stored vectors needed 67 lists
/// (held-out: 0.948 there) and blends 52. The stored vectors also give the near-duplicate graph's count.
struct ProbeCalibrator {
    /// Stored vectors drawn (fewer in a smaller store); as many blends are made from them.
    static let queryCount = 1000
    static let k = 10
    /// A probe count whose median query takes longer than this is not chosen (p99 ≤ 10 ms is the goal at 10M).
    static let latencyBudget = 0.005
    /// What re-ranking one candidate costs (a lookup and a float16 dot product: Indexes/README.md), to weigh more
    /// candidates against more lists.
    static let rerankSecondsPerCandidate = 1.5e-6
    /// Near-duplicate pairs: the cosine they are measured at, the share to find, and the fewest to measure on.
    static let duplicateCosine: Float = 0.9
    static let duplicateRecall = 0.99
    static let duplicatePairsNeeded = 20
    /// The id of a query that is not a stored vector.
    static let notStored = UInt64.max

    let dimension: Int
    /// Query vectors, row-major: the drawn stored vectors, then (after `addBlends`) the blends; and their ids
    /// (`notStored` for blends).
    var queries: [Float] = []
    var queryIDs: [UInt64] = []
    /// Each query's best `k + 1` (score, id) from the exact scan, itself included, best first.
    var neighbours: [[(score: Float, id: UInt64)]] = []

    /// The rows drawn for a store of `count` vectors: the middles of `queryCount` equal spans (the training sample
    /// takes the starts).
    static func queryRows(count: Int) -> [Int] {
        let n = min(queryCount, count)
        return (0..<n).map { (2 * $0 + 1) * count / (2 * n) }
    }

    /// Appends one blend per drawn vector: it and the drawn vectors a third and two thirds of the catalog further on.
    mutating func addBlends() {
        let n = queryIDs.count
        guard n > 0 else { return }
        for i in 0..<n {
            var blend = [Float](repeating: 0, count: dimension)
            for j in [i, (i + n / 3) % n, (i + 2 * n / 3) % n] {
                for c in 0..<dimension { blend[c] += queries[j * dimension + c] }
            }
            let norm = blend.reduce(0) { $0 + $1 * $1 }.squareRoot()
            queries += norm > 0 ? blend.map { $0 / norm } : queries[(i * dimension)..<((i + 1) * dimension)].map { $0 }
            queryIDs.append(Self.notStored)
        }
    }

    /// Folds one chunk of stored vectors into the exact neighbours (flat inner product through Faiss's BLAS path).
    mutating func scan(_ vectors: [Float], ids: [UInt64]) throws(StoreError) {
        guard !ids.isEmpty, !queryIDs.isEmpty else { return }
        if neighbours.isEmpty { neighbours = Array(repeating: [], count: queryIDs.count) }
        let flat = try VectorIndex.make(.exact, dimension: dimension)
        try flat.add(vectors, ids: ids.map { Int64(bitPattern: $0) })
        let found = try flat.search(queries, k: min(Self.k + 1, ids.count))
        for (q, list) in found.enumerated() {
            var merged = neighbours[q] + list.map { (score: $0.score, id: UInt64(bitPattern: $0.id)) }
            merged.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
            neighbours[q] = Array(merged.prefix(Self.k + 1))
        }
    }

    /// Chooses `index`'s probe count (and leaves it set) and the candidates re-ranked per result, recording both in
    /// `layout`: the fewest lists reaching the target (plus two standard errors of the sample) with the layout's
    /// candidates; where even every list does not (a codec too coarse for the data), or more candidates buy a
    /// cheaper query, twice, four or eight times the candidates. A fixed count keeps the layout's candidates and
    /// only measures.
    func calibrate(_ index: VectorIndex, layout: inout IndexLayout, choice: ProbeChoice) throws(StoreError) -> ProbeCalibration {
        let lists = IndexLayout.lists(in: layout.factory) ?? 1
        // Truth: each query's k exact neighbours (a stored vector's without itself, which is searched for one more).
        let stored = queryIDs.prefix { $0 != Self.notStored }.count
        let storedQueries = Array(queries[..<(stored * dimension)]), blends = Array(queries[(stored * dimension)...])
        let storedTruth = zip(queryIDs.prefix(stored), neighbours).map { id, list in
            list.filter { $0.id != id }.prefix(Self.k).map(\.id)
        }
        let truth = neighbours[stored...].map { $0.prefix(Self.k).map(\.id) }
        func candidates(_ scale: Int) -> Int { max(Self.k * layout.candidatesPerResult, layout.minimumCandidates) * scale }
        /// The lower recall of the two kinds of queries.
        func lowerRecall(_ nprobe: Int, candidates: Int) throws(StoreError) -> Double {
            min(try Self.recall(index, nprobe: nprobe, queries: storedQueries, candidates: candidates + 1, truth: storedTruth),
                try Self.recall(index, nprobe: nprobe, queries: blends, candidates: candidates, truth: truth))
        }

        var (nprobe, scale, target): (Int, Int, Double?)
        var latency: Double
        var capped = false
        switch choice {
        case .fixed(let count):
            (nprobe, scale, target) = (min(max(count, 1), lists), 1, nil)
            latency = try Self.medianLatency(index, nprobe: nprobe, queries: blends, candidates: candidates(1))
        case .measured(let wanted):
            target = wanted
            // Two standard errors above the target: the queries are a sample, and queries from outside the store
            // must reach it too (at 30k vectors, 1,000 held-out queries found 0.948 where the store's own found 0.950).
            let slots = Double(max(truth.reduce(0) { $0 + $1.count }, 1))
            let needed = min(1, wanted + 2 * (wanted * (1 - wanted) / slots).squareRoot())
            // Each candidate count's fewest lists, costed as index time plus re-ranking time.
            var best: (cost: Double, nprobe: Int, scale: Int, latency: Double)?
            for tried in [1, 2, 4, 8] {
                var measured: [Int: Double] = [:]
                func recall(_ p: Int) throws(StoreError) -> Double {
                    if let known = measured[p] { return known }
                    let value = try lowerRecall(p, candidates: candidates(tried))
                    measured[p] = value
                    return value
                }
                let fewest = try Self.smallest(upTo: lists, reaching: needed, recall)
                guard try recall(fewest) >= needed else { continue }  // even every list falls short
                let time = try Self.medianLatency(index, nprobe: fewest, queries: blends, candidates: candidates(tried))
                let cost = time + Double(candidates(tried)) * Self.rerankSecondsPerCandidate
                if best.map({ cost < $0.cost }) ?? true { best = (cost, fewest, tried, time) }
                if fewest == 1 || (best.map { $0.scale < tried } ?? false) { break }  // more candidates stopped paying
            }
            // Unreachable within eight times the candidates: every list, with the most candidates tried.
            if let best {
                (nprobe, scale, latency) = (best.nprobe, best.scale, best.latency)
            } else {
                (nprobe, scale) = (lists, 8)
                latency = try Self.medianLatency(index, nprobe: lists, queries: blends, candidates: candidates(8))
            }
            // Over the budget: scale the probe count down (time grows about linearly with it) until it fits.
            while latency > Self.latencyBudget && nprobe > 1 {
                nprobe = max(1, Int(Double(nprobe) * Self.latencyBudget / latency * 0.9))
                latency = try Self.medianLatency(index, nprobe: nprobe, queries: blends, candidates: candidates(scale))
                capped = true
            }
        }
        let reached = try lowerRecall(nprobe, candidates: candidates(scale))
        layout.candidatesPerResult *= scale
        layout.minimumCandidates *= scale

        // The duplicate graph searches 16 neighbours + itself from each stored vector; its pairs sit in nearby lists.
        let duplicates = zip(queryIDs.prefix(stored), neighbours).map { id, list in
            list.filter { $0.id != id && $0.score >= Self.duplicateCosine }.map(\.id)
        }
        var duplicateNprobe: Int?
        if duplicates.reduce(0, { $0 + $1.count }) >= Self.duplicatePairsNeeded {
            var found: [Int: Double] = [:]
            duplicateNprobe = try Self.smallest(upTo: nprobe, reaching: Self.duplicateRecall) { (p) throws(StoreError) in
                if let known = found[p] { return known }
                let value = try Self.recall(index, nprobe: p, queries: storedQueries, candidates: 17, truth: duplicates)
                found[p] = value
                return value
            }
        }
        index.nprobe = nprobe
        layout.nprobe = nprobe
        return ProbeCalibration(
            target: target, recall: reached, k: Self.k, queries: blends.count / max(dimension, 1),
            candidates: candidates(scale), candidateScale: scale, microsecondsPerQuery: (latency * 1e6).rounded(),
            cappedByLatency: capped, duplicateNprobe: duplicateNprobe)
    }

    /// The fewest probes in 1...limit whose recall reaches `target` (`limit` if none does): doubling, then halving
    /// the last gap (recall grows with the probe count).
    static func smallest(upTo limit: Int, reaching target: Double, _ recall: (Int) throws(StoreError) -> Double) throws(StoreError) -> Int {
        var high = 1
        while high < limit, try recall(high) < target { high = min(2 * high, limit) }
        var low = high / 2  // recall(low) < target, or low == 0
        while high - low > 1 {
            let middle = (low + high) / 2
            if try recall(middle) >= target { high = middle } else { low = middle }
        }
        return high
    }

    /// Mean share of each query's truth found among its `candidates` at `nprobe` (queries without truth skipped).
    static func recall(
        _ index: VectorIndex, nprobe: Int, queries: [Float], candidates: Int, truth: [[UInt64]]
    ) throws(StoreError) -> Double {
        index.nprobe = nprobe
        let found = try index.search(queries, k: min(candidates, max(index.count, 1)))
        var (hits, total) = (0, 0)
        for (list, wanted) in zip(found, truth) where !wanted.isEmpty {
            let ids = Set(list.map { UInt64(bitPattern: $0.id) })
            hits += wanted.count { ids.contains($0) }
            total += wanted.count
        }
        return total == 0 ? 1 : Double(hits) / Double(total)
    }

    /// Median seconds of one query at a time (the first 100 queries) through the index.
    static func medianLatency(_ index: VectorIndex, nprobe: Int, queries: [Float], candidates: Int) throws(StoreError) -> Double {
        index.nprobe = nprobe
        let dimension = index.dimension
        let n = min(queries.count / max(dimension, 1), 100)
        guard n > 0 else { return 0 }
        var times: [Double] = []
        for q in 0..<n {
            let query = Array(queries[(q * dimension)..<((q + 1) * dimension)])
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try index.search(query, k: min(candidates, max(index.count, 1)))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[n / 2]
    }
}
