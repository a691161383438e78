import DinoImage
import Foundation
import Testing

/// The RAW decoder's worker processes, each test in a process of its own (an exit test): the workers are the
/// process's, and freezing or killing one must not reach the other tests' decodes.
struct RAWWorkerTests {
    /// Fails the exit test with a message (a thrown error or a non-zero exit is what the parent sees).
    static func check(_ condition: Bool, _ message: String) {
        if !condition {
            FileHandle.standardError.write(Data("RAWWorkerTests: \(message)\n".utf8))
            exit(1)
        }
    }

    /// What a failed exit test said.
    static func report(_ result: ExitTest.Result?) {
        guard let result, result.exitStatus != .exitCode(0) else { return }
        print(String(decoding: result.standardErrorContent, as: UTF8.self))
    }

    static func isGone(_ pid: Int32) -> Bool { kill(pid, 0) == -1 && errno == ESRCH }

    /// One worker serves file after file; a worker killed while idle is replaced without the file noticing.
    @Test func aWorkerIsKeptForTheNextFileAndReplacedWhenItDies() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let preview = FormatFixtures.path("raw_preview.dng")
            let decoded = try ImageDecoder().decode(contentsOf: preview)
            let first = RAWWorkers.idleProcessIDs
            RAWWorkerTests.check(first.count == 1, "one idle worker after a decode, not \(first)")
            for _ in 0..<5 {
                let again = try ImageDecoder().decode(contentsOf: preview)
                RAWWorkerTests.check(again.image.bytes == decoded.image.bytes, "the same pixels each time")
            }
            RAWWorkerTests.check(RAWWorkers.idleProcessIDs == first, "the same worker for every file")
            kill(first[0], SIGKILL)
            usleep(100_000)
            let afterDeath = try ImageDecoder().decode(contentsOf: preview)
            RAWWorkerTests.check(afterDeath.image.bytes == decoded.image.bytes, "decoded by a new worker")
            let second = RAWWorkers.idleProcessIDs
            RAWWorkerTests.check(second.count == 1 && second != first, "a new worker, not \(second)")
            RAWWorkerTests.check(RAWWorkerTests.isGone(first[0]), "the dead worker was reaped (no zombie)")
        }
        RAWWorkerTests.report(result)
    }

    /// A decode that hangs is stopped at the timeout and reported as that file's error; the next file decodes.
    @Test func aHungDecodeIsKilledAndReported() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let preview = FormatFixtures.path("raw_preview.dng")
            _ = try ImageDecoder().decode(contentsOf: preview)
            let worker = RAWWorkers.idleProcessIDs
            RAWWorkerTests.check(worker.count == 1, "one idle worker")
            kill(worker[0], SIGSTOP)  // as a decoder caught in a loop: it never answers
            RAWWorkers.setTimeout(.milliseconds(500))
            do throws(ImageError) {
                _ = try ImageDecoder().decode(contentsOf: preview)
                RAWWorkerTests.check(false, "a frozen worker decoded")
            } catch {
                RAWWorkerTests.check(error.kind == .corrupt && error.path == preview, "\(error)")
                RAWWorkerTests.check("\(error)".contains("took too long"), "\(error)")
            }
            RAWWorkerTests.check(RAWWorkerTests.isGone(worker[0]), "the hung worker was killed and reaped")
            RAWWorkers.setTimeout(.seconds(120))
            let next = try ImageDecoder().decode(contentsOf: FormatFixtures.path("raw_demosaic.dng"))
            RAWWorkerTests.check(next.image.width == 240, "the next file decodes")
        }
        RAWWorkerTests.report(result)
    }

    /// A file that crashes LibRaw fails alone, and the worker that read it is not given the next file.
    @Test func aCrashFailsThatFileOnly() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            var crashing = try FormatFixtures.bytes("raw_demosaic.dng")
            crashing[64] = 0xEC  // as FormatTests.aDNGThatCrashesLibRawIsAnErrorNotACrash
            crashing[386] = 0xF6
            let good = FormatFixtures.path("raw_demosaic.dng")
            _ = try ImageDecoder().decode(contentsOf: good)
            let before = RAWWorkers.idleProcessIDs
            for _ in 0..<3 {
                do throws(ImageError) {
                    _ = try ImageDecoder().decode(crashing)
                    RAWWorkerTests.check(false, "the damaged DNG decoded")
                } catch {
                    RAWWorkerTests.check([.corrupt, .unsupportedFormat].contains(error.kind), "\(error)")
                }
                RAWWorkerTests.check(try ImageDecoder().decode(contentsOf: good).image.width == 240, "the next decodes")
            }
            RAWWorkerTests.check(RAWWorkerTests.isGone(before[0]), "the worker that read a damaged file was replaced")
            RAWWorkerTests.check(RAWWorkers.idleProcessIDs.count == 1, "one idle worker")
        }
        RAWWorkerTests.report(result)
    }
}
