import CLMDB
import Foundation

/// A thin owner of an LMDB environment: transactions are closures, so none outlives a call (and none is held
/// across an `await`). Keys and values are `Data`; the catalog gives them meaning.
///
/// `@unchecked Sendable`: LMDB environments are thread-safe, and `MDB_NOTLS` lets a read transaction run on any
/// thread; write transactions are serialised by LMDB itself. Map resizing is guarded by `resizeLock`.
final class LMDBEnvironment: @unchecked Sendable {
    let path: String
    private var env: OpaquePointer?
    private(set) var databases: [String: MDB_dbi] = [:]
    /// Readers hold it shared, a resize holds it exclusively ("mdb_env_set_mapsize ... may be called if no
    /// transactions are active in this process").
    private let resizeLock = ReadWriteLock()

    /// Opens (creating if allowed) the environment at `path` (a single file, MDB_NOSUBDIR) with the named databases.
    /// `mapSize` is only the first address-space reservation: a full map doubles and the transaction is retried.
    init(path: String, databases names: [String], readOnly: Bool, mapSize: Int = 1 << 30) throws(StoreError) {
        self.path = path
        var env: OpaquePointer?
        try Self.check(mdb_env_create(&env), path)
        // On failure from here the half-made handle is closed before throwing.
        do {
            try Self.check(mdb_env_set_maxdbs(env, MDB_dbi(names.count + 1)), path)
            try Self.check(mdb_env_set_mapsize(env, mapSize), path)
            try Self.check(mdb_env_set_maxreaders(env, 256), path)
            let flags = UInt32(MDB_NOSUBDIR | MDB_NOTLS) | (readOnly ? UInt32(MDB_RDONLY) : 0)
            try Self.check(mdb_env_open(env, path, flags, 0o644), path)
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.env = env
        // "The database handle will be private to the current transaction until the transaction is successfully
        // committed" (mdb_dbi_open): open them all once, in one transaction, before any other use.
        var txn: OpaquePointer?
        try Self.check(mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn), path)
        for name in names {
            var dbi: MDB_dbi = 0
            let rc = mdb_dbi_open(txn, name, readOnly ? 0 : UInt32(MDB_CREATE), &dbi)
            if rc != 0 { mdb_txn_abort(txn) }
            if rc == MDB_NOTFOUND { throw StoreError(.notAStore, path: path, "has no '\(name)' table: not a dinosearch catalog") }
            try Self.check(rc, path)
            databases[name] = dbi
        }
        try Self.check(mdb_txn_commit(txn), path)
    }

    deinit { if let env { mdb_env_close(env) } }

    static func check(_ rc: Int32, _ path: String) throws(StoreError) {
        guard rc != 0 else { return }
        let message = String(cString: mdb_strerror(rc))
        switch rc {
        case MDB_INVALID, MDB_VERSION_MISMATCH:
            throw StoreError(.notAStore, path: path, "is not an LMDB catalog (\(message))", code: rc)
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_BAD_TXN:
            throw StoreError(.corrupt, path: path, "catalog is corrupted (\(message))", code: rc)
        case EACCES, EROFS, EPERM:
            throw StoreError(.io, path: path, "permission denied or read-only file system (\(message))", code: rc)
        case ENOSPC:
            throw StoreError(.io, path: path, "no space left on device", code: rc)
        case EIO:
            // LMDB turns a short write into EIO, and a short write is what a full disk gives (seen on tmpfs).
            throw StoreError(.io, path: path, "write failed: input/output error (is the disk full?)", code: rc)
        default:
            throw StoreError(.io, path: path, message, code: rc)
        }
    }

    /// A transaction handed to closures; valid only inside them.
    struct Transaction {
        let handle: OpaquePointer?
        let environment: LMDBEnvironment

        func dbi(_ name: String) -> MDB_dbi { environment.databases[name]! }

        func get(_ db: String, _ key: Data) throws(StoreError) -> Data? {
            try withValue(db, key) { Data($0) }
        }

        /// Reads a value in place, without copying it out of the map.
        func withValue<R>(_ db: String, _ key: Data, _ body: (UnsafeRawBufferPointer) -> R) throws(StoreError) -> R? {
            var result: R?
            var status: Int32 = 0
            key.withUnsafeBytes { k in
                var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var mv = MDB_val()
                status = mdb_get(handle, dbi(db), &mk, &mv)
                if status == 0 { result = body(UnsafeRawBufferPointer(start: mv.mv_data, count: mv.mv_size)) }
            }
            if status == MDB_NOTFOUND { return nil }
            try LMDBEnvironment.check(status, environment.path)
            return result
        }

        /// `withValue` for the hot loops over ids: a table resolved once by `dbi(_:)`, an id as its big-endian key.
        func withValue<R>(_ dbi: MDB_dbi, id: UInt64, _ body: (UnsafeRawBufferPointer) -> R) throws(StoreError) -> R? {
            var key = id.bigEndian
            var mv = MDB_val()
            let status = withUnsafeMutableBytes(of: &key) { k in
                var mk = MDB_val(mv_size: k.count, mv_data: k.baseAddress)
                return mdb_get(handle, dbi, &mk, &mv)
            }
            if status == MDB_NOTFOUND { return nil }
            try LMDBEnvironment.check(status, environment.path)
            return body(UnsafeRawBufferPointer(start: mv.mv_data, count: mv.mv_size))
        }

        func put(_ db: String, _ key: Data, _ value: Data) throws(StoreError) {
            var status: Int32 = 0
            key.withUnsafeBytes { k in
                value.withUnsafeBytes { v in
                    var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                    var mv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                    status = mdb_put(handle, dbi(db), &mk, &mv, 0)
                }
            }
            try LMDBEnvironment.check(status, environment.path)
        }

        /// Deletes a key; returns false if it was absent.
        @discardableResult
        func delete(_ db: String, _ key: Data) throws(StoreError) -> Bool {
            var status: Int32 = 0
            key.withUnsafeBytes { k in
                var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                status = mdb_del(handle, dbi(db), &mk, nil)
            }
            if status == MDB_NOTFOUND { return false }
            try LMDBEnvironment.check(status, environment.path)
            return true
        }

        /// Visits entries in key order, starting at the first key ≥ `from`; `body` returns false to stop.
        func scan(_ db: String, from start: Data? = nil, _ body: (Data, Data) throws(StoreError) -> Bool) throws(StoreError) {
            var cursor: OpaquePointer?
            try LMDBEnvironment.check(mdb_cursor_open(handle, dbi(db), &cursor), environment.path)
            defer { mdb_cursor_close(cursor) }
            var mk = MDB_val(), mv = MDB_val()
            var status: Int32
            if var start {
                status = start.withUnsafeMutableBytes { k in
                    mk = MDB_val(mv_size: k.count, mv_data: k.baseAddress)
                    return mdb_cursor_get(cursor, &mk, &mv, MDB_SET_RANGE)
                }
            } else {
                status = mdb_cursor_get(cursor, &mk, &mv, MDB_FIRST)
            }
            while status == 0 {
                let key = Data(bytes: mk.mv_data, count: mk.mv_size)
                let value = Data(bytes: mv.mv_data, count: mv.mv_size)
                guard try body(key, value) else { return }
                status = mdb_cursor_get(cursor, &mk, &mv, MDB_NEXT)
            }
            if status != MDB_NOTFOUND { try LMDBEnvironment.check(status, environment.path) }
        }

        func count(_ db: String) throws(StoreError) -> Int {
            var stat = MDB_stat()
            try LMDBEnvironment.check(mdb_stat(handle, dbi(db), &stat), environment.path)
            return stat.ms_entries
        }
    }

    /// Runs `body` in a read-only snapshot; readers never block the writer.
    func read<R>(_ body: (Transaction) throws(StoreError) -> R) throws(StoreError) -> R {
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        if rc == MDB_MAP_RESIZED {  // another process grew the map: adopt its size and retry
            mdb_env_set_mapsize(env, 0)
            rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        }
        try Self.check(rc, path)
        defer { mdb_txn_abort(txn) }
        return try body(Transaction(handle: txn, environment: self))
    }

    /// Runs `body` in one write transaction and commits it; on any error nothing of it is written.
    /// A full map is doubled and the whole transaction retried.
    func write<R>(_ body: (Transaction) throws(StoreError) -> R) throws(StoreError) -> R {
        while true {
            resizeLock.lockShared()
            var txn: OpaquePointer?
            var rc = mdb_txn_begin(env, nil, 0, &txn)
            if rc == MDB_MAP_RESIZED {
                mdb_env_set_mapsize(env, 0)
                rc = mdb_txn_begin(env, nil, 0, &txn)
            }
            if rc != 0 { resizeLock.unlock() }
            try Self.check(rc, path)
            let result: R
            do throws(StoreError) {
                result = try body(Transaction(handle: txn, environment: self))
            } catch {
                mdb_txn_abort(txn)
                resizeLock.unlock()
                if error.code == MDB_MAP_FULL { try grow(); continue }
                throw error
            }
            rc = mdb_txn_commit(txn)  // frees the transaction whether or not it succeeds
            resizeLock.unlock()
            if rc == MDB_MAP_FULL { try grow(); continue }
            try Self.check(rc, path)
            return result
        }
    }

    private func grow() throws(StoreError) {
        resizeLock.lockExclusive()
        defer { resizeLock.unlock() }
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        try Self.check(mdb_env_set_mapsize(env, info.me_mapsize * 2), path)
    }
}
