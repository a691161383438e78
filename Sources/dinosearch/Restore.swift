import ArgumentParser
import DinoSearch
import Foundation

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put quarantined files back where they came from, and into the store again.",
        discussion: """
            Restores every file in the quarantine folder, or those named by their original paths (or HTTP keys). \
            Nothing at an original path is ever overwritten (that file is skipped with the reason); each file's \
            SHA-256 is checked against the journal, whose record and vector of it go back into the store (no model \
            is needed); the journal records each restore.
            """)

    @OptionGroup var options: StoreOptions

    @Option(help: ArgumentHelp("The quarantine folder (default: STORE/quarantine).", valueName: "dir"))
    var quarantine: String?

    @Argument(help: ArgumentHelp("Original paths (or keys) to restore; none: all.", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let report: RestoreReport
        let folder: String
        do {
            let store = try Store(at: options.storeDirectory)
            folder = quarantine ?? store.defaultQuarantineFolder
            guard FileManager.default.fileExists(atPath: folder) else {
                warn("\(folder): no quarantine folder here")
                throw ExitCode(1)
            }
            report = try store.restore(from: folder, paths: paths.isEmpty ? nil : paths)
            try store.flush()
        } catch {
            throw fail(error)
        }
        if options.json { return printJSON(report) }
        for restored in report.restored { print("restored  \(restored.path)") }
        for skipped in report.skipped { print("skipped  \(skipped.path): \(skipped.reason)") }
        warn("\(report.restored.count) restored from \(folder), \(report.skipped.count) skipped")
    }
}
