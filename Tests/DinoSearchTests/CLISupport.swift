import DinoTestSupport
import Foundation

/// Runs the built `dinosearch` binary, as users and scripts do.
struct CLI {
    let store: String
    var model = CLI.fixtureModel
    var environment: [String: String] = [:]

    static let repository = RepositoryFiles.root
    static let fixtureModel = RepositoryFiles.fixtureModel
    static let photos = RepositoryFiles.photos
    static let binary = builtProduct("dinosearch")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    /// Starts the command; the caller waits (or kills).
    func start(_ arguments: [String], stdout: Pipe = Pipe(), stderr: Pipe = Pipe()) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["DINOSEARCH_STORE"] = store
        env["DINOSEARCH_MODEL"] = model
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return process
    }

    @discardableResult
    func run(_ arguments: String...) throws -> Result { try run(arguments) }

    func run(_ arguments: [String]) throws -> Result {
        let out = Pipe(), err = Pipe()
        let process = try start(arguments, stdout: out, stderr: err)
        // Read both pipes to the end before waiting, so a full pipe cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }  // written by one thread, read after wait()
        let errors = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errors.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                      stderr: String(decoding: errors.data, as: UTF8.self))
    }
}

/// A folder of photos for one test: the example photos, plus distinct variants made by appending bytes after
/// each JPEG's end-of-image marker (decoders ignore them; the content hash differs, so each one is embedded).
func photoFolder(in directory: String, variants: Int = 0) throws -> String {
    let folder = directory + "/photos"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let names = try FileManager.default.contentsOfDirectory(atPath: CLI.photos).filter { $0.hasSuffix(".jpg") }.sorted()
    for name in names {
        try FileManager.default.copyItem(atPath: CLI.photos + "/" + name, toPath: folder + "/" + name)
    }
    for i in 0..<variants {
        let name = names[i % names.count]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: CLI.photos + "/" + name))
        bytes.append(Data("variant \(i)".utf8))
        try bytes.write(to: URL(fileURLWithPath: folder + "/variant-\(i)-\(name)"))
    }
    return folder
}

extension Dictionary where Key == String, Value == Any {
    func int(_ key: String) -> Int? { self[key] as? Int }
}
