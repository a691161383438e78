import DinoImage
import DinoModel
import DinoTestSupport
import Foundation
import Testing

@testable import DinoSearch

/// Patch tokens and PCA maps against transformers and a numpy reference of the recipe (Fixtures/patches, written by
/// scripts/reference/make_patch_fixtures.py from two non-square example photos at resolution 448).
@Suite(.offCooperativePool) struct PatchFeatureTests {
    static let fixtures = CLI.repository.appendingPathComponent("Tests/DinoSearchTests/Fixtures/patches").path
    static let models = CLI.repository.appendingPathComponent("Tests/DinoModelTests/Fixtures").path
    static let images = ["Aqua", "FreshFlower"]

    /// Our tokens of an example photo: PIL-exact preprocessing (full-size decode), then the encoder.
    static func tokens(_ image: String, model: String) throws -> PatchTokens {
        let encoder = try DinoEncoder(contentsOf: models + "/" + model)
        let dense = DensePreprocessing(resolution: 448, fullSizeDecode: true)
        return try encoder.patchFeatures(try dense.load(contentsOf: CLI.photos + "/" + image + ".jpg"))
    }

    @Test(arguments: ["plain", "registers", "swiglu"])
    func tokensMatchTransformers(model: String) throws {
        let reference = try SafeTensorsFile(path: Self.fixtures + "/" + model + ".safetensors")
        for image in Self.images {
            let ours = try Self.tokens(image, model: model)
            let grid = try reference.floats("grid_\(image)").map { Int($0) }
            #expect([ours.rows, ours.columns] == grid, "\(model) \(image) grid")
            #expect(ours.rows == 32 && ours.columns > ours.rows, "short side 448 = 32 patches, not square")
            let d = ours.width
            let index = try reference.floats("index_\(image)").map { Int($0) }
            let sampled = index.flatMap { ours.tokens[($0 * d)..<(($0 + 1) * d)] }
            var pairs = [("patches", sampled, try reference.floats("patches_\(image)")), ("cls", ours.cls, try reference.floats("cls_\(image)"))]
            if reference.entries["registers_\(image)"] != nil {
                #expect(ours.registers.count == 4 * d)
                pairs.append(("registers", ours.registers, try reference.floats("registers_\(image)")))
            } else {
                #expect(ours.registers.isEmpty)
            }
            for (name, mine, theirs) in pairs {
                let (maxError, minCosine) = compare(mine, theirs, width: d)
                print("\(model) \(image) \(name): max |Δ| \(maxError), min cosine \(minCosine)")
                #expect(maxError <= 1e-4 && minCosine >= 0.99999, "\(model) \(image) \(name): \(maxError), \(minCosine)")
            }
        }
    }

    @Test func jointMapMatchesTheNumpyRecipe() throws {
        let reference = try SafeTensorsFile(path: Self.fixtures + "/map.safetensors")
        let tokens = try Self.images.map { try Self.tokens($0, model: "plain") }
        let pca = try PatchPCA(fitting: tokens)
        var foreground = 0, background = 0, compared = 0
        for (image, t) in zip(Self.images, tokens) {
            let map = pca.map(t)
            let mask = try reference.floats("foreground_\(image)").map { $0 > 0.5 }
            let colors = try reference.floats("colors_\(image)")
            let agree = zip(map.foreground, mask).filter { $0 == $1 }.count
            let both = map.foreground.indices.filter { map.foreground[$0] && mask[$0] }
            let close = both.filter { i in (0..<3).allSatisfy { abs(Float(map.colors[i * 3 + $0]) - colors[i * 3 + $0]) <= 2 } }
            print("\(image): mask agrees on \(agree)/\(mask.count), colours within 2 on \(close.count)/\(both.count)")
            #expect(Double(agree) >= 0.995 * Double(mask.count), "\(image) mask")
            #expect(Double(close.count) >= 0.99 * Double(both.count), "\(image) colours")
            foreground += map.foreground.filter { $0 }.count
            background += map.foreground.filter { !$0 }.count
            compared += both.count
            for i in map.foreground.indices where !map.foreground[i] {
                #expect(map.colors[(i * 3)..<(i * 3 + 3)].allSatisfy { $0 == 0 }, "background is black")
            }
        }
        // The random fixture model puts one photo wholly in the background; the pair still splits, and colours
        // were compared on more than a thousand patches.
        #expect(foreground > 0 && background > 0 && compared > 1000)
        // Reproducible: a second fit on the same tokens draws the same maps (sign rules, no random start).
        let again = try PatchPCA(fitting: tokens)
        #expect(tokens.map { again.map($0) } == tokens.map { pca.map($0) })
    }

    /// Synthetic tokens: interior patches lie along +v, border patches along −v, plus small noise. The first
    /// component must be signed so the interior is the foreground, whatever sign LAPACK returns.
    @Test func signRulesPickTheInteriorAndSurviveNaN() throws {
        var state: UInt64 = 3
        func noise() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 1000) / 10_000
        }
        let (rows, columns, width) = (6, 8, 16)
        let v = (0..<width).map { Float($0 % 3) - 1 }
        func image(flipped: Bool) -> PatchTokens {
            var tokens: [Float] = []
            for i in 0..<(rows * columns) {
                let border = i / columns == 0 || i % columns == 0 || i / columns == rows - 1 || i % columns == columns - 1
                let side: Float = (border ? -1 : 1) * (flipped ? -1 : 1) * 5
                tokens += v.map { side * $0 + noise() }
            }
            return PatchTokens(rows: rows, columns: columns, width: width, tokens: tokens)
        }
        let interior = (0..<(rows * columns)).map { i in !(i / columns == 0 || i % columns == 0 || i / columns == rows - 1 || i % columns == columns - 1) }
        for flipped in [false, true] {
            let tokens = image(flipped: flipped)
            let map = try PatchPCA(fitting: [tokens]).map(tokens)
            #expect(map.foreground == interior, "flipped \(flipped)")
        }
        // NaN in the tokens (a damaged model): an error or a map, never a trap.
        var damaged = image(flipped: false)
        damaged.tokens[17] = .nan
        if let pca = try? PatchPCA(fitting: [damaged]) { _ = pca.map(damaged) }
    }

    @Test func renderingUpsamplesByNearestPatch() {
        let map = PatchMap(rows: 2, columns: 3, foreground: [true, false, true, true, true, false],
                           colors: [1, 2, 3, 0, 0, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0])
        let picture = map.rendered(width: 6, height: 4)
        #expect(picture.count == 6 * 4 * 3)
        #expect(Array(picture[0..<3]) == [1, 2, 3] && Array(picture[3..<6]) == [1, 2, 3])  // (0,0), (1,0): patch 0
        #expect(Array(picture[(2 * 6 + 5) * 3..<(2 * 6 + 6) * 3]) == [0, 0, 0])  // (5,2): patch 5
        #expect(Array(picture[(3 * 6 + 2) * 3..<(3 * 6 + 3) * 3]) == [10, 11, 12])  // (2,3): patch 4
    }

    @Test func pngRoundTripsThroughTheDecoder() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let rgb = (0..<(7 * 5 * 3)).map { UInt8($0 * 7 % 256) }
        try PNGEncoder.write(rgb, width: 7, height: 5, to: dir.path + "/a.png")
        let decoded = try ImageDecoder().decode(contentsOf: dir.path + "/a.png")
        #expect(decoded.image.width == 7 && decoded.image.height == 5 && decoded.image.bytes == rgb)
        #expect(throws: ImageError.self) { try PNGEncoder.write(rgb, width: 7, height: 5, to: dir.path + "/missing/a.png") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.png"], "no temporary file left")
    }

    @Test func patchesCommand() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let broken = dir.path + "/broken.jpg"
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: broken))
        let out = dir.path + "/maps"
        let result = try cli.run(["patches", CLI.photos + "/Aqua.jpg", broken, CLI.photos + "/FreshFlower.jpg",
                                  "--out", out, "--npy", "--resolution", "224"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("skipped \(broken): "), "the bad one is reported, the others drawn")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out))
                == ["Aqua.pca.png", "Aqua.npy", "FreshFlower.pca.png", "FreshFlower.npy"])
        let map = try ImageDecoder().decode(contentsOf: out + "/Aqua.pca.png")
        #expect(map.image.width == 2560 && map.image.height == 1600, "the map at the photo's own size")
        let npy = try Data(contentsOf: URL(fileURLWithPath: out + "/Aqua.npy"))
        #expect(String(decoding: npy.prefix(128), as: UTF8.self).contains("'descr': '<f4', 'fortran_order': False, 'shape': (16, 25, 128), }"))
        #expect(npy.count == 128 + 16 * 25 * 128 * 4)

        let side = try cli.run(["patches", CLI.photos + "/Aqua.jpg", "--out", out, "--side-by-side", "--resolution", "224"])
        #expect(side.status == 0, "\(side.stderr)")
        let both = try ImageDecoder().decode(contentsOf: out + "/Aqua.pca.png")
        #expect(both.image.width == 2 * 350 && both.image.height == 224)

        // --separate: each image fitted alone, so FreshFlower (all background beside Aqua with this random model)
        // gets a map of its own.
        let separate = try cli.run(["patches", CLI.photos + "/Aqua.jpg", CLI.photos + "/FreshFlower.jpg", "--out", out,
                                    "--separate", "--resolution", "448"])
        #expect(separate.status == 0, "\(separate.stderr)")
        #expect(separate.stdout.contains("FreshFlower.pca.png  32×42 patches") && !separate.stdout.contains("32×42 patches, 0% foreground"),
                "\(separate.stdout)")

        func check(_ arguments: [String], status: Int32, says text: String) throws {
            let result = try cli.run(arguments)
            #expect(result.status == status && result.stderr.contains(text), "\(arguments): \(result.stderr)")
        }
        try check(["patches", broken, "--out", out, "--resolution", "13"], status: 2, says: "between 14 and 2048")
        try check(["patches", broken, "--out", out, "--resolution", "2049"], status: 2, says: "between 14 and 2048")
        try check(["patches", broken, "--out", out], status: 1, says: "no image could be read")
        try check(["patches", CLI.photos + "/Aqua.jpg", "--out", broken + "/maps"], status: 1, says: broken)
        if getuid() != 0 {  // root writes anywhere
            let locked = dir.path + "/locked"
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
            chmod(locked, 0o500)
            try check(["patches", CLI.photos + "/Aqua.jpg", "--out", locked], status: 1, says: "is not writable")
        }
    }
}
