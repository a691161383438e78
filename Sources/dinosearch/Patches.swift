import ArgumentParser
import DinoImage
import DinoModel
import DinoSearch
import Foundation

struct Patches: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the PCA maps of DINOv2's patch features (the paper's Fig. 1), and optionally save the tokens.",
        discussion: """
            Each image is resized so its short side is --resolution, each side cropped to a multiple of 14, and its \
            patch tokens computed. A PCA of all the images' tokens together separates foreground from background \
            (first component > --threshold, signed so the image borders score low); a second PCA of the foreground \
            gives three components drawn as red, green and blue, so parts of objects of one kind match in colour \
            across images (--separate fits each image alone). Writes DIR/<name>.pca.png at the image's own size \
            (--side-by-side: the model's input and its map next to each other) and, with --npy, DIR/<name>.npy, the \
            float32 rows × columns × D tokens.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: ArgumentHelp("Images.", valueName: "image"))
    var images: [String]

    @Option(help: ArgumentHelp("Folder for the maps (created if needed).", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Short side of the model's input, 14...2048.", valueName: "pixels"))
    var resolution = 448

    @Option(help: ArgumentHelp("Foreground: first-component score above this.", valueName: "score"))
    var threshold: Double = 0

    @Flag(help: "Fit the PCA on each image alone instead of on all of them together.")
    var separate = false

    @Flag(help: "Also write the patch tokens as DIR/<name>.npy (rows × columns × D, float32).")
    var npy = false

    @Flag(help: "Draw the model's input and its map side by side in one PNG.")
    var sideBySide = false

    func validate() throws {
        guard DensePreprocessing.resolutions.contains(resolution) else {
            throw ValidationError("'--resolution' must be between 14 and 2048")
        }
        guard threshold.isFinite else { throw ValidationError("'--threshold' must be a number") }
    }

    func run() throws {
        let encoder: DinoEncoder
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            guard access(out, W_OK) == 0 else { throw ImageError(.unwritable, path: out, "is not writable") }
            encoder = try DinoEncoder(contentsOf: ModelLocation.resolve(modelOptions.model))
        } catch let error as ImageError {
            throw fail(error)
        } catch let error as CocoaError {
            throw fail(ImageError(.unwritable, path: out, "cannot be created (\(error.localizedDescription))"))
        } catch {
            throw fail(error)
        }
        let dense = DensePreprocessing(
            resolution: resolution, patchSize: encoder.architecture.patchSize, fullSizeDecode: modelOptions.fullDecode)

        // Tokens of every image first: a joint fit needs them all.
        var drawn: [(path: String, image: DenseImage, tokens: PatchTokens)] = []
        var failed = 0
        for path in images {
            do {
                let image = try dense.load(contentsOf: path)
                drawn.append((path, image, try encoder.patchFeatures(image)))
            } catch {
                warn("skipped \(path): \((error as? ImageError)?.message ?? "\(error)")")
                failed += 1
            }
        }
        guard !drawn.isEmpty else { throw fail(ImageError(.corrupt, "no image could be read")) }

        do {
            let joint = separate ? nil : try PatchPCA(fitting: drawn.map(\.tokens), threshold: threshold)
            var names = Set<String>()
            for (path, image, tokens) in drawn {
                let pca = try joint ?? PatchPCA(fitting: [tokens], threshold: threshold)
                let map = pca.map(tokens)
                let name = Self.uniqueName(for: path, taken: &names)
                let picture = out + "/" + name + ".pca.png"
                if sideBySide {
                    let (w, h) = (image.inputWidth, image.inputHeight)
                    let rendered = map.rendered(width: w, height: h)
                    var both = [UInt8](repeating: 0, count: 2 * w * h * 3)
                    for y in 0..<h {
                        both.replaceSubrange((y * 2 * w * 3)..<((y * 2 + 1) * w * 3), with: image.rgb[(y * w * 3)..<((y + 1) * w * 3)])
                        both.replaceSubrange(((y * 2 + 1) * w * 3)..<((y * 2 + 2) * w * 3), with: rendered[(y * w * 3)..<((y + 1) * w * 3)])
                    }
                    try PNGEncoder.write(both, width: 2 * w, height: h, to: picture)
                } else {
                    try PNGEncoder.write(map.rendered(width: image.width, height: image.height),
                                         width: image.width, height: image.height, to: picture)
                }
                if npy {
                    try NumpyWriter.write(tokens.tokens, shape: [tokens.rows, tokens.columns, tokens.width],
                                          to: out + "/" + name + ".npy")
                }
                let share = Double(map.foreground.filter { $0 }.count) / Double(max(map.foreground.count, 1))
                print("\(picture)  \(tokens.rows)×\(tokens.columns) patches, " + String(format: "%.0f%% foreground", share * 100))
            }
        } catch {
            throw fail(error)
        }
        if failed > 0 { warn("\(failed) of \(images.count) images could not be read") }
    }

    /// The file name without its extension, made unique among those already written ("a", "a-2", ...).
    static func uniqueName(for path: String, taken: inout Set<String>) -> String {
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var name = stem, n = 1
        while taken.contains(name) {
            n += 1
            name = "\(stem)-\(n)"
        }
        taken.insert(name)
        return name
    }
}
