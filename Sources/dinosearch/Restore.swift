import ArgumentParser
import DinoSearch
import Foundation

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put quarantined files back where they came from and index them again.",
        discussion: """
            Restores every file in the quarantine folder, or those named by their original paths (or HTTP keys). \
            Nothing at an original path is ever overwritten (that file is skipped with the reason); each file's \
            SHA-256 is checked against the journal; the journal records each restore.
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("The quarantine folder (default: STORE/quarantine).", valueName: "dir"))
    var quarantine: String?

    @Argument(help: ArgumentHelp("Original paths (or keys) to restore; none: all.", valueName: "path"))
    var paths: [String] = []

    func run() async throws {
        let report: RestoreReport
        let folder: String
        do {
            let engine = try SearchEngine(
                store: options.storeDirectory, model: modelOptions.model, preprocessing: modelOptions.preprocessing)
            folder = quarantine ?? engine.store.defaultQuarantineFolder
            guard FileManager.default.fileExists(atPath: folder) else {
                warn("\(folder): no quarantine folder here")
                throw ExitCode(1)
            }
            report = try await engine.restore(from: folder, paths: paths.isEmpty ? nil : paths)
            try engine.store.flush()
        } catch {
            throw fail(error)
        }
        if options.json { return printJSON(report) }
        for restored in report.restored { print("restored  \(restored.path)") }
        for skipped in report.skipped { print("skipped  \(skipped.path): \(skipped.reason)") }
        warn("\(report.restored.count) restored from \(folder), \(report.skipped.count) skipped")
    }
}
