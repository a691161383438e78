import ArgumentParser
import DinoSearch
import Foundation

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the stored images most similar to each query image (cosine similarity of DINOv2 embeddings).")

    @OptionGroup var options: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: ArgumentHelp("Query images.", valueName: "image"))
    var images: [String]

    @Option(name: .short, help: "Results per query.")
    var k = 10

    @Option(help: ArgumentHelp("Leave out results with a cosine score below this.", valueName: "score"))
    var minScore: Float?

    struct Hit: Encodable {
        var rank: Int
        var score: Float
        var path: String
        var id: UInt64
    }

    struct Answer: Encodable {
        var query: String
        var results: [Hit]
    }

    func validate() throws {
        guard k >= 1 else { throw ValidationError("'-k' must be at least 1") }
    }

    func run() async throws {
        var answers: [Answer] = []
        do {
            // Read-only: queries never wait for (or block) an indexer writing to the same store.
            let engine = try SearchEngine(
                store: options.storeDirectory, model: modelOptions.model, mode: .readOnly,
                preprocessing: modelOptions.preprocessing)
            for image in images {
                let results = try await engine.search(contentsOf: image, k: k, minimumScore: minScore)
                let hits = results.enumerated().map { Hit(rank: $0 + 1, score: $1.score, path: $1.record.path, id: $1.id) }
                answers.append(Answer(query: image, results: hits))
            }
        } catch {
            throw fail(error)
        }
        if options.json { return printJSON(answers) }
        for (i, answer) in answers.enumerated() {
            if answers.count > 1 { print((i > 0 ? "\n" : "") + "\(answer.query):") }
            if answer.results.isEmpty { print("  (no results)") }
            for hit in answer.results { print(String(format: "%3d  %.3f  %@", hit.rank, hit.score, hit.path)) }
        }
    }
}
