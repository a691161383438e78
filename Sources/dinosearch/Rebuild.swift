import ArgumentParser
import DinoSearch

struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the vector index from the catalog, with the layout recommended for the store's size or the one named.",
        discussion: """
            --layout exact: every vector compared (the true top k); ivf: inverted lists with 4-bit PQ, candidates \
            re-ranked exactly (Indexes/README.md); or any Faiss factory string, e.g. IVF1024,PQ192x4fs or HNSW32. \
            An IVF index visits the fewest lists that reach --recall on queries drawn from the store (a thousand of \
            its vectors and as many blends of three, their exact neighbours found by brute force); `stats` shows \
            what was measured.
            """)

    @OptionGroup var options: StoreOptions

    @Option(help: ArgumentHelp("exact, ivf or a Faiss factory string (default: recommended for the store's size).", valueName: "layout"))
    var layout: String?

    @Option(help: ArgumentHelp("Recall@10 the IVF probe count must reach, measured on queries drawn from the store (default 0.95).", valueName: "R"))
    var recall: Double?

    @Option(help: ArgumentHelp("IVF lists visited per query, instead of the measured count (the recall it reaches is still measured).", valueName: "N"))
    var nprobe: Int?

    func validate() throws {
        if recall != nil && nprobe != nil { throw ValidationError("'--recall' and '--nprobe' choose the same thing: give one") }
        if let recall, !(recall > 0 && recall <= 1) { throw ValidationError("'--recall' must be above 0 and at most 1") }
        if let nprobe, nprobe < 1 { throw ValidationError("'--nprobe' must be at least 1") }
    }

    func run() throws {
        do {
            let store = try Store(at: options.storeDirectory)
            let probes: ProbeChoice = nprobe.map { .fixed($0) } ?? .measured(recall: recall ?? 0.95)
            try store.rebuild(layout: layout.map { IndexLayout(named: $0, count: store.count, dimension: store.dimension) },
                              probes: probes)
            let stats = try store.stats()
            if options.json { return printJSON(stats) }
            print("rebuilt: \(stats.indexedVectors) vectors, \(stats.layout)")
        } catch {
            throw fail(error)
        }
    }
}
