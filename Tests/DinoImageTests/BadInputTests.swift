import DinoImage
import Foundation
import DinoTestSupport
import Testing

/// Every kind of bad file gives its typed error with the path and a reason; nothing crashes.
@Suite(.offCooperativePool) struct BadInputTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dinoimage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func error(decoding path: String, decoder: ImageDecoder = ImageDecoder()) -> ImageError? {
        do {
            _ = try decoder.decode(contentsOf: path)
            return nil
        } catch {
            return error
        }
    }

    func expectError(_ kind: ImageError.Kind, _ path: String, containing words: String? = nil) {
        let failure = error(decoding: path)
        #expect(failure?.kind == kind, "\(path): \(failure.map(String.init(describing:)) ?? "decoded")")
        #expect(failure?.path == path)
        if let words, let failure { #expect(failure.message.contains(words), "\(failure)") }
        if let failure { #expect(!failure.description.contains("\n")) }
    }

    @Test func emptyFile() throws {
        expectError(.empty, try write("empty.jpg", []))
    }

    @Test func missingFile() {
        expectError(.unreadable, directory.appendingPathComponent("nothing-here.png").path, containing: "No such file")
    }

    @Test func directoryNamedLikeAnImage() throws {
        let path = directory.appendingPathComponent("folder.jpg").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        expectError(.isDirectory, path)
    }

    @Test(.enabled(if: getuid() != 0, "root reads any file: permissions are only observable for other users"))
    func unreadablePermissions() throws {
        let path = try write("secret.png", try Fixtures.bytes("rgb8.png"))
        chmod(path, 0)
        defer { chmod(path, 0o644) }
        expectError(.unreadable, path, containing: "Permission denied")
    }

    @Test func textAndBinaryFilesWithImageNames() throws {
        expectError(.notAnImage, try write("notes.jpg", Array("just some text\n".utf8)))
        var random = SystemRandomNumberGenerator()
        expectError(.notAnImage, try write("noise.png", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) & 0x7F }))
    }

    @Test func wrongExtensionStillDecodes() throws {
        let path = try write("actually-a-png.jpg", try Fixtures.bytes("rgb8.png"))
        let decoded = try ImageDecoder().decode(contentsOf: path)
        #expect(decoded.format == .png)
    }

    @Test func damagedFilesSayWhichFormat() throws {
        let heic: [UInt8] = [0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8)
        expectError(.corrupt, try write("photo.heic", heic), containing: "HEIC")
        expectError(.corrupt, try write("anim.gif", Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 32)), containing: "GIF")
    }

    /// 12-bit JPEG: Debian's libjpeg-turbo 2.1 TurboJPEG API decodes 8-bit samples only.
    @Test func twelveBitJPEGIsUnsupportedNotCorrupt() throws {
        var bytes = try Fixtures.bytes("baseline.jpg")
        let sof = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 4] = 12  // sample precision
        let path = try write("twelve.jpg", bytes)
        expectError(.unsupportedFormat, path, containing: "precision")
    }

    @Test(arguments: ["bomb.jpg", "bomb.png", "bomb.webp"])
    func decompressionBombsAreRefusedBeforeDecoding(file: String) throws {
        expectError(.tooLarge, Fixtures.path(file), containing: "limit")
    }

    @Test func pixelLimitIsConfigurable() {
        let tiny = ImageDecoder(maxPixels: 1000)
        #expect(error(decoding: Fixtures.path("baseline.jpg"), decoder: tiny)?.kind == .tooLarge)
    }

    /// Every prefix shorter than the file: JPEG may recover with a warning (libjpeg fills the missing part, as
    /// PIL does with LOAD_TRUNCATED_IMAGES); a PNG missing only its IEND trailer holds every pixel and decodes;
    /// otherwise a `.corrupt` error. Never a crash.
    @Test(arguments: ["baseline.jpg", "progressive.jpg", "cmyk.jpg", "rgb8.png", "interlaced.png", "palette.png", "lossy.webp", "lossless.webp"])
    func truncatedAtManyPoints(file: String) throws {
        let bytes = try Fixtures.bytes(file)
        let cuts = Set(Array(1..<min(64, bytes.count)) + stride(from: 64, to: bytes.count, by: max(1, bytes.count / 97)).map { $0 } + [bytes.count - 1])
        let complete = try ImageDecoder().decode(bytes).image.bytes
        var warnings = 0, errors = 0
        for cut in cuts.sorted() {
            let prefix = Array(bytes[..<cut])
            do {
                let decoded = try ImageDecoder().decode(prefix)
                if file.hasSuffix(".png") && cut >= bytes.count - 12 {
                    #expect(decoded.image.bytes == complete)
                    continue
                }
                #expect(file.hasSuffix(".jpg"), "\(file) cut at \(cut) decoded without an error")
                #expect(decoded.warning != nil, "\(file) cut at \(cut) decoded without a warning")
                warnings += 1
            } catch {
                #expect([.corrupt, .notAnImage].contains(error.kind), "\(file) cut at \(cut): \(error)")
                errors += 1
            }
        }
        print("\(file): \(cuts.count) cut points, \(errors) errors, \(warnings) recovered with a warning")
    }

    /// Bytes flipped in the header and in the data.
    @Test(arguments: ["baseline.jpg", "rgb8.png", "lossy.webp", "lossless.webp"])
    func corruptBytes(file: String) throws {
        let bytes = try Fixtures.bytes(file)
        var generator = SplitMix(seed: 42)
        for round in 0..<300 {
            var damaged = bytes
            let headerOnly = round < 150
            for _ in 0..<(1 + round % 4) {
                let at = headerOnly ? 2 + Int(generator.next() % 60) : Int(generator.next() % UInt64(bytes.count))
                damaged[at] = UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                // A damaged header may claim a large size; a small limit keeps the test quick.
                let decoded = try Preprocessing(resize: 32, crop: 28).prepare(ImageDecoder(maxPixels: 1 << 20).decode(damaged))
                #expect(decoded.pixels.count == 3 * 28 * 28)
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func truncatedJPEGWarnsAndStillGivesAPicture() throws {
        let bytes = try Fixtures.bytes("baseline.jpg")
        let path = try write("cut.jpg", Array(bytes[..<(bytes.count * 2 / 3)]))
        let prepared = try Preprocessing(resize: 64, crop: 56).load(contentsOf: path)
        #expect(prepared.warning?.contains("damaged JPEG") == true, "\(prepared.warning ?? "no warning")")
        #expect(prepared.pixels.count == 3 * 56 * 56)
    }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
