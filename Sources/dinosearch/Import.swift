import ArgumentParser
import DinoSearch

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add the images of export folders (vectors.npy, records.jsonl, store.json) to the store.",
        discussion: """
            Folders come from `dinosearch export` or `dinosearch embed --out`. Without a store, one is made from \
            the first folder's store.json (no model file needed); a folder of another model or dimension is refused. \
            Several folders (the shards of a distributed job) are one import: all are checked whole before anything \
            is written, and a store they take past its index layout is trained once, on a sample across all of them. \
            A path already stored is replaced, or left alone if nothing changed: importing twice changes nothing, and \
            an interrupted import finishes when run again.
            """)

    @OptionGroup var options: StoreOptions

    @Argument(help: ArgumentHelp("Folders to import.", valueName: "dir"))
    var directories: [String]

    @Option(help: "Images per transaction.")
    var batchSize = 1000

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("name at least one folder to import") }
        guard batchSize >= 1 else { throw ValidationError("'--batch-size' must be at least 1") }
    }

    func run() throws {
        let total: ImportSummary
        let line = CountProgressLine("importing")
        do {
            let manifest = try Interchange.manifest(in: directories[0])
            let store = try Store(at: options.storeDirectory, dimension: manifest.dimension, model: manifest.model)
            total = try store.import(from: directories, batchSize: batchSize) { line.update($0, $1) }
            line.finish()
        } catch {
            line.finish()
            throw fail(error)
        }
        if options.json { return printJSON(total) }
        print("added \(total.added), updated \(total.updated), unchanged \(total.unchanged)")
    }
}
