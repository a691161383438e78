import ArgumentParser
import DinoSearch
import Foundation

/// k-means settings shared by `cluster` and `retrieve --by-cluster`, so both make the same clusters.
struct KMeansOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Number of clusters.", valueName: "n"))
    var clusters: Int?

    @Option(help: "k-means iterations.")
    var iterations = KMeansParameters(clusters: 1).iterations

    @Option(help: "k-means seed: the same seed gives the same clusters.")
    var seed = KMeansParameters(clusters: 1).seed

    func validate() throws {
        if let clusters, clusters < 1 { throw ValidationError("'--clusters' must be at least 1") }
        guard iterations >= 1 else { throw ValidationError("'--iterations' must be at least 1") }
    }

    func parameters(_ clusters: Int) -> KMeansParameters {
        KMeansParameters(clusters: clusters, iterations: iterations, seed: seed)
    }

    /// Clusters the store with a progress line and Ctrl-C cancellation.
    func cluster(_ store: Store, clusters: Int) async throws -> Clustering {
        let bar = CurationProgressLine()
        defer { bar.finish() }
        let parameters = parameters(clusters)
        return try await cancellingOnInterrupt { try await store.cluster(parameters, progress: bar.update) }
    }
}

struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Group the stored images into clusters (spherical k-means with Faiss).",
        discussion: """
            Trained on a random sample of 256 images per cluster (all images in a smaller store), then every image \
            is assigned to its nearest centroid; each cluster lists its images nearest the centroid first, with \
            their cosine to it. Reads only.
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var kmeans: KMeansOptions

    @Option(help: ArgumentHelp("List only the M images nearest each centroid (default: all).", valueName: "m"))
    var sample: Int?

    func validate() throws {
        guard kmeans.clusters != nil else { throw ValidationError("'--clusters N' is required") }
        if let sample, sample < 1 { throw ValidationError("'--sample' must be at least 1") }
    }

    struct Image: Encodable { var path: String; var id: UInt64; var score: Float }
    struct Group: Encodable { var cluster: Int; var size: Int; var images: [Image] }
    struct Report: Encodable { var images: Int; var objective: Double; var clusters: [Group] }

    func run() async throws {
        var report = Report(images: 0, objective: 0, clusters: [])
        do {
            let store = try Store(at: options.storeDirectory, mode: .readOnly)
            let clustering = try await kmeans.cluster(store, clusters: kmeans.clusters!)
            report.objective = clustering.objective
            for (c, members) in clustering.members.enumerated() {
                let shown = members.prefix(sample ?? members.count)
                let records = try store.records(ids: shown.map(\.id))
                report.images += members.count
                report.clusters.append(Group(cluster: c, size: members.count, images: shown.compactMap { member in
                    records[member.id].map { Image(path: $0.path, id: member.id, score: member.score) }
                }))
            }
        } catch {
            throw fail(error)
        }
        if options.json { return printJSON(report) }
        for group in report.clusters {
            print((group.cluster > 0 ? "\n" : "") + "cluster \(group.cluster): \(group.size) images")
            for image in group.images { print(String(format: "  %.3f  %@", image.score, image.path)) }
        }
        warn(String(format: "%d images in %d clusters, mean cosine to centroid %.4f", report.images,
                    report.clusters.count, report.objective / Double(max(report.images, 1))))
    }
}
