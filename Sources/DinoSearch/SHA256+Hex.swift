import Crypto

extension SHA256.Digest {
    /// Lower-case hex, as the catalog stores content hashes and the hub announces checksums.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
