import DinoSearch
import DinoServer
import DinoTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Paths and helpers the server tests share: the tiny random fixture model, the example photos, a fresh engine.
enum Fixture {
    static let repository = RepositoryFiles.root
    static let model = RepositoryFiles.fixtureModel
    static let photos = RepositoryFiles.photos
    static let photoNames = ["Aqua", "FreshFlower", "Garden", "GreenMeadow", "GreenTraditional", "LadyBird", "YellowFlower"]

    static func photo(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(photos)/\(name).jpg")))
    }

    /// An image that claims 100,000 × 100,000 pixels (Tests/DinoImageTests/Fixtures/bomb.png).
    static func bomb() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: repository.appendingPathComponent("Tests/DinoImageTests/Fixtures/bomb.png")))
    }

    static func engine(_ directory: TemporaryDirectory) throws -> SearchEngine {
        try SearchEngine(store: directory.store, model: model)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "dinosearch.test")
        logger.logLevel = .critical
        return logger
    }

    static func app(_ engine: SearchEngine, _ configuration: ServerConfiguration = ServerConfiguration()) throws
        -> some ApplicationProtocol
    {
        try buildApplication(engine: engine, configuration: configuration, logger: quietLogger)
    }
}

typealias JSON = [String: Any]

extension TestResponse {
    var json: JSON { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? JSON ?? [:] }
    var text: String { String(buffer: body) }
    /// The error code of an API error body.
    var errorCode: String? { (json["error"] as? JSON)?["code"] as? String }
}

extension TestClientProtocol {
    func put(_ key: String, _ bytes: [UInt8], headers: HTTPFields = [.contentType: "image/jpeg"]) async throws -> TestResponse {
        try await execute(uri: "/v1/images/\(key)", method: .put, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    func post(_ uri: String, json: Any, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        let body = try JSONSerialization.data(withJSONObject: json)
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    func post(_ uri: String, image: [UInt8], headers: HTTPFields = [.contentType: "image/jpeg"]) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: image))
    }
}

extension JSON {
    func int(_ key: String) -> Int? { self[key] as? Int }
    var results: [JSON] { self["results"] as? [JSON] ?? [] }
    var resultKeys: [String] { results.compactMap { $0["key"] as? String } }
}

/// A folder of indexed photos for the routes that read files back (thumbnails, originals, maps), with the two
/// ways a file can become unreadable after indexing: `gone` was deleted, `escape` became a symbolic link to the
/// same bytes outside the folder.
struct IndexedPhotos {
    let folder: String
    var kept: String { folder + "/Aqua.jpg" }
    var other: String { folder + "/Garden.jpg" }
    var gone: String { folder + "/LadyBird.jpg" }
    var escape: String { folder + "/YellowFlower.jpg" }

    init(_ directory: TemporaryDirectory, engine: SearchEngine) throws {
        folder = directory.path + "/photos"
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["Aqua", "Garden", "LadyBird", "YellowFlower"] {
            try fm.copyItem(atPath: "\(Fixture.photos)/\(name).jpg", toPath: "\(folder)/\(name).jpg")
        }
        let summary = try engine.index([folder])
        precondition(summary.added == 4 && summary.failed.isEmpty, "fixture photos did not index")
        try fm.removeItem(atPath: gone)
        let outside = directory.path + "/outside.jpg"
        try fm.moveItem(atPath: escape, toPath: outside)  // rename keeps size and modification time
        try fm.createSymbolicLink(atPath: escape, withDestinationPath: outside)
    }

    /// The route path for a stored file's key (every `/` as `%2F`, as the page sends it).
    static func encoded(_ key: String) -> String {
        key.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))!
    }
}
