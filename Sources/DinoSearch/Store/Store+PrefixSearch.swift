import Foundation

extension Store {
    /// Up to this many images under a prefix are scored one by one on their stored vectors (a few milliseconds);
    /// larger prefixes search the index with a widening candidate list.
    static let exactPrefixLimit = 50_000
    /// Images of a larger prefix scored to check the index's answer.
    static let prefixCheckSample = 1_000

    /// Ids of the images whose key (path) starts with `prefix`, in key order: one range scan of the sorted `paths`
    /// table, so its cost follows the images under the prefix, not the store.
    public func ids(withKeyPrefix prefix: String) throws(StoreError) -> [UInt64] {
        try catalog.environment.read { txn throws(StoreError) in try Self.ids(txn, keyPrefix: Data(prefix.utf8)) }
    }

    static func ids(_ txn: LMDBEnvironment.Transaction, keyPrefix: Data) throws(StoreError) -> [UInt64] {
        // A shortened key (a path past LMDB's key limit) holds the path's first bytes only: a longer prefix is
        // scanned by those, and such keys are checked on their record's whole path.
        let scanned = keyPrefix.prefix(Catalog.pathKeyKept)
        var ids: [UInt64] = []
        try txn.scan("paths", from: scanned) { (key, value) throws(StoreError) in
            guard key.starts(with: scanned) else { return false }
            let id = Catalog.id(value)
            if scanned.count == keyPrefix.count {
                ids.append(id)
            } else if Catalog.isShortened(key) {
                if let record = try Catalog.record(txn, id: id), record.path.utf8.starts(with: keyPrefix) { ids.append(id) }
            } else if key.starts(with: keyPrefix) {
                ids.append(id)
            }
            return true
        }
        return ids
    }

    /// The k images most similar to `vector` among those whose key (path) starts with `prefix`: the multi-user
    /// case, where one store holds every user's photos under `user-42/...` and each user searches their own.
    ///
    /// Never a filter of the store-wide top k: every image under the prefix is a candidate. Up to 50,000 images
    /// under the prefix are all scored on their stored vectors (exact). Beyond that the index is asked for
    /// candidates in rounds of growing size (k × store / prefix × 4, then ×4) until k of them are under the prefix;
    /// those are checked against 1,000 images of the prefix taken at even steps, and if any of those scores higher
    /// than the k-th found (the probed IVF lists missed part of the prefix: a user whose photos lie far from the
    /// query) — or if the index runs out of candidates first — every image under the prefix is scored.
    public func search(_ vector: [Float], k: Int, minimumScore: Float? = nil, prefix: String) throws(StoreError) -> [SearchResult] {
        try search(vector, k: k, minimumScore: minimumScore, prefix: prefix, exactLimit: Self.exactPrefixLimit)
    }

    /// `exactLimit`: the prefix size up to which every image is scored (tests lower it to reach the index path).
    func search(
        _ vector: [Float], k: Int, minimumScore: Float?, prefix: String, exactLimit: Int
    ) throws(StoreError) -> [SearchResult] {
        let query = try normalised(vector, what: "query")
        guard k > 0 else { return [] }
        if mode == .readOnly { try refresh() }
        let keyPrefix = Data(prefix.utf8)
        let members = try catalog.environment.read { txn throws(StoreError) in try Self.ids(txn, keyPrefix: keyPrefix) }
        guard !members.isEmpty else { return [] }

        var candidates = members
        if members.count > exactLimit {
            let allowed = Set(members)
            let found = try indexLock.withShared { () throws(StoreError) -> [UInt64]? in
                let total = index.count
                // Candidates per result grow with how thinly the prefix is spread over the store.
                var wanted = min(total, max(k * max(1, total / members.count) * 4, index.layout.minimumCandidates))
                while true {
                    let hits = try index.search(query, k: wanted)[0]
                    let inside = hits.map { UInt64(bitPattern: $0.id) }.filter { allowed.contains($0) }
                    if inside.count >= k { return inside }
                    // Fewer hits than asked for: the probed lists are exhausted, and asking for more won't help.
                    if wanted >= total || hits.count < wanted { return nil }
                    wanted = min(total, wanted * 4)
                }
            }
            if let found { candidates = found }
        }
        return try catalog.environment.read { txn throws(StoreError) in
            var ranked = try query.withUnsafeBufferPointer { q throws(StoreError) in
                try Catalog.ranked(txn, query: q, ids: candidates, minimum: minimumScore, rows: vectorFile)
            }
            if candidates.count < members.count, ranked.count >= k {
                // Spot-check the index's answer against an even sample of the prefix.
                let kth = ranked[k - 1].score
                let step = max(1, members.count / Self.prefixCheckSample)
                let sample = stride(from: 0, to: members.count, by: step).lazy.map { members[$0] }
                let beaten = try query.withUnsafeBufferPointer { q throws(StoreError) in
                    try Catalog.scores(txn, query: q, ids: sample, minimum: kth, rows: vectorFile).contains { $0.score > kth }
                }
                if beaten {
                    ranked = try query.withUnsafeBufferPointer { q throws(StoreError) in
                        try Catalog.ranked(txn, query: q, ids: members, minimum: minimumScore, rows: vectorFile)
                    }
                }
            }
            // The key is checked again in this snapshot: an id from the index may have been re-keyed since.
            return try Catalog.results(txn, ranked, k: k) { $0.path.utf8.starts(with: keyPrefix) }
        }
    }
}
