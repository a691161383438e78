import ArgumentParser
import DinoImage
import DinoModel
import DinoSearch
import Foundation

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print DINOv2 embeddings (L2-normalised CLS tokens) of images, without touching a store.")

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: ArgumentHelp("Images.", valueName: "image"))
    var images: [String]

    @Flag(name: .long, help: "JSON on stdout: [{\"path\": ..., \"embedding\": [...]}].")
    var json = false

    @Option(help: ArgumentHelp("Write an N×D float32 .npy file (rows in argument order).", valueName: "file"))
    var npy: String?

    struct Row: Encodable {
        var path: String
        var embedding: [Float]
    }

    func run() throws {
        var rows: [Row] = []
        do {
            let encoder = try DinoEncoder(contentsOf: try ModelLocation.resolve(modelOptions.model))
            let prep = modelOptions.preprocessing
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
            if let npy { try NumpyFile.write(rows.map(\.embedding), to: npy) }
        } catch {
            throw fail(error)
        }
        if json { return printJSON(rows) }
        if npy == nil {
            for row in rows { print(row.path + "\t" + row.embedding.map { String(format: "%.6f", $0) }.joined(separator: " ")) }
        }
    }
}

/// The .npy format (version 1.0): magic, header length, a Python dict literal padded to 64 bytes, raw data.
enum NumpyFile {
    static func write(_ rows: [[Float]], to path: String) throws {
        let columns = rows.first?.count ?? 0
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows.count), \(columns)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for row in rows { row.withUnsafeBytes { data.append(contentsOf: $0) } }  // little-endian on x86-64/arm64
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ImageError(.unreadable, path: path, "cannot write: \(error.localizedDescription)")
        }
    }
}
