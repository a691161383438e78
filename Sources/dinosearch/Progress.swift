import DinoSearch
import Foundation

/// Download progress on stderr: a redrawn bar on a terminal, otherwise a line every few seconds.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast
    private var started = Date()
    private var drawn = false

    func update(_ file: String, _ done: Int64, _ total: Int64?) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard terminal || now.timeIntervalSince(lastLine) >= 3 || done == total else { return }
        lastLine = now
        let rate = Double(done) / max(now.timeIntervalSince(started), 0.001) / 1e6
        var text = "\(file): \(String(format: "%.1f", Double(done) / 1e6)) MB"
        if let total, total > 0 {
            let fraction = Double(done) / Double(total)
            let filled = Int(fraction * 30)
            text = "\(file) [\(String(repeating: "#", count: filled))\(String(repeating: "-", count: 30 - filled))] "
                + String(format: "%3.0f%% %.1f/%.1f MB", fraction * 100, Double(done) / 1e6, Double(total) / 1e6)
        }
        text += String(format: " %.1f MB/s", rate)
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
        drawn = terminal
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}

/// Indexing progress on stderr: a redrawn bar with counts, images/s and ETA on a terminal, otherwise a line
/// every 5 seconds.
final class IndexProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastLine = Date.distantPast
    private var drawn = false

    func update(_ p: IndexProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastLine) >= (terminal ? 0.2 : 5) || p.done == p.total else { return }
        lastLine = now
        let rate = Double(p.embedded) / max(p.elapsed, 0.001)
        let fileRate = Double(p.done) / max(p.elapsed, 0.001)
        let eta = fileRate > 0 ? Double(p.total - p.done) / fileRate : 0
        let fraction = p.total > 0 ? Double(p.done) / Double(p.total) : 1
        let filled = Int(fraction * 30)
        var text = terminal ? "[\(String(repeating: "#", count: filled))\(String(repeating: "-", count: 30 - filled))] " : "indexing: "
        text += "\(p.done)/\(p.total) files, \(p.embedded) embedded, " + String(format: "%.1f images/s", rate)
        if p.done < p.total { text += ", ETA " + Self.duration(eta) }
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
        drawn = terminal
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
