import ArgumentParser
import DinoSearch
import Foundation

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Index image folders and files: embed what is new or changed, follow moves, skip the rest.",
        discussion: """
            Images are recognised by content (JPEG, PNG, WebP, HEIC, AVIF, TIFF, GIF, BMP, JPEG XL, camera RAW). Interrupted runs resume where they stopped. \
            Files that cannot be decoded are reported and skipped (exit 0; with --strict, exit 1).
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: ArgumentHelp("Folders (walked recursively) and files.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Also walk hidden files and folders.")
    var hidden = false

    @Flag(help: "Remove from the store the images under these paths whose files no longer exist.")
    var prune = false

    @Flag(help: "Exit 1 if any file could not be indexed.")
    var strict = false

    @Option(help: "Images per forward pass.")
    var batchSize = 8

    @Option(help: "Threads reading and decoding files while the model runs (default: one per core, up to 4).")
    var decodeThreads = IndexOptions.defaultDecodeThreads

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("'--batch-size' must be at least 1") }
        guard decodeThreads >= 1 else { throw ValidationError("'--decode-threads' must be at least 1") }
    }

    func run() throws {
        let bar = IndexProgressLine()
        let summary: IndexSummary
        do {
            let engine = try SearchEngine(
                store: options.storeDirectory, model: modelOptions.model, preprocessing: modelOptions.preprocessing)
            var indexOptions = IndexOptions(
                includeHidden: hidden, prune: prune, batchSize: batchSize, decodeThreads: decodeThreads)
            let stop = IndexStop()
            indexOptions.stop = stop
            let interrupt = Self.stopOnInterrupt(stop)
            defer { interrupt.cancel() }
            summary = try engine.index(paths, options: indexOptions, progress: { bar.update($0) })
            bar.finish()
        } catch {
            bar.finish()
            throw fail(error)
        }
        for warning in summary.warnings { warn("warning: \(warning.path): \(warning.reason)") }
        for failure in summary.failed { warn("skipped \(failure.path): \(failure.reason)") }
        if options.json {
            printJSON(summary)
        } else {
            print("added \(summary.added), updated \(summary.updated), moved \(summary.moved), "
                + "unchanged \(summary.unchanged), removed \(summary.removed), failed \(summary.failed.count)")
        }
        if summary.interrupted {
            warn("interrupted: the batches above are saved; run the same command again to finish")
            throw ExitCode(130)
        }
        if strict && !summary.failed.isEmpty { throw ExitCode(1) }
    }

    /// The first Ctrl-C asks the run to stop after the batch in flight; a second one quits at once
    /// (still safe: every committed batch is in the catalog, and the index file is rebuilt from it if needed).
    static func stopOnInterrupt(_ stop: IndexStop) -> DispatchSourceSignal {
        onInterrupt(alreadyAsked: { stop.isRequested }) {
            stop.request()
            warn("stopping after the current batch (Ctrl-C again to quit now)")
        }
    }
}
