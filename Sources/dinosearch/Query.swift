import ArgumentParser
import DinoSearch
import Foundation

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the stored images most similar to each query image (cosine similarity of DINOv2 embeddings).",
        discussion: """
            --vectors Q.npy searches by vector instead (an N×D .npy of float16/32/64, one query per row, no model \
            needed); each answer's "query" is "Q.npy:ROW", rows counted from 0.
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: ArgumentHelp("Query images.", valueName: "image"))
    var images: [String] = []

    @Option(help: ArgumentHelp("Search by the vectors in this .npy file, one query per row.", valueName: "file"))
    var vectors: String?

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
        guard images.isEmpty != (vectors == nil) else {
            throw ValidationError("give query images or '--vectors FILE', not both and not neither")
        }
    }

    func run() async throws {
        var answers: [Answer] = []
        do {
            if let vectors {
                // No model: the store answers vectors on its own.
                let store = try Store(at: options.storeDirectory, mode: .readOnly)
                let matrix = try NumpyMatrix(contentsOf: vectors)
                for (row, results) in try store.search(rowsOf: matrix, k: k, minimumScore: minScore).enumerated() {
                    answers.append(Answer(query: "\(vectors):\(row)", results: Self.hits(results)))
                }
                return show(answers)
            }
            // Read-only: queries never wait for (or block) an indexer writing to the same store.
            let engine = try SearchEngine(
                store: options.storeDirectory, model: modelOptions.model, mode: .readOnly,
                preprocessing: modelOptions.preprocessing)
            for image in images {
                let results = try await engine.search(contentsOf: image, k: k, minimumScore: minScore)
                answers.append(Answer(query: image, results: Self.hits(results)))
            }
        } catch {
            throw fail(error)
        }
        show(answers)
    }

    static func hits(_ results: [SearchResult]) -> [Hit] {
        results.enumerated().map { Hit(rank: $0 + 1, score: $1.score, path: $1.record.path, id: $1.id) }
    }

    func show(_ answers: [Answer]) {
        if options.json { return printJSON(answers) }
        for (i, answer) in answers.enumerated() {
            if answers.count > 1 { print((i > 0 ? "\n" : "") + "\(answer.query):") }
            if answer.results.isEmpty { print("  (no results)") }
            for hit in answer.results { print(String(format: "%3d  %.3f  %@", hit.rank, hit.score, hit.path)) }
        }
    }
}
