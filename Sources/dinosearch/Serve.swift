import ArgumentParser
import DinoSearch
import DinoServer
import Foundation
import Hummingbird
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the store over HTTP (JSON API for backends in any language; see the README and /openapi.json).",
        discussion: """
            Listens on 127.0.0.1 unless --host says otherwise; any other address needs an API key. With \
            DINOSEARCH_API_KEY set, every /v1 route needs 'Authorization: Bearer KEY'; DINOSEARCH_READ_KEY, if set \
            too, is a second key that may search and embed but not add or remove images. SIGTERM or Ctrl-C stops \
            accepting, finishes the requests in flight, saves the index and exits 0; an answered upload is on disk \
            even if the process is killed. --json prints {"url", "port"} on stdout once the server listens (for \
            scripts that start it with --port 0).

            The web interface (search by dropping a photo, clusters, patch maps, duplicate review, stats) is at the \
            printed address; --open opens it in the default browser. It loads nothing from any other site. The \
            duplicate review moves files into the quarantine only with --allow-file-changes.
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "TCP port (0: any free port, printed at start).")
    var port = 7878

    @Option(help: ArgumentHelp("Largest request body, e.g. 64MiB, 500KB, 1048576.", valueName: "size"))
    var maxUpload = "64MiB"

    @Option(help: ArgumentHelp("Images admitted beyond those in work before requests get 503.", valueName: "n"))
    var queue = 64

    @Flag(help: "Open the web interface in the default browser once the server listens.")
    var open = false

    @Flag(name: .customLong("no-ui"), help: "Serve the JSON API alone, without the web interface at /.")
    var noUI = false

    @Flag(help: "Keep no thumbnails of images added over HTTP (they then show as placeholders in the page).")
    var noThumbnails = false

    @Flag(help: "Let the duplicate review page move files into the quarantine (STORE/quarantine); without it, it offers the plan.")
    var allowFileChanges = false

    func validate() throws {
        guard Self.bytes(maxUpload) != nil else {
            throw ValidationError("'--max-upload' must be a size such as 64MiB, 500KB or 1048576, not '\(maxUpload)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("'--port' must be between 0 and 65535") }
        guard queue >= 0 else { throw ValidationError("'--queue' must not be negative") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "dinosearch.serve")
        logger.logLevel = .info
        let environment = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration(
            host: host, port: port, maxUpload: Self.bytes(maxUpload)!,
            apiKey: environment["DINOSEARCH_API_KEY"], readKey: environment["DINOSEARCH_READ_KEY"])
        configuration.queueLimit = queue
        configuration.userInterface = !noUI
        configuration.keepsUploadThumbnails = !noThumbnails
        configuration.allowFileChanges = allowFileChanges
        let open = open && !noUI
        let json = options.json
        let shownHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        do {
            try configuration.validate()  // before the model loads: a refused setting fails at once
            let engine = try SearchEngine(
                store: options.storeDirectory, model: modelOptions.model, preprocessing: modelOptions.preprocessing)
            let images = engine.store.count
            let app = try buildApplication(engine: engine, configuration: configuration, logger: logger) { port in
                let url = "http://\(shownHost):\(port)"
                warn("serving \(engine.store.directory) (\(images) images) on \(url)")
                if !noUI { warn("web interface: \(url)/") }
                if open { Self.openBrowser(on: "\(url)/") }
                if json {
                    struct Listening: Encodable { var url: String; var port: Int }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    let line = (try? encoder.encode(Listening(url: url, port: port))) ?? Data()
                    FileHandle.standardOutput.write(line + [10])  // one line: scripts read it as soon as it comes
                }
            }
            try await app.runService()
        } catch {
            throw fail(error)
        }
        warn("stopped")
    }

    /// Opens `url` in the person's default browser (`xdg-open`, or `open` on macOS); a failure is only reported.
    static func openBrowser(on url: String) {
        #if os(macOS)
        let opener = "/usr/bin/open"
        #else
        let opener = "/usr/bin/xdg-open"
        #endif
        guard FileManager.default.isExecutableFile(atPath: opener) else {
            warn("cannot open a browser (\(opener) is missing): open \(url) yourself")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { warn("cannot open a browser (\(error)): open \(url) yourself") }
    }

    /// Bytes in a size such as `64MiB`, `500KB`, `2G` or `1048576`.
    static func bytes(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000),
            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1),
        ]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in units where trimmed.uppercased().hasSuffix(suffix.uppercased()) {
            guard let value = Int(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value > 0 else { return nil }
            return value.multipliedReportingOverflow(by: scale).overflow ? nil : value * scale
        }
        return Int(trimmed).flatMap { $0 > 0 ? $0 : nil }
    }
}
