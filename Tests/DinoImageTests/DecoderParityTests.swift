import DinoImage
import Foundation
import DinoTestSupport
import Testing

/// Every format variant against PIL's decode and PIL's DINOv2 transform (fixtures and references from
/// scripts/reference/make_image_fixtures.py).
@Suite(.offCooperativePool) struct DecoderParityTests {
    static let cases = Fixtures.manifest.cases.map(\.file)

    @Test(arguments: cases)
    func decodedPixelsMatchPIL(file: String) throws {
        let fixture = Fixtures.manifest.cases.first { $0.file == file }!
        let decoded = try ImageDecoder().decode(contentsOf: Fixtures.path(file))
        let reference = try Fixtures.reference(fixture.stem + ".decoded.png")
        #expect(decoded.warning == nil)
        #expect(decoded.image.width == fixture.width && decoded.image.height == fixture.height, "\(fixture.note)")
        #expect(decoded.width == fixture.width && decoded.height == fixture.height)
        try #require(decoded.image.bytes.count == reference.image.bytes.count)
        let difference = Difference(decoded.image.bytes, reference.image.bytes)
        print("\(file) (\(fixture.note)): \(difference)")
        if fixture.format == "png" {
            #expect(difference.maximum == 0, "lossless PNG must decode exactly: \(difference)")
        } else {
            // Same libjpeg-turbo/libwebp algorithms as Pillow's, possibly another version.
            #expect(difference.fractionWithinOne >= 0.999, "\(difference)")
        }
    }

    @Test(arguments: cases)
    func resizedAndCroppedMatchPIL(file: String) throws {
        let fixture = Fixtures.manifest.cases.first { $0.file == file }!
        let decoded = try ImageDecoder().decode(contentsOf: Fixtures.path(file))
        for setting in fixture.crops {
            let prep = Preprocessing(resize: setting[0], crop: setting[1], fullSizeDecode: true)
            let crop = prep.cropped(decoded.image)
            let reference = try Fixtures.reference("\(fixture.stem).\(setting[0])-\(setting[1]).png")
            try #require(crop.count == reference.image.bytes.count)
            let difference = Difference(crop, reference.image.bytes)
            print("\(file) resize \(setting[0]) crop \(setting[1]): \(difference)")
            #expect(difference.fractionWithinOne >= 0.999, "\(difference)")
            // On identical input pixels the resampler reproduces Pillow's arithmetic exactly.
            if fixture.format == "png" { #expect(difference.maximum == 0, "\(difference)") }
        }
    }

    @Test func normalisedTensorMatchesTorchvision() throws {
        let prep = Preprocessing(resize: 32, crop: 28, fullSizeDecode: true)
        let crop = try Fixtures.reference("baseline_jpg.32-28.png")
        let tensor = prep.normalized(crop.image.bytes)
        let data = try Data(contentsOf: Fixtures.directory.appendingPathComponent("reference/baseline_jpg.32-28.normalized.f32"))
        let expected = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        try #require(tensor.count == expected.count)
        let worst = zip(tensor, expected).map { abs($0 - $1) }.max()!
        print("normalised tensor: max |Δ| \(worst)")
        #expect(worst <= 1e-6)
    }

    @Test func loadGivesTheEncoderInput() throws {
        let prepared = try Preprocessing(resize: 64, crop: 56).load(contentsOf: Fixtures.path("orientation6.jpg"))
        #expect(prepared.side == 56 && prepared.pixels.count == 3 * 56 * 56)
        #expect(prepared.width == 72 && prepared.height == 96)  // as a viewer shows it: rotated
        #expect(prepared.format == .jpeg)
    }

    /// Decoders share no state: the same files decoded on several threads at once give the same pixels.
    @Test func decodersRunConcurrently() async throws {
        let files = ["baseline.jpg", "cmyk.jpg", "interlaced.png", "rgba16.png", "lossy.webp", "palette.png"]
        let expected = try files.map { try ImageDecoder().decode(contentsOf: Fixtures.path($0)).image.bytes }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for round in 0..<24 {
                group.addTask {
                    let i = round % files.count
                    return try ImageDecoder().decode(contentsOf: Fixtures.path(files[i])).image.bytes == expected[i]
                }
            }
            for try await same in group { #expect(same) }
        }
    }
}
