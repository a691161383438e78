import ArgumentParser
import DinoImage
import DinoModel
import DinoSearch
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print DINOv2 embeddings (L2-normalised CLS tokens) of images, without touching a store.",
        discussion: """
            --out DIR writes the interchange format that `dinosearch import` reads (vectors.npy, records.jsonl, \
            store.json), so embeddings computed on other machines fill a store; files that cannot be decoded are \
            reported, listed in DIR/failures.jsonl and skipped.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: ArgumentHelp("Images.", valueName: "image"))
    var images: [String] = []

    @Option(help: ArgumentHelp(
        "Also embed the paths in this file, one per line ('-': standard input), for lists longer than a command line.",
        valueName: "file"))
    var filesFrom: String?

    @Flag(name: .long, help: "JSON on stdout: [{\"path\": ..., \"embedding\": [...]}].")
    var json = false

    @Option(help: ArgumentHelp("Write an N×D float32 .npy file (rows in argument order).", valueName: "file"))
    var npy: String?

    @Option(help: ArgumentHelp("Write an interchange folder for `dinosearch import` (must not exist or be empty).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("With --out: threads reading and decoding ahead of the encoder.", valueName: "n"))
    var decodeThreads = IndexOptions.defaultDecodeThreads

    func validate() throws {
        guard decodeThreads >= 1 else { throw ValidationError("'--decode-threads' must be at least 1") }
        if images.isEmpty && filesFrom == nil { throw ValidationError("name images to embed, or '--files-from FILE'") }
        if out != nil && (npy != nil || json) { throw ValidationError("'--out' cannot be combined with '--npy' or '--json'") }
    }

    struct Row: Encodable {
        var path: String
        var embedding: [Float]
    }

    func run() throws {
        var rows: [Row] = []
        var images = images
        do {
            if let filesFrom { images += try Self.paths(listedIn: filesFrom) }
            let encoder = try DinoEncoder(contentsOf: try ModelLocation.resolve(modelOptions.model))
            let prep = modelOptions.preprocessing
            if let out { return try write(images, to: out, encoder: encoder) }
            // Batches of 8, the encoder's best throughput here (Benchmarks/README.md).
            for start in stride(from: 0, to: images.count, by: 8) {
                let chunk = Array(images[start..<min(start + 8, images.count)])
                var prepared: [PreparedImage] = []
                for image in chunk {
                    let item = try prep.load(contentsOf: image)
                    if let warning = item.warning { warn("warning: \(image): \(warning)") }
                    prepared.append(item)
                }
                for (image, embedding) in zip(chunk, try encoder.embed(prepared)) {
                    rows.append(Row(path: image, embedding: embedding))
                }
            }
            if let npy {
                let writer = try NumpyWriter(path: npy, columns: encoder.architecture.width)
                for row in rows { try writer.append(row.embedding) }
                try writer.finish()
            }
        } catch {
            throw fail(error)
        }
        if json { return printJSON(rows) }
        if npy == nil {
            for row in rows { print(row.path + "\t" + row.embedding.map { String(format: "%.6f", $0) }.joined(separator: " ")) }
        }
    }

    /// `--out`: the interchange folder, with a progress line and the failures reported.
    func write(_ images: [String], to directory: String, encoder: DinoEncoder) throws {
        let line = CountProgressLine("embedding")
        let summary = try encoder.embedFiles(
            images, into: directory, preprocessing: modelOptions.preprocessing, decodeThreads: decodeThreads
        ) {
            line.update($0, $1)
        }
        line.finish()
        for failure in summary.failed { warn("skipped \(failure.path): \(failure.reason)") }
        print("embedded \(summary.embedded), failed \(summary.failed.count): \(directory)")
    }

    /// The non-empty lines of `file` (or of standard input for "-"), each a path.
    static func paths(listedIn file: String) throws -> [String] {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ValidationError("cannot read the list \(file): \(error.localizedDescription)")
            }
        }
        // Split the bytes: as Characters, "\r\n" is one grapheme and would not split at "\n".
        return data.split(separator: 0x0A).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }.filter { !$0.isEmpty }
    }
}
