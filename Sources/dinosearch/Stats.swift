import ArgumentParser
import DinoSearch

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a store holds: images, dimension, model, index layout, sizes on disk.")

    @OptionGroup var options: StoreOptions

    func run() throws {
        do {
            let store = try Store(at: options.storeDirectory, mode: .readOnly)
            let stats = try store.stats()
            if options.json { return printJSON(stats) }
            print("""
                store:      \(store.directory)
                images:     \(stats.images)
                dimension:  \(stats.dimension)
                model:      \(stats.model)
                index:      \(stats.layout) (\(stats.indexedVectors) vectors)
                on disk:    catalog \(stats.catalogBytes) bytes, index \(stats.indexBytes) bytes
                """)
            if stats.rebuildAdvised { print("advice:     run `dinosearch rebuild`: the collection outgrew its index layout") }
        } catch {
            throw fail(error)
        }
    }
}
