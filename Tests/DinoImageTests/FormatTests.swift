import DinoImage
import DinoTestSupport
import Foundation
import Testing

/// HEIC/HEIF, AVIF, TIFF, GIF, BMP, camera RAW and JPEG XL against their reference decoders (pillow-heif, Pillow,
/// rawpy, pillow-jxl-plugin), and the bad-input battery for each of their decoders.
@Suite(.offCooperativePool) struct FormatTests {
    static let cases = FormatFixtures.manifest.cases.map(\.file)

    static func expectedFormat(_ file: String) -> ImageFormat {
        switch String(file.split(separator: ".").last!) {
        case "heic": .heif
        case "avif": .avif
        case "tif": .tiff
        case "gif": .gif
        case "bmp": .bmp
        case "dng": .raw
        default: .jpegXL
        }
    }

    @Test(arguments: cases)
    func decodedPixelsMatchTheReferenceDecoder(file: String) throws {
        let fixture = FormatFixtures.manifest.cases.first { $0.file == file }!
        let decoded = try ImageDecoder().decode(contentsOf: FormatFixtures.path(file))
        let reference = try FormatFixtures.reference(file)
        #expect(decoded.format == Self.expectedFormat(file))
        #expect(decoded.warning == nil, "\(decoded.warning ?? "")")
        #expect(decoded.image.width == fixture.width && decoded.image.height == fixture.height,
                "\(fixture.note): \(decoded.image.width)×\(decoded.image.height)")
        #expect(decoded.width == fixture.width && decoded.height == fixture.height)
        try #require(decoded.image.bytes.count == reference.image.bytes.count)
        let difference = Difference(decoded.image.bytes, reference.image.bytes)
        print("\(file) (\(fixture.note)): \(difference)")
        if fixture.exact {
            #expect(difference.maximum == 0, "\(fixture.note): \(difference)")
        } else {
            #expect(difference.fractionWithinOne >= fixture.withinOne, "\(fixture.note): \(difference)")
        }
    }

    @Test(arguments: FormatFixtures.manifest.bombs)
    func headersClaimingGigapixelsAreRefusedBeforeDecoding(file: String) throws {
        do {
            _ = try ImageDecoder().decode(contentsOf: FormatFixtures.path(file))
            Issue.record("\(file) decoded")
        } catch {
            #expect(error.kind == .tooLarge, "\(error)")
            #expect(error.message.contains("limit"), "\(error)")
            #expect(error.path == FormatFixtures.path(file))
        }
    }

    /// One file per decoder and layout that takes a different path through it.
    static let battery = [
        "heic_8bit.heic", "heic_grid.heic", "avif_8bit.avif", "tiff_lzw.tif", "tiff_deflate_tiled.tif", "tiff_jpeg.tif",
        "gif_interlaced.gif", "bmp_24.bmp", "bmp_rle8.bmp", "bmp_rle4.bmp", "raw_preview.dng", "raw_demosaic.dng",
        "jxl_lossless.jxl", "jxl_lossy.jxl",
    ]

    /// Every prefix of the file: a typed error, or a picture flagged with a warning, or — only when the cut
    /// removed nothing the picture needs — exactly the whole file's pixels. Never a crash, never a silently
    /// different picture.
    @Test(arguments: battery)
    func truncatedAtManyPoints(file: String) throws {
        let bytes = try FormatFixtures.bytes(file)
        let complete = try ImageDecoder().decode(bytes).image.bytes
        let cuts = Set(Array(1..<min(64, bytes.count)) + stride(from: 64, to: bytes.count, by: max(1, bytes.count / 97)) + [bytes.count - 1])
        var errors = 0, warnings = 0, whole = 0
        for cut in cuts.sorted() {
            do {
                let decoded = try ImageDecoder().decode(Array(bytes[..<cut]))
                if decoded.warning != nil {
                    warnings += 1
                } else {
                    let same = decoded.image.bytes == complete
                    #expect(same, "\(file) cut at \(cut) of \(bytes.count): a different picture without a warning")
                    whole += 1
                }
            } catch {
                #expect([.corrupt, .notAnImage, .unsupportedFormat].contains(error.kind), "\(file) cut at \(cut): \(error)")
                #expect(!error.message.isEmpty && !error.message.contains("\n"))
                errors += 1
            }
        }
        print("\(file): \(cuts.count) cut points, \(errors) errors, \(warnings) warnings, \(whole) whole pictures")
    }

    /// Random bytes overwritten, in the header and anywhere: an error with a reason, or a usable picture.
    @Test(arguments: battery)
    func corruptBytes(file: String) throws {
        let bytes = try FormatFixtures.bytes(file)
        var generator = SplitMix(seed: 7)
        var errors = 0
        for round in 0..<200 {
            var damaged = bytes
            for _ in 0..<(1 + round % 4) {
                let at = round < 100 ? Int(generator.next() % UInt64(min(bytes.count, 512))) : Int(generator.next() % UInt64(bytes.count))
                damaged[at] = UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                // A damaged header may claim a large size; a small limit keeps the test quick.
                let decoded = try ImageDecoder(maxPixels: 1 << 20).decode(damaged)
                #expect(decoded.image.bytes.count == 3 * decoded.image.width * decoded.image.height)
            } catch {
                #expect(!error.message.isEmpty && !error.message.contains("\n"), "\(error)")
                errors += 1
            }
        }
        print("\(file): 200 damaged copies, \(errors) errors")
    }

    @Test(arguments: ["heic", "heif", "avif", "tif", "tiff", "gif", "bmp", "dng", "nef", "jxl"])
    func emptyFilesAndDirectoriesNamedLikeImages(ext: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dinoimage-\(UUID().uuidString).\(ext)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        #expect(throws: ImageError(.isDirectory, path: path, "is a directory, not an image")) {
            try ImageDecoder().decode(contentsOf: path)
        }
        try FileManager.default.removeItem(atPath: path)
        try Data().write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ImageError(.empty, path: path, "the file is empty")) { try ImageDecoder().decode(contentsOf: path) }
    }

    /// A RAW whose first directory looks like a plain TIFF's is told apart by its extension only.
    @Test func rawExtensionIsAHintForTIFFLookingFiles() throws {
        let tiff = try FormatFixtures.bytes("tiff_rgb.tif")
        let dng = try FormatFixtures.bytes("raw_demosaic.dng")
        tiff.withUnsafeBytes { bytes in
            #expect(ImageFormat(sniffing: bytes) == .tiff)
            #expect(ImageFormat(sniffing: bytes, path: "/photos/a.TIF") == .tiff)
            #expect(ImageFormat(sniffing: bytes, path: "/photos/DSC_0001.NEF") == .raw)
        }
        // A DNG says what it is in its first directory, whatever its name.
        dng.withUnsafeBytes { bytes in
            #expect(ImageFormat(sniffing: bytes, path: "/photos/scan.tif") == .raw)
            #expect(ImageFormat(sniffing: UnsafeRawBufferPointer(rebasing: bytes.prefix(16))) == .tiff)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dinoimage-\(UUID().uuidString).nef").path
        try Data(tiff).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ImageError.self) { try ImageDecoder().decode(contentsOf: path) }
    }

    /// Two byte changes in the thumbnail directory of a DNG made Debian's LibRaw 0.20 corrupt its heap and abort
    /// the test process ("free(): invalid next size"): LibRaw now runs in a child process, and this is an error.
    @Test func aDNGThatCrashesLibRawIsAnErrorNotACrash() throws {
        var bytes = try FormatFixtures.bytes("raw_demosaic.dng")
        bytes[64] = 0xEC  // the count of IFD0's Compression entry becomes 15,466,497
        bytes[386] = 0xF6  // inside the UniqueCameraModel string
        for _ in 0..<3 {
            #expect(throws: ImageError.self) { try ImageDecoder().decode(bytes) }
        }
        do {
            _ = try ImageDecoder().decode(bytes)
        } catch {
            print("damaged DNG: \(error)")
            #expect([.corrupt, .unsupportedFormat].contains(error.kind))
        }
    }

    /// Found by the fuzzer (Benchmarks/README.md): LibRaw 0.20's unpack_thumb writes 55,296 bytes into a 24,576-byte
    /// buffer for this damaged DNG. Inside the child process that is an error for this file and nothing else.
    @Test func aDNGThatOverflowsLibRawsThumbnailBufferIsAnError() throws {
        let path = FormatFixtures.path("libraw_thumb_overflow.dng")
        for _ in 0..<3 {
            do {
                _ = try ImageDecoder().decode(contentsOf: path)
                Issue.record("decoded")
            } catch {
                #expect([.corrupt, .unsupportedFormat].contains(error.kind), "\(error)")
                #expect(error.path == path)
            }
        }
        // The next file decodes as before.
        #expect(try ImageDecoder().decode(contentsOf: FormatFixtures.path("raw_demosaic.dng")).image.width == 240)
    }

    /// The preview path decodes a RAW's JPEG preview with DCT scaling, like a JPEG, when asked for a smaller size.
    @Test func rawPreviewHonoursTheMinimumShortSide() throws {
        let full = try ImageDecoder().decode(contentsOf: FormatFixtures.path("raw_preview.dng"))
        let scaled = try ImageDecoder(minimumShortSide: 64).decode(contentsOf: FormatFixtures.path("raw_preview.dng"))
        #expect(full.image.width == 256 && full.image.height == 384)  // orientation 6: portrait
        #expect(scaled.image.width == 64 && scaled.image.height == 96)
        #expect(scaled.width == full.width && scaled.height == full.height)
    }
}
