import ArgumentParser
import DinoSearch
import Foundation

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove images from the store by path.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "Paths of images to remove.")
    var paths: [String]

    struct Summary: Encodable {
        var removed: Int
        var missing: [String]
    }

    func run() throws {
        do {
            let store = try Store(at: options.storeDirectory)
            var ids: [UInt64] = []
            var missing: [String] = []
            for path in paths {
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                if let record = try store.record(path: absolute) { ids.append(record.id) } else { missing.append(path) }
            }
            let removed = try store.remove(ids: ids)
            try store.flush()
            if options.json { return printJSON(Summary(removed: removed, missing: missing)) }
            print("removed \(removed)")
            for path in missing { FileHandle.standardError.write(Data("dinosearch: not in the store: \(path)\n".utf8)) }
        } catch {
            throw fail(error)
        }
    }
}
