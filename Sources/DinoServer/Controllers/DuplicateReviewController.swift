import DinoImage
import DinoSearch
import HTTPTypes
import Foundation
import Hummingbird
import Synchronization

/// Reviewing near-duplicates and acting on them (the `/duplicates` page): groups a page at a time with every
/// member's details, the person's keep/trash choices kept in the store, and their application through the
/// quarantine (`Store.quarantine`), with undo (`Store.restore`). Files move only when the server was started with
/// `--allow-file-changes`; images added over HTTP need only the write key. Without the flag the plan is offered as
/// JSON and as a shell script instead.
///
/// `GET /v1/duplicates/review`, `PUT /v1/duplicates/decisions`, `POST /v1/duplicates/apply`,
/// `POST /v1/duplicates/undo`, `GET /v1/duplicates/plan`, `GET /v1/duplicates/difference` (the comparator's).
final class DuplicateReviewController<Context: RequestContext>: Sendable {
    let pipeline: ImagePipeline
    let thumbnails: Thumbnails
    let job: BackgroundJob<Float, Review>
    let decisions: ReviewDecisions
    let allowFileChanges: Bool
    /// The originals moved by the last apply, for undo (this server's; `dinosearch restore` undoes any).
    private let lastApply = Mutex<[String]>([])
    static var groupsPerPage: Int { 20 }
    var engine: SearchEngine { pipeline.engine }
    var store: Store { engine.store }

    init(
        pipeline: ImagePipeline, thumbnails: Thumbnails, job: BackgroundJob<Float, Review>, decisions: ReviewDecisions,
        allowFileChanges: Bool
    ) {
        self.pipeline = pipeline
        self.thumbnails = thumbnails
        self.job = job
        self.decisions = decisions
        self.allowFileChanges = allowFileChanges
    }

    /// The groups of one threshold, largest first, each with its name.
    struct Review: Sendable {
        var images: Int
        var groups: [(name: String, group: DuplicateGroup)]
        /// Where each group is in `groups`, by name.
        var position: [String: Int] = [:]
        /// Images the keep rule alone would send to the quarantine.
        var redundant: Int
        init(_ report: DuplicateReport) {
            images = report.images
            groups = report.groups.map { group in
                (ReviewDecisions.group([group.keep.path] + group.duplicates.map(\.record.path)), group)
            }
            for (i, entry) in groups.enumerated() { position[entry.name] = i }
            redundant = report.groups.reduce(0) { $0 + $1.duplicates.count }
        }
    }

    /// Images shown of one group (the kept one and those nearest it); a larger group says how many it has.
    static var membersShown: Int { 48 }

    struct Member: Encodable {
        var key: String, id: UInt64, width: Int, height: Int, bytes: Int64, format: String, modified: Double
        /// Cosine to the image the keep rule keeps (1 for that image).
        var score: Float
        var decision: String
    }
    struct Group: Encodable {
        var group: String, size: Int, members: [Member], keptBecause: String, weakestPair: Float, chained: Bool
        enum CodingKeys: String, CodingKey {
            case group, size, members, keptBecause = "kept_because", weakestPair = "weakest_pair", chained
        }
    }
    struct Page: Encodable {
        var status = "ready"
        var threshold: Float, images: Int, groupsTotal: Int, imagesToGo: Int, page: Int, pages: Int
        var allowFileChanges: Bool, undoAvailable: Bool, groups: [Group]
        enum CodingKeys: String, CodingKey {
            case status, threshold, images, groupsTotal = "groups_total", imagesToGo = "images_to_go", page, pages
            case allowFileChanges = "allow_file_changes", undoAvailable = "undo_available", groups
        }
    }
    struct Running: Encodable {
        var status = "running"
        var progress: ClusterListingController<Context>.Progress?
    }
    struct Choice: Codable { var group: String; var key: String; var decision: ReviewDecisions.Decision }
    struct ApplyRequest: Decodable { var threshold: Float?; var groups: [String]? }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("duplicates/review") { [self] request, _ in
            let query = QueryParameters(request: request)
            let threshold = try query.float("threshold", in: -1...1) ?? DuplicateParameters().threshold
            let number = try query.int("page", in: 1...Int(Int32.max)) ?? 1
            switch try await offload({ try self.job.state(threshold) }) {
            case .running(let progress):
                return try jsonResponse(
                    Running(progress: progress.map { .init($0, operation: "duplicates") }), status: .accepted)
            case .ready(let review):
                return try jsonResponse(try await offload { [self] in try page(review, threshold: threshold, page: number) })
            }
        }

        group.put("duplicates/decisions") { [self] request, _ in
            let choice = try await RequestBody.json(Choice.self, request, limit: 1 << 16)
            try await offload { [self] in try decisions.set(choice.decision, key: choice.key, group: choice.group) }
            return try jsonResponse(choice)
        }

        group.post("duplicates/apply") { [self] request, _ in
            let body = try await RequestBody.json(ApplyRequest.self, request, limit: 1 << 20)
            let threshold = try QueryParameters.check(body.threshold ?? DuplicateParameters().threshold, "threshold", -1...1)
            guard case .ready(let review) = try job.state(threshold) else {
                throw APIError(.conflict, "not_ready", "the groups at this threshold are still being computed")
            }
            let report = try await offload { [self] () throws -> QuarantineReport in
                var (requests, skipped) = plan(review, only: body.groups.map(Set.init))
                var files: [QuarantineRequest] = []
                if !allowFileChanges {
                    for request in requests where try isFile(request.path) {
                        skipped.append(.init(path: request.path, reason: "the server was started without --allow-file-changes"))
                        files.append(request)
                    }
                    requests.removeAll { files.contains($0) }
                }
                var report = try store.quarantine(requests, into: store.defaultQuarantineFolder)
                report.skipped += skipped
                lastApply.withLock { $0 = report.moved.map(\.path) }
                return report
            }
            return try jsonResponse(report)
        }

        group.post("duplicates/undo") { [self] _, _ in
            let paths = lastApply.withLock { $0 }
            guard !paths.isEmpty else { throw APIError.notFound("nothing to undo") }
            let report = try await offload { [self] in try store.restore(from: store.defaultQuarantineFolder, paths: paths) }
            lastApply.withLock { $0 = [] }
            return try jsonResponse(report)
        }

        group.get("duplicates/difference") { [self] request, _ in try await difference(request) }

        group.get("duplicates/plan") { [self] request, _ in
            let query = QueryParameters(request: request)
            let threshold = try query.float("threshold", in: -1...1) ?? DuplicateParameters().threshold
            let format = query.string("format") ?? "json"
            guard format == "json" || format == "sh" else { throw APIError.badRequest("'format' must be json or sh") }
            guard case .ready(let review) = try job.state(threshold) else {
                throw APIError(.conflict, "not_ready", "the groups at this threshold are still being computed")
            }
            let report = try await offload { [self] () throws -> QuarantineReport in
                let (requests, skipped) = plan(review, only: nil)
                var report = try store.quarantine(requests, into: store.defaultQuarantineFolder, dryRun: true)
                report.skipped += skipped
                return report
            }
            if format == "json" {
                var response = try jsonResponse(report)
                response.headers[.contentDisposition] = "attachment; filename=\"dinosearch-plan.json\""
                return response
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/x-shellscript; charset=utf-8",
                          .contentDisposition: "attachment; filename=\"dinosearch-plan.sh\""],
                body: .init(byteBuffer: ByteBuffer(string: Self.script(report))))
        }
    }

    /// Where two stored images differ, patch by patch: both images' patch tokens (at `resolution`, the second's grid
    /// matched to the first's by relative position), the cosine of each pair drawn over the first image's grid —
    /// white where they agree, red where they do not (a crop, a watermark, an edit). PNG at the first image's input
    /// size; `X-Patch-Grid`, `X-Mean-Cosine` and `X-Min-Cosine` headers.
    func difference(_ request: Request) async throws -> Response {
        let query = QueryParameters(request: request)
        guard let a = query.string("a"), let b = query.string("b") else { throw APIError.badRequest("give the two keys as 'a' and 'b'") }
        let resolution = try query.int("resolution", in: 14...1344) ?? 448
        var features: [PatchTokens] = []
        for key in [a, b] {
            guard let record = try await offload({ [self] in try store.record(path: key) }) else {
                throw APIError.notFound("no image with key '\(key)'")
            }
            features.append(try await pipeline.admitted {
                try await MapsController<Context>.features(
                    of: record, key: key, resolution: resolution, engine: engine, thumbnails: thumbnails).tokens
            })
        }
        let (first, second) = (features[0], features[1])
        let (png, mean, least) = try await offload { () throws -> ([UInt8], Float, Float) in
            var scores: [Float] = []
            scores.reserveCapacity(first.rows * first.columns)
            for r in 0..<first.rows {
                for c in 0..<first.columns {
                    let r2 = min(second.rows - 1, r * second.rows / first.rows)
                    let c2 = min(second.columns - 1, c * second.columns / first.columns)
                    let x = (r * first.columns + c) * first.width, y = (r2 * second.columns + c2) * second.width
                    scores.append(Self.cosine(Array(first.tokens[x..<(x + first.width)]), Array(second.tokens[y..<(y + second.width)])))
                }
            }
            // Colour: agreement (cosine ≥ 0.95) white — the page multiplies the map onto the photo, so white leaves it
            // as it is — turning to full red at cosine 0.5 and below.
            let patch = 14
            let (width, height) = (first.columns * patch, first.rows * patch)
            var rgb = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                for x in 0..<width {
                    let score = scores[(y / patch) * first.columns + x / patch]
                    let t = max(0, min(1, (0.95 - score) / 0.45))
                    let i = (y * width + x) * 3
                    rgb[i] = 255
                    rgb[i + 1] = UInt8(255 * (1 - t))
                    rgb[i + 2] = UInt8(255 * (1 - t))
                }
            }
            return (try PNGEncoder.encode(rgb, width: width, height: height),
                    scores.reduce(0, +) / Float(max(scores.count, 1)), scores.min() ?? 1)
        }
        var headers: HTTPFields = [.contentType: "image/png", .cacheControl: "no-store"]
        headers[HTTPField.Name("X-Patch-Grid")!] = "\(first.columns)x\(first.rows)"
        headers[HTTPField.Name("X-Mean-Cosine")!] = String(format: "%.4f", mean)
        headers[HTTPField.Name("X-Min-Cosine")!] = String(format: "%.4f", least)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: png)))
    }

    /// One page of groups with their members' details, choices, the keep rule's reason and the weakest pair.
    func page(_ review: Review, threshold: Float, page: Int) throws -> Page {
        let pages = max(1, (review.groups.count + Self.groupsPerPage - 1) / Self.groupsPerPage)
        let shown = review.groups.dropFirst((page - 1) * Self.groupsPerPage).prefix(Self.groupsPerPage)
        var groups: [Group] = []
        for (name, group) in shown {
            let chosen = decisions.decisions(group: name)
            let records = [group.keep] + group.duplicates.prefix(Self.membersShown - 1).map(\.record)
            let scores = [Float(1)] + group.duplicates.prefix(Self.membersShown - 1).map(\.score)
            // The weakest pair among the images shown, and every image's cosine to the kept one (a bound on the
            // weakest pair of a group too large to compare pair by pair).
            let vectors = try records.map { try store.vector(id: $0.id) ?? [] }
            var weakest = group.duplicates.map(\.score).min() ?? 1
            for i in vectors.indices { for j in vectors.indices where j > i { weakest = min(weakest, Self.cosine(vectors[i], vectors[j])) } }
            groups.append(Group(
                group: name, size: group.count,
                members: zip(records, scores).enumerated().map { i, pair in
                    let (record, score) = pair
                    return Member(
                        key: record.path, id: record.id, width: record.width, height: record.height, bytes: record.fileSize,
                        format: (record.path as NSString).pathExtension.uppercased(), modified: record.modified, score: score,
                        decision: (chosen[record.path] ?? (i == 0 ? .keep : .trash)).rawValue)
                },
                keptBecause: Self.reason(group.keep, over: group.duplicates.map(\.record)),
                weakestPair: weakest, chained: weakest < threshold))
        }
        // The keep rule's count, corrected for the groups where the person chose.
        var toGo = review.redundant
        for (name, chosen) in decisions.all() {
            guard let i = review.position[name] else { continue }
            let members = [review.groups[i].group.keep] + review.groups[i].group.duplicates.map(\.record)
            for (j, record) in members.enumerated() {
                if let choice = chosen[record.path] { toGo += (choice == .trash ? 1 : 0) - (j == 0 ? 0 : 1) }
            }
        }
        return Page(
            threshold: threshold, images: review.images, groupsTotal: review.groups.count, imagesToGo: toGo,
            page: page, pages: pages, allowFileChanges: allowFileChanges,
            undoAvailable: !lastApply.withLock { $0 }.isEmpty, groups: groups)
    }

    /// What the person chose (or the keep rule, where they did not) as quarantine requests: every member marked
    /// "trash", with the group's first kept member as the one kept. A group with nothing kept is refused.
    func plan(_ review: Review, only: Set<String>?) -> ([QuarantineRequest], [QuarantineReport.Skipped]) {
        var requests: [QuarantineRequest] = [], skipped: [QuarantineReport.Skipped] = []
        for (name, group) in review.groups where only?.contains(name) ?? true {
            let chosen = decisions.decisions(group: name)
            let members = [group.keep] + group.duplicates.map(\.record)
            let decided = members.enumerated().map { i, record in (record, chosen[record.path] ?? (i == 0 ? .keep : .trash)) }
            guard let kept = decided.first(where: { $0.1 == .keep })?.0 else {
                skipped += members.map { .init(path: $0.path, reason: "no image of its group would be kept") }
                continue
            }
            requests += decided.filter { $0.1 == .trash }.map { QuarantineRequest(path: $0.0.path, kept: kept.path) }
        }
        return (requests, skipped)
    }

    private func isFile(_ path: String) throws -> Bool {
        guard let record = try store.record(path: path) else { return false }
        if case .failure(.notAFile) = try store.indexedFile(of: record) { return false }
        return true
    }

    /// Why the keep rule kept `keep`: the first of its criteria on which it beats the strongest other member.
    static func reason(_ keep: ImageRecord, over others: [ImageRecord]) -> String {
        guard let rival = others.max(by: { ($0.width * $0.height, $0.fileSize) < ($1.width * $1.height, $1.fileSize) }) else {
            return "the only image"
        }
        if keep.width * keep.height != rival.width * rival.height { return "most pixels" }
        if keep.fileSize != rival.fileSize { return "largest file" }
        if keep.modified != rival.modified { return "oldest" }
        return "first by path"
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in a.indices { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
    }

    /// The plan as `mv` lines a person can read and run: no file is overwritten (`mv -n`), folders made first.
    static func script(_ report: QuarantineReport) -> String {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var lines = ["#!/bin/sh", "# dinosearch: move the copies not kept into the quarantine (no file is overwritten).",
                     "set -e"]
        for moved in report.moved {
            guard let to = moved.to else { lines.append("# \(moved.path): added over HTTP, no file (DELETE it through the API)"); continue }
            lines.append("mkdir -p \(quoted((to as NSString).deletingLastPathComponent))")
            lines.append("mv -n -- \(quoted(moved.path)) \(quoted(to))" + (moved.kept.map { "  # kept: \($0)" } ?? ""))
        }
        for skipped in report.skipped { lines.append("# skipped \(skipped.path): \(skipped.reason)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
