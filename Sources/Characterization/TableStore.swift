import CSQLite
import Foundation
import Support
import Targets

/// The lookup tables on disk: one SQLite file holding entries of any number of boards, cost tables
/// and kernel builds. Key = board + cost-table hash + kernel-binary hash + operator configuration;
/// each row keeps the cycles, the MACs and the event vector behind the cycles. Every batch of rows
/// is one transaction, so a killed run leaves the last committed state and a rerun measures only
/// what is missing (DESIGN decision 7).
///
/// Schema (format `micronas-lut`, version 1):
///     micronas_meta(key TEXT PRIMARY KEY, value TEXT)          -- format, version
///     entries(board, cost_hash, kernel_hash, config,           -- the key
///             cycles INTEGER, macs INTEGER,
///             event_model TEXT,   -- LookupTable.eventModelHash of the board measured
///             events TEXT,        -- JSON {event: count} (NULL if not recorded)
///             source TEXT)        -- 'emulated' or 'repriced'
///     overheads(board, cost_hash, kernel_hash, space, cycles REAL)   -- per-invoke overhead per space
///                                                                   (created when first stored)
public final class TableStore {
    public let url: URL
    private var db: OpaquePointer?
    static let format = "micronas-lut", version = "1"

    /// Opens (creating when `create` and the file does not exist) a table file. A file that is not
    /// SQLite, or an SQLite file that is not a micronas table, is refused and left untouched.
    public init(url: URL, create: Bool = true) throws {
        self.url = url
        let exists = FileManager.default.fileExists(atPath: url.path)
        guard exists || create else { throw CharacterizationError("\(url.path): no such table file") }
        if !exists { try AtomicWrite.createParent(of: url) }
        let flags = SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(url.path, &db, flags, nil) == SQLITE_OK else {
            let why = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw CharacterizationError("\(url.path): cannot open the table: \(why)")
        }
        sqlite3_busy_timeout(db, 60_000)
        do {
            let tables = try query("SELECT name FROM sqlite_master WHERE type = 'table'") { try text($0, 0, "a table name") }
            if tables.isEmpty {
                try execute("""
                    BEGIN;
                    CREATE TABLE micronas_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    INSERT INTO micronas_meta VALUES ('format', '\(Self.format)'), ('version', '\(Self.version)');
                    CREATE TABLE entries(board TEXT NOT NULL, cost_hash TEXT NOT NULL, kernel_hash TEXT NOT NULL, config TEXT NOT NULL,
                        cycles INTEGER NOT NULL, macs INTEGER NOT NULL, event_model TEXT NOT NULL, events TEXT, source TEXT NOT NULL,
                        PRIMARY KEY (board, cost_hash, kernel_hash, config)) WITHOUT ROWID;
                    COMMIT;
                    """)
            } else {
                let meta = tables.contains("micronas_meta") && tables.contains("entries")
                    ? try query("SELECT key, value FROM micronas_meta") { (try text($0, 0, "a micronas_meta key"), try text($0, 1, "a micronas_meta value")) }
                    : []
                let fields = Dictionary(meta, uniquingKeysWith: { a, _ in a })
                guard fields["format"] == Self.format else { throw CharacterizationError("an SQLite file, but not a micronas lookup table") }
                guard fields["version"] == Self.version else { throw CharacterizationError("table format version \(fields["version"] ?? "?"), this micronas reads \(Self.version)") }
            }
        } catch let e as CharacterizationError {
            sqlite3_close(db)
            db = nil
            // SQLite's own errors (from `query`) already name the file; say it once.
            let why = e.description.hasPrefix("\(url.path): ") ? String(e.description.dropFirst(url.path.count + 2)) : e.description
            throw CharacterizationError("\(url.path): not a micronas lookup table (corrupt or foreign file): \(why)")
        }
    }

    deinit { sqlite3_close(db) }

    // MARK: reading

    /// The entries of one board, cost table and kernel build.
    public func table(board: String, costHash: String, kernelHash: String) throws -> LookupTable {
        var t = LookupTable(board: board, costHash: costHash, kernelHash: kernelHash)
        let rows = try query("SELECT config, cycles, macs, events FROM entries WHERE board = ? AND cost_hash = ? AND kernel_hash = ?",
                             [board, costHash, kernelHash]) { s in
            let config = try text(s, 0, "an entry's config")
            return (config, try integer(s, 1, "entry '\(config)': cycles"), try integer(s, 2, "entry '\(config)': macs"),
                    sqlite3_column_type(s, 3) == SQLITE_NULL ? nil : try text(s, 3, "entry '\(config)': events"))
        }
        for (config, cycles, macs, events) in rows {
            guard cycles >= 0, cycles <= Int64(UInt32.max), macs >= 0 else { throw corrupt("entry '\(config)' has cycles \(cycles), MACs \(macs)") }
            t.entries[config] = .init(cycles: UInt32(cycles), macs: Int(macs), events: try events.map { try decodeEvents($0, config: config) })
        }
        return t
    }

    /// Rows of the same board, kernel build and event model measured under other cost tables, with
    /// their events (re-pricing candidates), for the configurations in `configs`.
    public func eventsElsewhere(board: String, costHash: String, kernelHash: String, eventModel: String,
                                configs: Set<String>) throws -> [String: (events: EventVector, macs: Int)] {
        let rows = try query("""
            SELECT config, events, macs FROM entries WHERE board = ? AND kernel_hash = ? AND event_model = ? AND cost_hash != ? AND events IS NOT NULL
            """, [board, kernelHash, eventModel, costHash]) { s in
            let config = try text(s, 0, "an entry's config")
            let macs = try integer(s, 2, "entry '\(config)': macs")
            guard macs >= 0 else { throw corrupt("entry '\(config)' has MACs \(macs)") }
            return (config, try text(s, 1, "entry '\(config)': events"), Int(macs))
        }
        var found: [String: (EventVector, Int)] = [:]
        for (config, text, macs) in rows where configs.contains(config) && found[config] == nil {
            found[config] = (try decodeEvents(text, config: config), macs)
        }
        return found
    }

    public struct Summary: Sendable { public var board, costHash, kernelHash: String; public var entries, withEvents: Int }

    /// What the file holds: entries per board, cost table and kernel build — after every row has
    /// been checked (`checkRows`).
    public func summary() throws -> [Summary] {
        try checkRows()
        return try query("""
            SELECT board, cost_hash, kernel_hash, COUNT(*), COUNT(events) FROM entries GROUP BY board, cost_hash, kernel_hash ORDER BY board, cost_hash, kernel_hash
            """) { s in
            Summary(board: try text(s, 0, "a board"), costHash: try text(s, 1, "a cost hash"),
                    kernelHash: try text(s, 2, "a kernel hash"), entries: Int(sqlite3_column_int64(s, 3)), withEvents: Int(sqlite3_column_int64(s, 4)))
        }
    }

    /// Reads every entry (and overhead) row and checks it as `table` would use it: text where text
    /// belongs, whole-number cycles in 0…2^32−1 and MACs ≥ 0, events (when present) readable, finite
    /// overheads (which may be negative: whole invokes a little below the sum of their entries). A
    /// file written by another tool, or by hand, fails here naming the row.
    public func checkRows() throws {
        _ = try query("SELECT board, cost_hash, kernel_hash, config, cycles, macs, event_model, events, source FROM entries") { s in
            let config = try text(s, 3, "an entry's config")
            for (i, name) in [(0, "board"), (1, "cost_hash"), (2, "kernel_hash"), (6, "event_model"), (8, "source")] {
                _ = try text(s, Int32(i), "entry '\(config)': \(name)")
            }
            let cycles = try integer(s, 4, "entry '\(config)': cycles"), macs = try integer(s, 5, "entry '\(config)': macs")
            guard cycles >= 0, cycles <= Int64(UInt32.max), macs >= 0 else { throw corrupt("entry '\(config)' has cycles \(cycles), MACs \(macs)") }
            if sqlite3_column_type(s, 7) != SQLITE_NULL { _ = try decodeEvents(try text(s, 7, "entry '\(config)': events"), config: config) }
        }
        guard try hasTable("overheads") else { return }
        _ = try query("SELECT space, cycles FROM overheads") { s in
            let space = try text(s, 0, "an overhead's space")
            let type = sqlite3_column_type(s, 1), cycles = sqlite3_column_double(s, 1)
            guard type == SQLITE_FLOAT || type == SQLITE_INTEGER, cycles.isFinite else {
                throw corrupt("the overhead of space '\(space)' is not a number of cycles")
            }
        }
    }

    // MARK: writing

    /// Inserts (or replaces) entries of `table`'s key in one transaction.
    public func insert(_ entries: [String: LookupTable.Entry], into table: LookupTable, eventModel: String, source: String) throws {
        try execute("BEGIN IMMEDIATE")
        do {
            let sql = "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            var s: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK else { throw error("prepare") }
            defer { sqlite3_finalize(s) }
            for (config, e) in entries.sorted(by: { $0.key < $1.key }) {
                sqlite3_reset(s)
                let texts: [(Int32, String)] = [(1, table.board), (2, table.costHash), (3, table.kernelHash), (4, config), (7, eventModel), (9, source)]
                for (i, v) in texts { sqlite3_bind_text(s, i, v, -1, Self.transient) }
                sqlite3_bind_int64(s, 5, Int64(e.cycles))
                sqlite3_bind_int64(s, 6, Int64(e.macs))
                if let ev = e.events { sqlite3_bind_text(s, 8, try encodeEvents(ev), -1, Self.transient) } else { sqlite3_bind_null(s, 8) }
                guard sqlite3_step(s) == SQLITE_DONE else { throw error("insert") }
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Copies every row of another table file that this one lacks (shard tables into one); returns
    /// the rows added. The other file is only read.
    @discardableResult
    public func merge(from other: TableStore) throws -> Int {
        try other.checkRows()  // nothing unreadable is copied
        let before = try count()
        try execute("ATTACH DATABASE ? AS other", [other.url.path])
        defer { try? execute("DETACH DATABASE other") }
        try execute("BEGIN IMMEDIATE; INSERT OR IGNORE INTO main.entries SELECT * FROM other.entries; COMMIT")
        if try hasTable("overheads", schema: "other") {
            try createOverheads()
            try execute("INSERT OR IGNORE INTO main.overheads SELECT * FROM other.overheads")
        }
        return try count() - before
    }

    // MARK: per-invoke overheads

    /// The per-invoke overhead measured for a space (cycles of a whole invoke not in any table
    /// entry: the runtime's loop, per-op calls, effects between ops), if stored.
    public func overhead(board: String, costHash: String, kernelHash: String, space: String) throws -> Double? {
        guard try hasTable("overheads") else { return nil }
        return try query("SELECT cycles FROM overheads WHERE board = ? AND cost_hash = ? AND kernel_hash = ? AND space = ?",
                         [board, costHash, kernelHash, space]) { s in
            let type = sqlite3_column_type(s, 0), cycles = sqlite3_column_double(s, 0)
            guard type == SQLITE_FLOAT || type == SQLITE_INTEGER, cycles.isFinite else {
                throw corrupt("the overhead of space '\(space)' is not a number of cycles")
            }
            return cycles
        }.first
    }

    public func setOverhead(_ cycles: Double, board: String, costHash: String, kernelHash: String, space: String) throws {
        try createOverheads()
        try execute("INSERT OR REPLACE INTO overheads VALUES (?, ?, ?, ?, \(cycles))", [board, costHash, kernelHash, space])
    }

    private func createOverheads() throws {
        try execute("""
            CREATE TABLE IF NOT EXISTS main.overheads(board TEXT NOT NULL, cost_hash TEXT NOT NULL, kernel_hash TEXT NOT NULL, space TEXT NOT NULL,
                cycles REAL NOT NULL, PRIMARY KEY (board, cost_hash, kernel_hash, space)) WITHOUT ROWID
            """)
    }

    private func hasTable(_ name: String, schema: String = "main") throws -> Bool {
        try query("SELECT COUNT(*) FROM \(schema).sqlite_master WHERE type = 'table' AND name = ?", [name]) { sqlite3_column_int64($0, 0) }.first == 1
    }

    public func count() throws -> Int { try query("SELECT COUNT(*) FROM entries") { Int(sqlite3_column_int64($0, 0)) }.first ?? 0 }

    // MARK: SQLite plumbing

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func error(_ what: String) -> CharacterizationError {
        CharacterizationError("\(url.path): \(what): \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "closed")")
    }

    private func corrupt(_ what: String) -> CharacterizationError {
        CharacterizationError("\(url.path): not a micronas lookup table (corrupt or foreign file): \(what)")
    }

    private func execute(_ sql: String, _ arguments: [String] = []) throws {
        if arguments.isEmpty {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw error(sql.split(separator: " ").prefix(2).joined(separator: " ")) }
            return
        }
        _ = try query(sql, arguments) { _ in () }
    }

    private func query<T>(_ sql: String, _ arguments: [String] = [], row: (OpaquePointer) throws -> T) throws -> [T] {
        var s: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK, let statement = s else { throw error("query") }
        defer { sqlite3_finalize(statement) }
        for (i, a) in arguments.enumerated() { sqlite3_bind_text(statement, Int32(i + 1), a, -1, Self.transient) }
        var rows: [T] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error("query") }
            rows.append(try row(statement))
        }
        return rows
    }

    /// Column `i` as text; a NULL or a value of another type is a corrupt row (String(cString:) of
    /// SQLite's NULL pointer would trap).
    private func text(_ s: OpaquePointer, _ i: Int32, _ what: String) throws -> String {
        guard sqlite3_column_type(s, i) == SQLITE_TEXT, let p = sqlite3_column_text(s, i) else { throw corrupt("\(what) is not text") }
        return String(cString: p)
    }

    /// Column `i` as an integer; NULL, text or a real number is a corrupt row.
    private func integer(_ s: OpaquePointer, _ i: Int32, _ what: String) throws -> Int64 {
        guard sqlite3_column_type(s, i) == SQLITE_INTEGER else { throw corrupt("\(what) is not an integer") }
        return sqlite3_column_int64(s, i)
    }

    private func encodeEvents(_ e: EventVector) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: e.named, options: [.sortedKeys]), as: UTF8.self)
    }

    private func decodeEvents(_ text: String, config: String) throws -> EventVector {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Double],
              let v = EventVector(named: object) else { throw corrupt("entry '\(config)' has unreadable events") }
        return v
    }
}
