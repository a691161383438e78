import ArgumentParser
import DinoModel
import DinoSearch
import Foundation

struct Model: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage DINOv2 checkpoints.", subcommands: [Download.self, Show.self])

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a published facebook/dinov2-* checkpoint into the model cache (resumable).",
            discussion: "The hub is $DINOSEARCH_HUB_ENDPOINT, else $HF_ENDPOINT, else https://huggingface.co.")

        @Argument(help: ArgumentHelp("Model size.", valueName: "size"))
        var size: PublishedModel.Size

        @Flag(help: "The variant with 4 register tokens (facebook/dinov2-with-registers-*).")
        var registers = false

        @Option(help: ArgumentHelp("Folder to download into (default: the model cache).", valueName: "dir"))
        var to: String?

        func run() async throws {
            let model = PublishedModel(size, registers: registers)
            let bar = ProgressLine()
            do {
                let folder = try await ModelDownloader().download(model, into: to) { file, done, total in
                    bar.update(file, done, total)
                }
                bar.finish()
                print(folder)
            } catch {
                bar.finish()
                throw fail(error)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Load a checkpoint and print its architecture and fingerprint.")

        @Argument(help: ArgumentHelp("A .safetensors file or a folder holding model.safetensors.", valueName: "path"))
        var path: String

        func run() throws {
            do {
                let encoder = try DinoEncoder(contentsOf: path)
                let a = encoder.architecture
                print("""
                    model:        \(a.name)
                    width:        \(a.width), depth \(a.depth), heads \(a.heads), MLP \(a.mlpWidth)\(a.usesSwiGLU ? " (SwiGLU)" : "")
                    positions:    \(a.positionGrid)×\(a.positionGrid) grid
                    fingerprint:  \(encoder.fingerprint)
                    """)
            } catch {
                throw fail(error)
            }
        }
    }
}

extension PublishedModel.Size: ExpressibleByArgument {}

/// Download progress on stderr: a redrawn bar on a terminal, otherwise a line every few seconds.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast
    private var started = Date()
    private var drawn = false

    func update(_ file: String, _ done: Int64, _ total: Int64?) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard terminal || now.timeIntervalSince(lastLine) >= 3 || done == total else { return }
        lastLine = now
        let rate = Double(done) / max(now.timeIntervalSince(started), 0.001) / 1e6
        var text = "\(file): \(String(format: "%.1f", Double(done) / 1e6)) MB"
        if let total, total > 0 {
            let fraction = Double(done) / Double(total)
            let filled = Int(fraction * 30)
            text = "\(file) [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: 30 - filled))] "
                + String(format: "%3.0f%% %.1f/%.1f MB", fraction * 100, Double(done) / 1e6, Double(total) / 1e6)
        }
        text += String(format: " %.1f MB/s", rate)
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
        drawn = terminal
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}
