import ArgumentParser
import DinoSearch

struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the vector index from the catalog, choosing the layout for the store's current size.")

    @OptionGroup var options: StoreOptions

    func run() throws {
        do {
            let store = try Store(at: options.storeDirectory)
            try store.rebuild()
            let stats = try store.stats()
            if options.json { return printJSON(stats) }
            print("rebuilt: \(stats.indexedVectors) vectors, \(stats.layout)")
        } catch {
            throw fail(error)
        }
    }
}
