import Foundation

/// How `dinosearch serve` listens and what it admits.
public struct ServerConfiguration: Sendable {
    /// Address to listen on. Loopback by default; any other address needs `apiKey`.
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one (the running port is logged).
    public var port = 7878
    /// Largest request body accepted, in bytes (413 beyond it).
    public var maxUpload = 64 << 20
    /// When set, every `/v1` route needs `Authorization: Bearer <apiKey>` (or the read key, for reads).
    public var apiKey: String?
    /// A second key that may search, embed and read records, but not add or remove images (403).
    public var readKey: String?
    /// Images decoded at once; the encoder itself runs one batch at a time on every core.
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Images admitted beyond those being worked on; past it, requests get 503 with `Retry-After`.
    public var queueLimit = 64
    /// Most images the encoder runs in one forward pass (waiting images are batched together).
    public var maxBatch = 8
    /// Serve the web interface at `/` (`--no-ui`: the API alone).
    public var userInterface = true
    /// Keep thumbnails of images added over HTTP, made from the upload's bytes (`--no-thumbnails`: none; their
    /// thumbnails then show as placeholders, since no file stands behind such keys).
    public var keepsUploadThumbnails = true
    /// Let the duplicate review move files into the quarantine (`--allow-file-changes`). Without it the page offers
    /// the plan instead; images added over HTTP are forgotten (and restorable) with the write key either way.
    public var allowFileChanges = false

    public init(
        host: String = "127.0.0.1", port: Int = 7878, maxUpload: Int = 64 << 20, apiKey: String? = nil,
        readKey: String? = nil
    ) {
        self.host = host
        self.port = port
        self.maxUpload = maxUpload
        self.apiKey = apiKey
        self.readKey = readKey
    }

    /// Whether `host` names this machine only.
    public var isLoopback: Bool {
        let host = host.lowercased()
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Refuses settings that would expose users' photos or cannot work.
    public func validate() throws(ServerError) {
        if apiKey?.isEmpty == true || readKey?.isEmpty == true { throw ServerError("an API key must not be empty") }
        if readKey != nil && apiKey == nil {
            throw ServerError("DINOSEARCH_READ_KEY needs DINOSEARCH_API_KEY too (else writes would need no key at all)")
        }
        if !isLoopback && apiKey == nil {
            throw ServerError(
                "refusing to listen on \(host) without an API key: users' photos would be open to the network; "
                    + "set DINOSEARCH_API_KEY (clients then send 'Authorization: Bearer KEY') or listen on 127.0.0.1")
        }
        guard (0...65535).contains(port) else { throw ServerError("port \(port) is not between 0 and 65535") }
        guard maxUpload > 0, workers > 0, queueLimit >= 0, maxBatch > 0 else {
            throw ServerError("upload limit, workers and batch size must be positive")
        }
    }
}

/// A server setting that cannot be used; the message says which and why.
public struct ServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
