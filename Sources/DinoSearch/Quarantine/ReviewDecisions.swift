import Crypto
import Foundation
import Synchronization

/// A person's keep/trash choices on groups of near-duplicates, kept in the store (`<store>/review/decisions.json`)
/// so a reload or a restart keeps them. A group is named by the SHA-256 of its members' sorted paths: a choice
/// holds until the group changes (an image joins or leaves it), and then the keep rule decides again.
public final class ReviewDecisions: Sendable {
    public enum Decision: String, Codable, Sendable { case keep, trash }

    public let path: String
    private let decisions: Mutex<[String: [String: Decision]]>

    public init(store: Store) {
        path = (store.directory as NSString).appendingPathComponent("review/decisions.json")
        let saved = FileManager.default.contents(atPath: path)
            .flatMap { try? JSONDecoder().decode([String: [String: Decision]].self, from: $0) } ?? [:]
        decisions = Mutex(saved)
    }

    /// The name of a group of images, from their paths or keys (not their ids, which a restore renews).
    public static func group(_ keys: some Sequence<String>) -> String {
        SHA256.hash(data: Data(keys.sorted().joined(separator: "\u{0}").utf8)).hex
    }

    /// The choices made on a group, by key (none: the keep rule's).
    public func decisions(group: String) -> [String: Decision] {
        decisions.withLock { $0[group] ?? [:] }
    }

    /// Every choice, by group and key.
    public func all() -> [String: [String: Decision]] { decisions.withLock { $0 } }

    /// Records a choice and writes the file whole (temporary name, synced, renamed) before returning.
    public func set(_ decision: Decision, key: String, group: String) throws(StoreError) {
        try decisions.withLock { (all) throws(StoreError) in
            var changed = all
            changed[group, default: [:]][key] = decision
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let folder = (path as NSString).deletingLastPathComponent
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try encoder.encode(changed).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw StoreError(.io, path: path, "the review's decisions cannot be saved (\(error.localizedDescription))")
            }
            all = changed
        }
    }
}
