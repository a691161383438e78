import ArgumentParser
import DinoImage
import DinoSearch
import Foundation

@main
struct Dinosearch: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "dinosearch",
        abstract: "Image retrieval with DINOv2 embeddings, a Faiss index and an LMDB catalog.",
        version: version,
        subcommands: [
            Index.self, Query.self, Duplicates.self, Retrieve.self, Cluster.self, Embed.self, Export.self, Import.self, Stats.self,
            Patches.self, Serve.self, Remove.self, Restore.self, Rebuild.self, Model.self,
        ])

    /// ArgumentParser's own entry point, except that bad usage exits 2 (the documented contract) rather than
    /// its default 64 (EX_USAGE).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Options every store command takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store directory (default: $DINOSEARCH_STORE, else $XDG_DATA_HOME/dinosearch or ~/.local/share/dinosearch).",
        valueName: "dir"))
    var store: String?

    @Flag(name: .long, help: "Machine-readable output (JSON) on stdout.")
    var json = false

    /// The store directory in force: the flag, the environment, or the per-user default.
    var storeDirectory: String {
        if let store { return store }
        let environment = ProcessInfo.processInfo.environment
        if let fromEnvironment = environment["DINOSEARCH_STORE"], !fromEnvironment.isEmpty { return fromEnvironment }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        return (dataHome as NSString).appendingPathComponent("dinosearch")
    }
}

/// The model every embedding command takes.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A DINOv2 model.safetensors, or its folder (default: $DINOSEARCH_MODEL, else the model `dinosearch model download small` fetched).",
        valueName: "path"))
    var model: String?

    @Flag(name: .long, help: "Decode JPEG, WebP and HEIC at full size (exact parity with PIL; slower on large photos).")
    var fullDecode = false

    @Flag(name: .long, help: ArgumentHelp(
        "Embed a HEIC's own thumbnail (an iPhone's 320×240) instead of the photo where it covers the model's input: ~100× faster decoding, an approximate embedding."))
    var embeddedThumbnails = false

    var preprocessing: Preprocessing {
        Preprocessing(fullSizeDecode: fullDecode, usesEmbeddedThumbnails: embeddedThumbnails)
    }
}

/// Writes one line on stderr.
func warn(_ text: String) {
    FileHandle.standardError.write(Data("dinosearch: \(text)\n".utf8))
}

/// Prints one line on stderr and exits 1: the CLI's way to report a failed operation. An `ExitCode` (already
/// reported, such as an interruption's 130) passes through unchanged.
func fail(_ error: Error) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    FileHandle.standardError.write(Data("dinosearch: \(error)\n".utf8))
    return ExitCode(1)
}

func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try! encoder.encode(value), as: UTF8.self))
}
