import ArgumentParser
import DinoSearch

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the store's records and vectors to a folder that numpy, pandas and `dinosearch import` read.",
        discussion: """
            DIR gets vectors.npy (N×D float32, the stored vectors), records.jsonl (one JSON record per row: path, \
            id, size, modified, hash, width, height, added) and store.json ({"model", "dimension", "count"}). \
            DIR must not exist or be empty; it appears only when complete. The store stays searchable meanwhile.
            """)

    @OptionGroup var options: StoreOptions

    @Argument(help: ArgumentHelp("The folder to write.", valueName: "dir"))
    var directory: String

    struct Summary: Encodable {
        var images: Int
        var directory: String
    }

    func run() throws {
        let line = CountProgressLine("exporting")
        do {
            let store = try Store(at: options.storeDirectory, mode: .readOnly)
            let count = try store.export(to: directory) { line.update($0, $1) }
            line.finish()
            if options.json { return printJSON(Summary(images: count, directory: directory)) }
            print("exported \(count) images to \(directory)")
        } catch {
            line.finish()
            throw fail(error)
        }
    }
}
