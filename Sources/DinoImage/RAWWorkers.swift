import CDinoImage

/// The processes that decode camera RAW files. LibRaw can crash or loop on a damaged file, so it never runs in the
/// caller's process: each concurrent decode borrows a worker process (forked once, kept for the next file), and a
/// worker that crashes, hangs or has just read a damaged file is replaced. Workers end when their process does.
public enum RAWWorkers {
    /// How long one file may take before its worker is killed and the file reported as corrupt (default 2 minutes).
    public static func setTimeout(_ timeout: Duration) {
        let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        dino_raw_set_timeout(Int32(clamping: milliseconds))
    }

    /// The process IDs of the workers waiting for a file.
    public static var idleProcessIDs: [Int32] {
        var pids = [Int32](repeating: 0, count: 64)
        let count = Int(dino_raw_idle_workers(&pids, Int32(pids.count)))
        return Array(pids.prefix(count))
    }
}
