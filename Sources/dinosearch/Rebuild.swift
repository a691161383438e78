import ArgumentParser
import DinoSearch

struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the vector index from the catalog, with the layout recommended for the store's size or the one named.",
        discussion: """
            --layout exact: every vector compared (the true top k); ivf: inverted lists with 4-bit PQ, candidates \
            re-ranked exactly (Indexes/README.md); or any Faiss factory string, e.g. IVF1024,PQ192x4fs or HNSW32.
            """)

    @OptionGroup var options: StoreOptions

    @Option(help: ArgumentHelp("exact, ivf or a Faiss factory string (default: recommended for the store's size).", valueName: "layout"))
    var layout: String?

    func run() throws {
        do {
            let store = try Store(at: options.storeDirectory)
            try store.rebuild(layout: layout.map { IndexLayout(named: $0, count: store.count, dimension: store.dimension) })
            let stats = try store.stats()
            if options.json { return printJSON(stats) }
            print("rebuilt: \(stats.indexedVectors) vectors, \(stats.layout)")
        } catch {
            throw fail(error)
        }
    }
}
