// How a photo-management backend uses dinosearch as a library: one engine for the process, uploads added from
// memory under the backend's own keys, searches by an uploaded image, by a stored id or by a vector.
//
// Run: DINOSEARCH_MODEL=/path/to/dinov2-small swift run -c release library-example [STORE_DIR]
import DinoSearch
import Foundation

@main
struct LibraryExample {
    static func main() async {
        let storeDirectory = CommandLine.arguments.dropFirst().first ?? NSTemporaryDirectory() + "library-example-store"
        do {
            // One engine per process; it is safe to share between request handlers (tasks).
            let engine = try SearchEngine(store: storeDirectory)  // model: $DINOSEARCH_MODEL or the cached download

            // Uploads arrive as bytes: they are embedded in memory and stored under the backend's key.
            let photos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("photos")
            let names = ["Aqua.jpg", "Garden.jpg", "LadyBird.jpg", "GreenMeadow.jpg"]
            try await withThrowingTaskGroup(of: (String, UInt64).self) { group in
                for (i, name) in names.enumerated() {
                    let bytes = try [UInt8](Data(contentsOf: photos.appendingPathComponent(name)))
                    group.addTask { ("user-7/upload-\(i)", try await engine.add(bytes, key: "user-7/upload-\(i)")) }
                }
                for try await (key, id) in group { print("stored \(key) as id \(id)") }
            }

            // A file on disk (or an https URL) works too.
            let flowerID = try await engine.add(contentsOf: photos.appendingPathComponent("YellowFlower.jpg"))

            // Search by an image the user just uploaded.
            let query = try [UInt8](Data(contentsOf: photos.deletingLastPathComponent()
                .appendingPathComponent("queries/ladybird-closer.jpg")))
            for hit in try await engine.search(query, k: 3, minimumScore: 0.2) {
                print(String(format: "%.3f  %@  (id %llu)", hit.score, hit.record.path, hit.id))
            }

            // "More like this" for a stored photo, and removal when the user deletes it.
            print("similar to id \(flowerID):", try engine.search(id: flowerID, k: 2).map(\.record.path))
            try engine.remove(key: "user-7/upload-0")
        } catch {
            // ImageError, ModelError and StoreError all describe themselves in one line naming the file.
            FileHandle.standardError.write(Data("library-example: \(error)\n".utf8))
            exit(1)
        }
    }
}
