import DinoSearch
import DinoServer
import DinoTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Bearer keys on `/v1`: none, wrong, read-only and write; and the settings the server refuses to start with.
@Suite struct AuthTests {
    @Test func keysGuardEveryV1Route() async throws {
        let dir = TemporaryDirectory()
        let engine = try Fixture.engine(dir)
        let configuration = ServerConfiguration(apiKey: "s3cret-write", readKey: "s3cret-read")
        try await Fixture.app(engine, configuration).test(.router) { client in
            let photo = try Fixture.photo("Aqua")
            // Open routes need no key.
            for uri in ["/healthz", "/metrics", "/openapi.json"] {
                #expect(try await client.execute(uri: uri, method: .get).status == .ok, "\(uri)")
            }
            // No key, a wrong key, another scheme, a key with a suffix: 401 with a challenge.
            for header in [nil, "Bearer wrong", "Basic czNjcmV0LXdyaXRl", "Bearer s3cret-write2", "Bearer ", "s3cret-write"] {
                let headers: HTTPFields = header.map { [.authorization: $0] } ?? [:]
                let response = try await client.execute(uri: "/v1/stats", method: .get, headers: headers)
                #expect(response.status == .unauthorized, "\(header ?? "none")")
                #expect(response.errorCode == "unauthorized" && response.headers[.wwwAuthenticate] == "Bearer")
                #expect(try await client.put("k.jpg", photo, headers: headers).status == .unauthorized)
            }
            #expect(engine.store.count == 0)

            let write: HTTPFields = [.authorization: "Bearer s3cret-write", .contentType: "image/jpeg"]
            let read: HTTPFields = [.authorization: "bearer s3cret-read", .contentType: "image/jpeg"]  // scheme is case-insensitive
            // The write key does everything.
            #expect(try await client.put("k.jpg", photo, headers: write).status == .ok)
            #expect(try await client.execute(uri: "/v1/stats", method: .get, headers: write).status == .ok)
            // The read key reads, searches and embeds, but cannot add or remove: 403.
            #expect(try await client.execute(uri: "/v1/images/k.jpg", method: .get, headers: read).status == .ok)
            #expect(try await client.post("/v1/search", image: photo, headers: read).status == .ok)
            #expect(try await client.post("/v1/embed", image: photo, headers: read).status == .ok)
            let forbidden = try await client.put("other.jpg", photo, headers: read)
            #expect(forbidden.status == .forbidden && forbidden.errorCode == "forbidden")
            #expect(try await client.execute(uri: "/v1/images/k.jpg", method: .delete, headers: read).status == .forbidden)
            #expect(engine.store.count == 1)
            #expect(try await client.execute(uri: "/v1/images/k.jpg", method: .delete, headers: write).status == .ok)
        }
    }

    @Test func withoutKeysEverythingIsOpenOnLoopback() async throws {
        let dir = TemporaryDirectory()
        try await Fixture.app(try Fixture.engine(dir)).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/v1/stats", method: .get).status == .ok)
            #expect(try await client.put("k.jpg", try Fixture.photo("Aqua")).status == .ok)
        }
    }

    @Test func unsafeSettingsAreRefusedAtStart() throws {
        #expect(throws: ServerError.self) { try ServerConfiguration(host: "0.0.0.0").validate() }
        #expect(throws: ServerError.self) { try ServerConfiguration(host: "192.168.1.20").validate() }
        #expect(throws: ServerError.self) { try ServerConfiguration(host: "::").validate() }
        #expect(throws: ServerError.self) { try ServerConfiguration(readKey: "r").validate() }
        #expect(throws: ServerError.self) { try ServerConfiguration(apiKey: "").validate() }
        #expect(throws: ServerError.self) { try ServerConfiguration(port: 70000).validate() }
        try ServerConfiguration(host: "0.0.0.0", apiKey: "k").validate()
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1"] { try ServerConfiguration(host: host).validate() }
        do {
            try ServerConfiguration(host: "0.0.0.0").validate()
        } catch {
            #expect(error.description.contains("DINOSEARCH_API_KEY") && error.description.contains("0.0.0.0"))
        }
    }
}
