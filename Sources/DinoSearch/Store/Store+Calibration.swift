extension Store {
    /// Measures `target`'s probe count on the vectors of one catalog snapshot (`ProbeCalibrator`) and returns its
    /// layout with the choice recorded; layouts without probes come back unchanged. Two passes over the catalog:
    /// one to draw the queries, one for their exact neighbours, chunk by chunk (memory: one chunk and the queries).
    func calibrated(
        _ target: VectorIndex, layout: IndexLayout, choice: ProbeChoice, txn: LMDBEnvironment.Transaction
    ) throws(StoreError) -> IndexLayout {
        guard layout.nprobe != nil, IndexLayout.lists(in: layout.factory) != nil else { return layout }
        let count = try txn.count("vectors")
        guard count > 0 else { return layout }
        var calibrator = ProbeCalibrator(dimension: dimension)
        let rows = ProbeCalibrator.queryRows(count: count)
        var row = 0
        try Catalog.forEachVector(txn, dimension: dimension) { (id, vector) throws(StoreError) in
            if row == rows[calibrator.queryIDs.count] {
                calibrator.queries += vector
                calibrator.queryIDs.append(id)
            }
            row += 1
            return calibrator.queryIDs.count < rows.count
        }
        calibrator.addBlends()
        try Catalog.forEachVectorChunk(txn, dimension: dimension) { (ids, chunk) throws(StoreError) in
            try calibrator.scan(chunk, ids: ids)
        }
        var layout = layout.uncalibrated
        layout.calibration = try calibrator.calibrate(target, layout: &layout, choice: choice)
        return layout
    }

    /// Measures the live index's probe count again (after an import laid out a new index before its rows were
    /// in): on a copy, so searches meanwhile keep theirs; then the choice is applied and saved.
    func recalibrate(_ choice: ProbeChoice) throws(StoreError) {
        try writer.withLock { (_) throws(StoreError) in
            let current = indexLock.withShared { index }
            guard current.layout.nprobe != nil, IndexLayout.lists(in: current.layout.factory) != nil else { return }
            let copy = try current.copy(nprobe: current.layout.nprobe)
            let layout = try catalog.environment.read { txn throws(StoreError) in
                try calibrated(copy, layout: current.layout, choice: choice, txn: txn)
            }
            indexLock.withExclusive {
                current.layout = layout
                if let nprobe = layout.nprobe { current.nprobe = nprobe }
            }
            try saveIndex()
        }
    }
}
