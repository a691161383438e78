import Crypto
import DinoModel
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One of the published DINOv2 checkpoints on the Hugging Face hub (`facebook/dinov2-*`).
public struct PublishedModel: Sendable, Hashable {
    public enum Size: String, Sendable, CaseIterable { case small, base, large, giant }

    public var size: Size
    /// The `*-with-registers` variant (4 register tokens).
    public var registers: Bool

    public init(_ size: Size, registers: Bool = false) {
        self.size = size
        self.registers = registers
    }

    /// "facebook/dinov2-small", "facebook/dinov2-with-registers-base", ...
    public var repository: String { "facebook/dinov2-" + (registers ? "with-registers-" : "") + size.rawValue }
    /// The folder name in the model cache: "dinov2-small", ...
    public var folderName: String { String(repository.dropFirst("facebook/".count)) }
}

/// The cache folder `dinosearch model download` puts models in: `$XDG_CACHE_HOME/dinosearch/models`
/// (`~/.cache/dinosearch/models`).
public enum ModelCache {
    public static var directory: String {
        let environment = ProcessInfo.processInfo.environment
        let cacheHome = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return (cacheHome as NSString).appendingPathComponent("dinosearch/models")
    }

    /// The folder a published model is downloaded to.
    public static func folder(for model: PublishedModel) -> String {
        (directory as NSString).appendingPathComponent(model.folderName)
    }
}

/// Fetches `model.safetensors` and `config.json` of a published checkpoint over HTTP, resuming a partial download
/// (`.part` file + `Range` request) and checking the result before it is used: the byte count the server announced,
/// the SHA-256 the hub gives as the file's ETag, and a full load of the checkpoint.
public struct ModelDownloader: Sendable {
    /// The hub's base URL: `$DINOSEARCH_HUB_ENDPOINT`, else `$HF_ENDPOINT`, else https://huggingface.co.
    public var endpoint: URL

    public init(endpoint: URL? = nil) {
        let environment = ProcessInfo.processInfo.environment
        let configured = environment["DINOSEARCH_HUB_ENDPOINT"] ?? environment["HF_ENDPOINT"]
        self.endpoint = endpoint ?? configured.flatMap(URL.init(string:)) ?? URL(string: "https://huggingface.co")!
    }

    /// Progress of one file: bytes on disk and, when known, the file's full size.
    public typealias Progress = @Sendable (_ file: String, _ done: Int64, _ total: Int64?) -> Void

    /// Downloads `model` into `folder` (default: its cache folder) and returns the folder.
    /// - Throws: `ModelError` of kind `.download` for network or server failures and checksum mismatches, or the
    ///   checkpoint's own error if the finished file is not a loadable DINOv2 checkpoint (it is then deleted).
    @discardableResult
    public func download(_ model: PublishedModel, into folder: String? = nil, progress: Progress? = nil) async throws(ModelError) -> String {
        let folder = folder ?? ModelCache.folder(for: model)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ModelError(.unreadable, path: folder, "cannot be created (\(error.localizedDescription))")
        }
        for name in ["config.json", "model.safetensors"] {
            let destination = (folder as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: destination) { continue }
            let url = endpoint.appendingPathComponent(model.repository).appendingPathComponent("resolve/main/\(name)")
            let part = destination + ".part"
            try await fetch(url, to: part, name: name, progress: progress)
            if name == "model.safetensors" {
                do {
                    _ = try DinoEncoder(contentsOf: part)  // reads config.json beside it; checks every tensor
                } catch {
                    try? FileManager.default.removeItem(atPath: part)
                    throw error
                }
            }
            guard rename(part, destination) == 0 else {
                throw ModelError(.download, path: destination, "cannot be moved into place (\(String(cString: strerror(errno))))")
            }
        }
        return folder
    }

    /// GETs `url` into `part`, continuing from the bytes already there.
    private func fetch(_ url: URL, to part: String, name: String, progress: Progress?) async throws(ModelError) {
        var transfer = Transfer(path: part, name: name, progress: progress)
        do {
            do {
                try await transfer.run(url)
            } catch Transfer.RangeNotSatisfiable.error {
                // The .part file is already as long as the file, or longer (a run that died before its checks):
                // start it over rather than trust it.
                try? FileManager.default.removeItem(atPath: part)
                transfer = Transfer(path: part, name: name, progress: progress)
                try await transfer.run(url)
            }
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError(.download, path: url.absoluteString, error.localizedDescription)
        }
        let expected = transfer.expectedTotal
        let size = (try? FileManager.default.attributesOfItem(atPath: part)[.size] as? NSNumber)??.int64Value ?? -1
        if let expected, size != expected {
            throw ModelError(.download, path: url.absoluteString, "ended after \(size) of \(expected) bytes; run the command again to resume")
        }
        if let sha = transfer.announcedSHA256 {
            let actual = try Self.sha256(of: part)
            guard actual == sha else {
                try? FileManager.default.removeItem(atPath: part)
                throw ModelError(.download, path: url.absoluteString, "SHA-256 \(actual) does not match the server's \(sha); the partial file was removed")
            }
        }
    }

    static func sha256(of path: String) throws(ModelError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ModelError(.unreadable, path: path, "cannot be read") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().hex
    }
}

/// One HTTP transfer streamed into a file by URLSession's delegate callbacks.
/// `@unchecked Sendable`: URLSession calls the delegate on its own serial queue; the fields are read only after
/// the transfer has completed.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// HTTP 416 to a Range request.
    enum RangeNotSatisfiable: Error { case error }

    let path: String
    let name: String
    let progress: ModelDownloader.Progress?
    private var file: FileHandle?
    private var written: Int64 = 0
    private var failure: Error?
    private var continuation: CheckedContinuation<Void, Error>?
    private var lastReport = Date.distantPast
    private(set) var expectedTotal: Int64?
    private(set) var announcedSHA256: String?

    init(path: String, name: String, progress: ModelDownloader.Progress?) {
        self.path = path
        self.name = name
        self.progress = progress
    }

    func run(_ url: URL) async throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let file = FileHandle(forWritingAtPath: path) else {
            throw ModelError(.unreadable, path: path, "cannot be written")
        }
        self.file = file
        defer { try? file.close() }
        written = Int64(try file.seekToEnd())
        var request = URLRequest(url: url)
        if written > 0 { request.setValue("bytes=\(written)-", forHTTPHeaderField: "Range") }
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            self.continuation = continuation
            session.dataTask(with: request).resume()
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let http = response as? HTTPURLResponse else { return completionHandler(.cancel) }
        let url = response.url?.absoluteString ?? name
        switch http.statusCode {
        case 206:
            // "Content-Range: bytes 1000-4999/5000": continue only if the server resumes where we stopped.
            let range = http.value(forHTTPHeaderField: "Content-Range") ?? ""
            let numbers = range.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
            guard numbers.count == 3, numbers[0] == written else {
                failure = ModelError(.download, path: url, "server resumed at an unexpected range '\(range)'")
                return completionHandler(.cancel)
            }
            expectedTotal = numbers[2]
        case 200:
            try? file?.truncate(atOffset: 0)  // the server sent the whole file: start over
            written = 0
            expectedTotal = http.expectedContentLength >= 0 ? http.expectedContentLength : nil
        case 416 where written > 0:
            failure = RangeNotSatisfiable.error
            return completionHandler(.cancel)
        default:
            failure = ModelError(.download, path: url, "server answered HTTP \(http.statusCode)")
            return completionHandler(.cancel)
        }
        // The hub names an LFS file's SHA-256 in X-Linked-Etag (ETag for plain servers).
        let tag = (http.value(forHTTPHeaderField: "X-Linked-Etag") ?? http.value(forHTTPHeaderField: "ETag") ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\"W/"))
        if tag.count == 64, tag.allSatisfy(\.isHexDigit) { announcedSHA256 = tag.lowercased() }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        do {
            try file?.write(contentsOf: data)
        } catch {
            failure = ModelError(.download, path: path, "cannot be written (\(error.localizedDescription))")
            dataTask.cancel()
            return
        }
        written += Int64(data.count)
        if Date().timeIntervalSince(lastReport) > 0.2 || written == expectedTotal {
            lastReport = Date()
            progress?(name, written, expectedTotal)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        progress?(name, written, expectedTotal)
        if let failure = failure ?? error {
            continuation?.resume(throwing: failure)
        } else {
            continuation?.resume()
        }
        continuation = nil
    }
}
