import DinoImage
import Foundation

/// The committed fixtures (made by scripts/reference/make_image_fixtures.py).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: directory.appendingPathComponent(name))) }

    struct Case: Decodable {
        var file: String
        var note: String
        var width: Int
        var height: Int
        var crops: [[Int]]
        var stem: String { file.replacingOccurrences(of: ".", with: "_") }
        var format: String { String(file.split(separator: ".").last!) }
    }

    struct Manifest: Decodable {
        var cases: [Case]
        var bombs: [String]
    }

    static let manifest: Manifest = try! JSONDecoder().decode(
        Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))

    /// A reference image (8-bit RGB PNG written by PIL), read with the plain RGB path of our PNG decoder.
    static func reference(_ name: String) throws -> DecodedImage {
        try ImageDecoder().decode(contentsOf: path("reference/" + name))
    }
}

/// How two 8-bit images differ.
struct Difference: CustomStringConvertible {
    var maximum = 0
    var aboveOne = 0
    var count = 0
    var fractionWithinOne: Double { count == 0 ? 1 : 1 - Double(aboveOne) / Double(count) }
    var description: String { "max |Δ| \(maximum), \(aboveOne) of \(count) values off by more than 1" }

    init(_ a: [UInt8], _ b: [UInt8]) {
        precondition(a.count == b.count)
        count = a.count
        for i in 0..<a.count {
            let d = abs(Int(a[i]) - Int(b[i]))
            maximum = max(maximum, d)
            if d > 1 { aboveOne += 1 }
        }
    }
}

/// The photo-format fixtures (made by scripts/reference/make_format_fixtures.py): HEIC, AVIF, TIFF, GIF, BMP,
/// DNG and JPEG XL files with their reference decodes, bombs, and reference embeddings.
enum FormatFixtures {
    static func path(_ name: String) -> String { Fixtures.path("formats/" + name) }

    static func bytes(_ name: String) throws -> [UInt8] { try Fixtures.bytes("formats/" + name) }

    struct Case: Decodable {
        var file: String
        var note: String
        var width: Int
        var height: Int
        /// Bit-exact expected: a lossless format, or the same library on both sides.
        var exact: Bool
        /// Otherwise the least fraction of values within one level (0.999 unless the script says why not).
        var withinOne: Double

        enum CodingKeys: String, CodingKey {
            case file, note, width, height, exact, withinOne = "within_one"
        }
    }

    struct Manifest: Decodable {
        var cases: [Case]
        var bombs: [String]
    }

    static let manifest: Manifest = try! JSONDecoder().decode(Manifest.self, from: Data(bytes("manifest.json")))

    static func reference(_ file: String) throws -> DecodedImage {
        try ImageDecoder().decode(contentsOf: path("reference/" + file.replacingOccurrences(of: ".", with: "_") + ".decoded.png"))
    }
}
