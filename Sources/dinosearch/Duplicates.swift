import ArgumentParser
import DinoSearch
import Foundation

struct Duplicates: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find groups of near-duplicate images in the store, or stored images that duplicate others.",
        discussion: """
            Each image's nearest neighbours are searched; pairs with cosine >= --threshold are joined, and \
            connected groups reported with one image to keep (under a --keep-in folder first, then the most pixels, \
            the largest file, the oldest, the path). Byte-identical files are always one group. \
            --against PATH... instead lists stored images that duplicate those images (files, folders, or another \
            store's directory). Reads only, unless --quarantine: no file is ever deleted or changed.

            --quarantine moves every image that is not kept into a quarantine folder (--quarantine-folder, default \
            STORE/quarantine), keeping its path below the folder it was indexed from, and forgets it in the store; \
            a journal there (journal.jsonl) records each move before it happens, and `dinosearch restore` puts files \
            back. Files under a --keep-in folder, files changed since they were indexed and symbolic links are never \
            moved (reported as skipped). --dry-run prints the plan and moves nothing.
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp(
        "Cosine at or above which two images are near-duplicates; a starting point to tune (README).", valueName: "score"))
    var threshold: Float = DuplicateParameters().threshold

    @Option(help: ArgumentHelp("Neighbours searched per image (the DINOv2 paper used 64).", valueName: "k"))
    var neighbors = DuplicateParameters().neighbors

    @Option(help: ArgumentHelp(
        "IVF lists visited per neighbour search on a large store (default: at least 32, a 64th of the lists).",
        valueName: "n"))
    var nprobe: Int?

    @Option(help: ArgumentHelp("Keep images under this folder before any other (repeatable).", valueName: "dir"))
    var keepIn: [String] = []

    @Flag(help: "Print only the paths of images that are not kept, one per line.")
    var redundant = false

    @Flag(name: .customShort("0"), help: "With --redundant: end each path with NUL instead of a newline.")
    var nul = false

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Report stored images that duplicate these images, folders or store directories.", valueName: "path"))
    var against: [String] = []

    @Flag(help: "Move the images that are not kept into the quarantine folder and forget them in the store.")
    var quarantine = false

    @Option(help: ArgumentHelp("The quarantine folder (default: STORE/quarantine).", valueName: "dir"))
    var quarantineFolder: String?

    @Flag(help: "With --quarantine: print what would move, and move nothing.")
    var dryRun = false

    func validate() throws {
        guard (-1...1).contains(threshold) else { throw ValidationError("'--threshold' must be between -1 and 1") }
        guard neighbors >= 1 else { throw ValidationError("'--neighbors' must be at least 1") }
        if let nprobe, nprobe < 1 { throw ValidationError("'--nprobe' must be at least 1") }
        if nul && !redundant { throw ValidationError("'-0' goes with '--redundant'") }
        if redundant && options.json { throw ValidationError("'--redundant' and '--json' are mutually exclusive") }
        if !against.isEmpty && (redundant || !keepIn.isEmpty || quarantine) {
            throw ValidationError("'--against' lists matches: '--redundant', '--keep-in' and '--quarantine' do not apply")
        }
        if (dryRun || quarantineFolder != nil) && !quarantine {
            throw ValidationError("'--dry-run' and '--quarantine-folder' go with '--quarantine'")
        }
        if quarantine && redundant { throw ValidationError("'--quarantine' and '--redundant' are mutually exclusive") }
    }

    struct Kept: Encodable { var path: String; var id: UInt64; var width: Int; var height: Int }
    struct Member: Encodable { var path: String; var id: UInt64; var score: Float }
    struct Group: Encodable { var keep: Kept; var duplicates: [Member] }
    struct Report: Encodable { var images: Int; var groups: [Group] }
    struct Match: Encodable { var path: String; var id: UInt64; var match: String; var score: Float }
    struct Matches: Encodable { var matches: [Match] }

    func run() async throws {
        if !against.isEmpty { return try await runAgainst() }
        let bar = CurationProgressLine()
        let report: DuplicateReport
        let store: Store
        do {
            store = try Store(at: options.storeDirectory, mode: quarantine && !dryRun ? .readWrite : .readOnly)
            let parameters = DuplicateParameters(threshold: threshold, neighbors: neighbors, keepIn: keepIn, nprobe: nprobe)
            report = try await cancellingOnInterrupt { try await store.duplicates(parameters, progress: bar.update) }
            bar.finish()
        } catch {
            bar.finish()
            throw fail(error)
        }
        if quarantine { return try moveToQuarantine(report, store: store) }
        if redundant {
            for path in report.redundant { FileHandle.standardOutput.write(Data((path + (nul ? "\0" : "\n")).utf8)) }
        } else if options.json {
            printJSON(Report(images: report.images, groups: report.groups.map { group in
                Group(keep: Kept(path: group.keep.path, id: group.keep.id, width: group.keep.width, height: group.keep.height),
                      duplicates: group.duplicates.map { Member(path: $0.record.path, id: $0.record.id, score: $0.score) })
            }))
        } else {
            for (i, group) in report.groups.enumerated() {
                print((i > 0 ? "\n" : "") + "group \(i + 1): \(group.count) images")
                print("  keep   \(group.keep.path)  (\(group.keep.width)×\(group.keep.height))")
                for member in group.duplicates { print(String(format: "  %.3f  %@", member.score, member.record.path)) }
            }
        }
        let redundantCount = report.groups.reduce(0) { $0 + $1.duplicates.count }
        warn("\(report.images) images, \(report.groups.count) groups of near-duplicates, \(redundantCount) not kept")
    }

    /// Applies the keep rule: every image of every group but the kept one goes to the quarantine.
    func moveToQuarantine(_ report: DuplicateReport, store: Store) throws {
        let folder = quarantineFolder ?? store.defaultQuarantineFolder
        let requests = report.groups.flatMap { group in
            group.duplicates.map { QuarantineRequest(path: $0.record.path, kept: group.keep.path) }
        }
        let done: QuarantineReport
        do {
            done = try store.quarantine(requests, into: folder, protecting: keepIn, dryRun: dryRun)
            if !dryRun { try store.flush() }
        } catch {
            throw fail(error)
        }
        if options.json { return printJSON(done) }
        let verb = dryRun ? "would move" : "moved"
        for moved in done.moved {
            print("\(verb)  \(moved.path)  →  \(moved.to ?? "(forgotten: added over HTTP)")  (kept: \(moved.kept ?? "-"))")
        }
        for skipped in done.skipped { print("skipped  \(skipped.path): \(skipped.reason)") }
        warn("\(report.groups.count) groups: \(done.moved.count) \(dryRun ? "would be moved" : "moved to \(folder)"), "
             + "\(done.skipped.count) skipped" + (dryRun ? "" : "; `dinosearch restore --quarantine \(folder)` puts them back"))
    }

    func runAgainst() async throws {
        let matches: [DuplicateMatch]
        do {
            let engine = try SearchEngine(
                store: options.storeDirectory, model: modelOptions.model, mode: .readOnly,
                preprocessing: modelOptions.preprocessing)
            let seeds = try await engine.vectors(of: against, stores: true)
            for skipped in seeds.skipped { warn("skipped \(skipped.path): \(skipped.reason)") }
            matches = try engine.store.duplicates(of: seeds.vectors, threshold: threshold)
        } catch {
            throw fail(error)
        }
        if options.json {
            return printJSON(Matches(matches: matches.map {
                Match(path: $0.record.path, id: $0.record.id, match: $0.match, score: $0.score)
            }))
        }
        for match in matches { print(String(format: "%.3f  %@  ~  %@", match.score, match.record.path, match.match)) }
        warn("\(matches.count) stored images duplicate the given images")
    }
}
