import ArgumentParser
import DinoSearch
import Foundation

/// One status line on stderr: redrawn in place on a terminal, otherwise printed as a new line at most every
/// `interval` seconds (so logs of a long run stay short).
final class StatusLine: @unchecked Sendable {  // all state is guarded by `lock`
    private let lock = NSLock()
    let terminal = isatty(STDERR_FILENO) != 0
    private let interval: Double
    private var lastLine = Date.distantPast
    private var drawn = false

    /// - Parameters: `interval` between lines without a terminal, `redraw` between redraws on one.
    init(interval: Double, redraw: Double) {
        self.interval = terminal ? redraw : interval
    }

    /// Shows the text `make` builds, unless the last one is too recent; `final` always shows.
    func show(final: Bool = false, _ make: () -> String) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard final || now.timeIntervalSince(lastLine) >= interval else { return }
        lastLine = now
        let text = make()
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
        drawn = terminal
    }

    /// Ends a redrawn line so what follows starts on its own.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }

    /// A 30-character bar, `fraction` of it filled.
    static func bar(_ fraction: Double) -> String {
        let filled = min(max(Int(fraction * 30), 0), 30)
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled) + "]"
    }
}

/// Download progress: a bar with size and rate.
final class ProgressLine: Sendable {
    private let line = StatusLine(interval: 3, redraw: 0)
    private let started = Date()

    func update(_ file: String, _ done: Int64, _ total: Int64?) {
        line.show(final: done == total) {
            var text = "\(file): \(String(format: "%.1f", Double(done) / 1e6)) MB"
            if let total, total > 0 {
                let fraction = Double(done) / Double(total)
                text = "\(file) \(StatusLine.bar(fraction)) "
                    + String(format: "%3.0f%% %.1f/%.1f MB", fraction * 100, Double(done) / 1e6, Double(total) / 1e6)
            }
            let rate = Double(done) / max(Date().timeIntervalSince(started), 0.001) / 1e6
            return text + String(format: " %.1f MB/s", rate)
        }
    }

    func finish() { line.finish() }
}

/// Indexing progress: counts, images/s and ETA (with a bar on a terminal).
final class IndexProgressLine: Sendable {
    private let line = StatusLine(interval: 5, redraw: 0.2)

    func update(_ p: IndexProgress) {
        line.show(final: p.done == p.total) {
            let rate = Double(p.embedded) / max(p.elapsed, 0.001)
            let fileRate = Double(p.done) / max(p.elapsed, 0.001)
            let fraction = p.total > 0 ? Double(p.done) / Double(p.total) : 1
            var text = line.terminal ? StatusLine.bar(fraction) + " " : "indexing: "
            text += "\(p.done)/\(p.total) files, \(p.embedded) embedded, " + String(format: "%.1f images/s", rate)
            let eta = fileRate > 0 ? Double(p.total - p.done) / fileRate : 0
            if p.done < p.total { text += ", ETA " + Self.duration(eta) }
            return text
        }
    }

    func finish() { line.finish() }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h" + String(format: "%02d", s % 3600 / 60) + "m" }
        if s >= 60 { return "\(s / 60)m" + String(format: "%02d", s % 60) + "s" }
        return "\(s)s"
    }
}

/// Progress of a counted job (import, export, embed --out): done/total, rate and ETA. The rate counts from the
/// first update, so work done before it (import's checking pass) does not skew it.
final class CountProgressLine: @unchecked Sendable {  // `first` is set once, under the line's own lock
    private let line = StatusLine(interval: 5, redraw: 0.2)
    private let label: String
    private var first: (time: Date, done: Int)?

    init(_ label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        line.show(final: done == total) {
            let now = Date()
            let start = first ?? (now, 0)
            if first == nil { first = (now, done) }
            let rate = Double(done - start.done) / max(now.timeIntervalSince(start.time), 0.001)
            var text = (line.terminal ? StatusLine.bar(total > 0 ? Double(done) / Double(total) : 1) + " " : "") + label
            text += ": \(done)/\(total)"
            if rate > 0 { text += String(format: ", %.0f/s", rate) }
            if done < total, rate > 0 { text += ", ETA " + IndexProgressLine.duration(Double(total - done) / rate) }
            return text
        }
    }

    func finish() { line.finish() }
}

/// Progress of a whole-store operation (duplicates, cluster): one counted line per stage, with rate and ETA.
final class CurationProgressLine: @unchecked Sendable {  // `current` is only touched under `lock`
    private let lock = NSLock()
    private var current: (stage: CurationProgress.Stage, line: CountProgressLine)?

    func update(_ progress: CurationProgress) {
        lock.lock()
        defer { lock.unlock() }
        if current?.stage != progress.stage {
            current?.line.finish()
            current = (progress.stage, CountProgressLine(Self.label(progress.stage)))
        }
        current?.line.update(progress.done, progress.total)
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        current?.line.finish()
    }

    static func label(_ stage: CurationProgress.Stage) -> String {
        switch stage {
        case .neighbors: "searching neighbours"
        case .sampling: "reading the k-means sample"
        case .assigning: "assigning to clusters"
        }
    }
}

/// Runs a whole-store operation so that Ctrl-C cancels it: the library stops between chunks, the command says
/// so and exits 130 (these operations only read the store, so nothing is left half-done). A second Ctrl-C quits.
func cancellingOnInterrupt<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await work() }
    let interrupt = onInterrupt(alreadyAsked: { task.isCancelled }) { task.cancel() }
    defer {
        interrupt.cancel()
        signal(SIGINT, SIG_DFL)
    }
    do {
        return try await task.value
    } catch is CancellationError {
        warn("interrupted")
        throw ExitCode(130)
    }
}

/// Calls `ask` on Ctrl-C; a Ctrl-C after `alreadyAsked()` is true quits at once, as a plain SIGINT would.
/// Cancel the returned source when the work is over.
func onInterrupt(alreadyAsked: @escaping @Sendable () -> Bool, _ ask: @escaping @Sendable () -> Void) -> DispatchSourceSignal {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler {
        if alreadyAsked() {
            signal(SIGINT, SIG_DFL)
            raise(SIGINT)
        }
        ask()
    }
    source.resume()
    return source
}
