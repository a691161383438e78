import Foundation
import DinoTestSupport
import Testing

@testable import DinoModel

/// Every way a checkpoint can be broken gives a `ModelError` naming the file (and the tensor), never a crash.
@Suite(.offCooperativePool) struct MalformedCheckpointTests {
    let original = fixtures.appendingPathComponent("plain/model.safetensors")

    /// The fixture's header (as a dictionary) and data section.
    func parts() throws -> ([String: Any], Data) {
        let bytes = try Data(contentsOf: original)
        let size = Int(bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + size))) as! [String: Any]
        return (header, bytes.subdata(in: (8 + size)..<bytes.count))
    }

    /// Writes a checkpoint from a header and data into a fresh folder; returns the file's path.
    func write(_ header: [String: Any], _ data: Data) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: header)
        var bytes = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += json + data
        let file = folder.appendingPathComponent("model.safetensors")
        try bytes.write(to: file)
        return file.path
    }

    func loadError(_ path: String) -> ModelError? {
        do {
            _ = try DinoEncoder(contentsOf: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func truncatedFilesAreRefused() throws {
        let bytes = try Data(contentsOf: original)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("model.safetensors")
        for cut in [0, 3, 8, 100, 2000, bytes.count / 2, bytes.count - 1] {
            try bytes.prefix(cut).write(to: file)
            let error = try #require(loadError(file.path), "cut at \(cut)")
            #expect(error.kind == .malformed, "cut at \(cut): \(error)")
            #expect(error.path == file.path)
        }
    }

    @Test func headerThatLiesAboutOffsetsIsRefused() throws {
        var (header, data) = try parts()
        var entry = header["layernorm.weight"] as! [String: Any]
        entry["data_offsets"] = [data.count - 8, data.count + 504]
        header["layernorm.weight"] = entry
        let error = try #require(loadError(try write(header, data)))
        #expect(error.kind == .malformed && error.tensor == "layernorm.weight")
    }

    @Test func headerLengthBeyondTheFileIsRefused() throws {
        var bytes = try Data(contentsOf: original)
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
        let path = try write([:], Data())
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(loadError(path)?.kind == .malformed)
    }

    @Test func missingTensorIsNamed() throws {
        var (header, data) = try parts()
        header.removeValue(forKey: "encoder.layer.1.mlp.fc2.bias")
        let error = try #require(loadError(try write(header, data)))
        #expect(error.kind == .missingTensor && error.tensor == "encoder.layer.1.mlp.fc2.bias")
        #expect(error.description.contains("encoder.layer.1.mlp.fc2.bias"))
    }

    @Test func inconsistentShapeIsNamed() throws {
        var (header, data) = try parts()
        var entry = header["encoder.layer.0.norm2.weight"] as! [String: Any]
        entry["shape"] = [2, 64]  // same byte count, wrong shape
        header["encoder.layer.0.norm2.weight"] = entry
        let error = try #require(loadError(try write(header, data)))
        #expect(error.kind == .badTensor && error.tensor == "encoder.layer.0.norm2.weight")
    }

    @Test func unsupportedDataTypeIsNamed() throws {
        var (header, data) = try parts()
        var entry = header["layernorm.bias"] as! [String: Any]
        entry["dtype"] = "I64"
        header["layernorm.bias"] = entry
        let error = try #require(loadError(try write(header, data)))
        #expect(error.kind == .badTensor && error.tensor == "layernorm.bias")
    }

    @Test func notACheckpointAtAll() throws {
        let (_, data) = try parts()
        let error = try #require(loadError(try write(["something.else": ["dtype": "F32", "shape": [1], "data_offsets": [0, 4]]], data)))
        #expect(error.kind == .missingTensor)
        #expect(loadError("/nonexistent/model.safetensors")?.kind == .unreadable)
        let text = try write([:], Data())
        try Data("{\"not\": \"binary\"}".utf8).write(to: URL(fileURLWithPath: text))
        #expect(loadError(text)?.kind == .malformed)
    }
}
