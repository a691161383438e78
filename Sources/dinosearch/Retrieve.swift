import ArgumentParser
import DinoSearch
import Foundation

struct Retrieve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Select the stored images around a set of seed images (the DINOv2 paper's retrieval).",
        discussion: """
            Seeds are image files, folders of them, or stored paths. By default each seed's -k nearest stored \
            images (cosine >= --min-score) are taken, and the union reported with the seeds that retrieved each. \
            --by-cluster instead clusters the store (as `dinosearch cluster`) and takes up to --per-cluster images, \
            nearest the centroid first, from every cluster holding at least --min-seeds seeds. --link DIR makes a \
            symbolic link to each selected image in DIR. Reads the store only.
            """)

    @OptionGroup var options: StoreOptions
    @OptionGroup var modelOptions: ModelOptions

    @Argument(help: ArgumentHelp("Seed images, folders or stored paths.", valueName: "seed"))
    var seeds: [String]

    @Option(name: .short, help: "Images retrieved per seed.")
    var k = 4

    @Option(help: ArgumentHelp("Leave out images with a cosine score below this.", valueName: "score"))
    var minScore: Float?

    @Option(help: ArgumentHelp("Make a symbolic link to each selected image in this folder.", valueName: "dir"))
    var link: String?

    @Flag(help: "Cluster-based retrieval: whole clusters around the seeds.")
    var byCluster = false

    @OptionGroup(title: "Cluster-based retrieval") var kmeans: KMeansOptions

    @Option(help: ArgumentHelp("With --by-cluster: images taken from each cluster.", valueName: "m"))
    var perCluster = 10_000

    @Option(help: ArgumentHelp("With --by-cluster: seeds a cluster needs to contribute.", valueName: "n"))
    var minSeeds = 3

    func validate() throws {
        guard k >= 1 else { throw ValidationError("'-k' must be at least 1") }
        if let minScore, !(-1...1).contains(minScore) { throw ValidationError("'--min-score' must be between -1 and 1") }
        if byCluster {
            guard kmeans.clusters != nil else { throw ValidationError("'--by-cluster' needs '--clusters N'") }
            guard perCluster >= 1, minSeeds >= 1 else {
                throw ValidationError("'--per-cluster' and '--min-seeds' must be at least 1")
            }
        } else if kmeans.clusters != nil {
            throw ValidationError("'--clusters' goes with '--by-cluster'")
        }
    }

    struct Result: Encodable { var path: String; var id: UInt64; var score: Float; var seeds: [String] }
    struct Report: Encodable { var seeds: Int; var results: [Result] }
    struct Image: Encodable { var path: String; var id: UInt64; var score: Float }
    struct Group: Encodable { var cluster: Int; var size: Int; var seeds: [String]; var images: [Image] }
    struct ClusterReport: Encodable { var seeds: Int; var clusters: [Group] }

    func run() async throws {
        var selected: [String] = []
        do {
            let engine = try SearchEngine(
                store: options.storeDirectory, model: modelOptions.model, mode: .readOnly,
                preprocessing: modelOptions.preprocessing)
            let vectors = try await engine.vectors(of: seeds)
            for skipped in vectors.skipped { warn("skipped \(skipped.path): \(skipped.reason)") }
            if byCluster {
                let clustering = try await kmeans.cluster(engine.store, clusters: kmeans.clusters!)
                let selections = try engine.store.retrieve(
                    vectors.vectors, byCluster: clustering, minimumSeeds: minSeeds, perCluster: perCluster)
                selected = selections.flatMap { $0.images.map(\.record.path) }
                show(ClusterReport(seeds: vectors.vectors.count, clusters: selections.map { selection in
                    Group(cluster: selection.cluster, size: selection.size, seeds: selection.seeds,
                          images: selection.images.map { Image(path: $0.record.path, id: $0.record.id, score: $0.score) })
                }))
            } else {
                let retrieved = try engine.store.retrieve(vectors.vectors, k: k, minimumScore: minScore)
                selected = retrieved.map(\.record.path)
                show(Report(seeds: vectors.vectors.count, results: retrieved.map {
                    Result(path: $0.record.path, id: $0.record.id, score: $0.score, seeds: $0.seeds)
                }))
            }
            if let link { try Self.link(selected, into: link) }
        } catch {
            throw fail(error)
        }
        warn("\(selected.count) images selected" + (link.map { ", linked in \($0)" } ?? ""))
    }

    func show(_ report: Report) {
        if options.json { return printJSON(report) }
        for result in report.results {
            print(String(format: "%.3f  %@  (", result.score, result.path) + result.seeds.joined(separator: ", ") + ")")
        }
    }

    func show(_ report: ClusterReport) {
        if options.json { return printJSON(report) }
        for (i, group) in report.clusters.enumerated() {
            print((i > 0 ? "\n" : "") + "cluster \(group.cluster): \(group.size) images, \(group.seeds.count) seeds")
            for image in group.images { print(String(format: "  %.3f  %@", image.score, image.path)) }
        }
    }

    /// A symbolic link in `folder` (created if needed) to each path, named by its file name, with "-2", "-3"...
    /// before the extension when a name is taken. Never replaces anything already in the folder.
    static func link(_ paths: [String], into folder: String) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("\(folder): cannot be created (\(error.localizedDescription))")
        }
        for path in paths {
            let name = (path as NSString).lastPathComponent
            let stem = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
            var candidate = name, n = 1
            while true {
                let target = (folder as NSString).appendingPathComponent(candidate)
                if symlink(path, target) == 0 { break }
                guard errno == EEXIST else {
                    throw ValidationError("\(target): cannot link (\(String(cString: strerror(errno))))")
                }
                n += 1
                candidate = stem + "-\(n)" + (ext.isEmpty ? "" : "." + ext)
            }
        }
    }
}
