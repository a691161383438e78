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
