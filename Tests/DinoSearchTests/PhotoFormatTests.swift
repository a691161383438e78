import DinoImage
import DinoModel
import DinoTestSupport
import Foundation
import Testing

/// HEIC, AVIF, TIFF, GIF, BMP, DNG and JPEG XL through `embed`, `index` and `query`: the embeddings against
/// transformers' DINOv2 on the reference decoder's pixels (Tests/DinoImageTests/Fixtures/formats, made by
/// scripts/reference/make_format_fixtures.py).
@Suite(.offCooperativePool) struct PhotoFormatTests {
    typealias JSON = [String: Any]

    static let folder = CLI.repository.appendingPathComponent("Tests/DinoImageTests/Fixtures/formats").path

    struct Manifest: Decodable {
        struct Case: Decodable { var file: String }
        var cases: [Case]
    }

    static func fixtures() throws -> [String] {
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")))
        return manifest.cases.map(\.file)
    }

    @Test func embeddingsMatchTransformersOnTheReferencePixels() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let files = try Self.fixtures()
        let expected = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/embeddings.json"))) as? [String: [Double]])
        for flags in [["--full-decode"], []] {
            let result = try cli.run(["embed", "--json"] + flags + files.map { Self.folder + "/" + $0 })
            #expect(result.status == 0, "\(result.stderr)")
            let rows = try #require(result.json as? [JSON])
            #expect(rows.count == files.count)
            var worst = (cosine: 1.0, file: "")
            for (row, file) in zip(rows, files) {
                #expect(row["path"] as? String == Self.folder + "/" + file)
                let embedding = try #require(row["embedding"] as? [Double])
                let reference = try #require(expected[file])
                let cosine = zip(embedding, reference).map(*).reduce(0, +)  // both are unit vectors
                #expect(cosine >= 0.9995, "\(file) \(flags): cosine \(cosine) with transformers on the reference decode")
                if cosine < worst.cosine { worst = (cosine, file) }
            }
            print("embed \(flags): \(files.count) files, lowest cosine \(worst.cosine) (\(worst.file))")
        }
    }

    static let grids = ["heic_grid.heic", "heic_grid_irot.heic", "heic_grid_exif_only.heic", "heic_grid_odd.heic",
                        "heic_grid_10bit.heic"]

    static func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map(*).reduce(0, +) }  // unit vectors

    /// The default HEIC path shrinks libheif's planes before converting to RGB (to twice the model's short side,
    /// like WebP). At the fixtures' size only a smaller model input (64 → 56) makes the 384-pixel grids shrink
    /// (by 3); their embeddings are ≥ 0.9999 to the full decode's, as on the 12 MP benchmark files (README).
    @Test func heicGridsShrunkBeforeConversionEmbedAsTheFullDecode() throws {
        let encoder = try DinoEncoder(contentsOf: CLI.fixtureModel)
        var shrunkCount = 0
        for file in Self.grids {
            let path = Self.folder + "/" + file
            let full = try Preprocessing(resize: 64, crop: 56, fullSizeDecode: true).load(contentsOf: path)
            let fast = try Preprocessing(resize: 64, crop: 56).load(contentsOf: path)
            let shrunk = try Preprocessing(resize: 64, crop: 56).decoder.decode(contentsOf: path)
            let cosine = Self.cosine(try encoder.embed([full])[0], try encoder.embed([fast])[0])
            print("\(file): decoded at \(shrunk.image.width)×\(shrunk.image.height), cosine to the full decode \(cosine)")
            #expect(shrunk.width == full.width && shrunk.height == full.height)
            if shrunk.image.width < shrunk.width { shrunkCount += 1 }
            #expect(cosine >= 0.9999, "\(file)")
        }
        #expect(shrunkCount == 2)
    }

    /// `--embedded-thumbnails` embeds the thumbnail item where its short side covers the crop (224): the iPhone-
    /// shaped 320×240 ones; a 96-pixel thumbnail is not used. The cosine to the full decode is reported (the
    /// random-weight fixture model is not sensitive enough for it to say much: Benchmarks/README.md measures the
    /// pixels); which pixels were used, and their orientation, are checked on the decoder.
    @Test func embeddedThumbnailsStandInOnlyWhereTheyCoverTheCrop() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let paths = Self.grids.map { Self.folder + "/" + $0 }
        var embeddings: [[[Double]]] = []
        for flags in [["--full-decode"], ["--embedded-thumbnails"]] {
            let result = try cli.run(["embed", "--json"] + flags + paths)
            #expect(result.status == 0, "\(result.stderr)")
            let rows = try #require(result.json as? [JSON])
            embeddings.append(try rows.map { try #require($0["embedding"] as? [Double]) })
        }
        for (i, file) in Self.grids.enumerated() {
            let cosine = zip(embeddings[0][i], embeddings[1][i]).map(*).reduce(0, +)
            let decoded = try ImageDecoder(embeddedThumbnailMinimumSide: 224).decode(contentsOf: paths[i])
            let full = try ImageDecoder().decode(contentsOf: paths[i])
            let usesThumbnail = i < 2
            print("\(file): thumbnail \(usesThumbnail ? "used" : "too small"), cosine to the full decode \(cosine)")
            #expect(cosine >= 0.999, "\(file): cosine \(cosine)")
            #expect((decoded.image.width * decoded.image.height < full.image.width * full.image.height) == usesThumbnail)
            #expect(decoded.width == full.width && decoded.height == full.height)
        }
        // The portrait's thumbnail is turned as the picture is; the size reported is the picture's.
        let turned = try ImageDecoder(embeddedThumbnailMinimumSide: 224).decode(contentsOf: paths[1])
        #expect(turned.image.width == 240 && turned.image.height == 320 && turned.width == 384 && turned.height == 512)
    }

    @Test func indexAndQueryReadEveryFormat() throws {
        let dir = TemporaryDirectory()
        let cli = CLI(store: dir.store)
        let photos = dir.path + "/photos"
        try FileManager.default.createDirectory(atPath: photos, withIntermediateDirectories: true)
        // One file of each format, under names that hide the format: recognition is by content.
        let picks = ["heic_8bit.heic", "avif_8bit.avif", "tiff_lzw.tif", "gif_palette.gif", "bmp_rle8.bmp",
                     "raw_preview.dng", "raw_demosaic.dng", "jxl_lossy.jxl"]
        for (i, file) in picks.enumerated() {
            try FileManager.default.copyItem(atPath: Self.folder + "/" + file, toPath: photos + "/photo-\(i)")
        }
        try FileManager.default.copyItem(atPath: CLI.photos + "/Aqua.jpg", toPath: photos + "/Aqua.jpg")
        let index = try cli.run("index", photos, "--json")
        #expect(index.status == 0, "\(index.stderr)")
        let summary = try #require(index.json as? JSON)
        #expect(summary.int("added") == picks.count + 1, "\(index.stdout)")
        #expect((summary["failed"] as? [Any])?.isEmpty == true, "\(index.stdout)")
        // The RAW decoder's worker processes end with the indexer (forks carry its command line, store path and all).
        #expect(Self.processesMentioning(dir.store, within: 5).isEmpty)
        // The fixtures are one photo in many formats: each query finds itself at the top score (ties with its
        // near-identical siblings are possible), and the unrelated JPEG below them.
        for i in picks.indices {
            let query = try cli.run("query", photos + "/photo-\(i)", "-k", "\(picks.count + 1)", "--json")
            #expect(query.status == 0, "\(query.stderr)")
            let results = try #require((query.json as? [JSON])?.first?["results"] as? [JSON])
            let own = results.first { $0["path"] as? String == photos + "/photo-\(i)" }
            #expect(((own?["score"] as? Double) ?? 0) > 0.9999, "\(picks[i])")
            #expect(results.last?["path"] as? String == photos + "/Aqua.jpg", "\(picks[i])")
        }
    }

    /// The processes whose command line contains `text`, once none is left or `seconds` have passed.
    static func processesMentioning(_ text: String, within seconds: Double) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let found = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
                guard Int(pid) != nil, let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                return String(decoding: line, as: UTF8.self).contains(text)
            }
            if found.isEmpty || Date() > deadline { return found }
            usleep(50_000)
        }
    }
}
