import Characterization
import Foundation
import Graph
import Kernels
import SearchSpace
import Support
import Targets
import TestSupport
import XCTest

final class CharacterizationTests: XCTestCase {
    func smallSpace() throws -> SearchSpace {
        try SearchSpace(time: 32, sensors: 6, classes: 3, trMaxFilters: 8, trGranularity: 4, sfMaxFilters: 16, sfGranularity: 8, stride1Cells: 1)
    }

    func testFillResumesAndPredicts() throws {
        let space = try smallSpace()
        let board = try Fixtures.board("nucleo-l552ze-q")
        let c = Characterizer(space: space, board: board, toolchain: KernelToolchain(catalog: try Fixtures.catalog()))
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("table.sqlite")
        let (costs, kernels) = (LookupTable.costHash(board), try c.kernelHash())
        var table = try TableStore(url: url).table(board: board.name, costHash: costs, kernelHash: kernels)
        XCTAssertTrue(table.entries.isEmpty)
        // Half the keys (a shard), as a run killed halfway would leave them; then the rest.
        let first = try c.fill(&table, store: TableStore(url: url), shard: (0, 2)).emulated
        var reloaded = try TableStore(url: url, create: false).table(board: board.name, costHash: costs, kernelHash: kernels)
        XCTAssertEqual(reloaded, table, "what was committed is what was measured, events included")
        let second = try c.fill(&reloaded, store: TableStore(url: url)).emulated
        XCTAssertEqual(first + second, space.operatorKeys().count, "only the missing half ran")
        XCTAssertEqual(try c.fill(&reloaded, store: TableStore(url: url)).emulated, 0, "a complete table runs nothing")
        XCTAssertTrue(reloaded.entries.values.allSatisfy { $0.cycles > 0 })
        // Prediction covers every sampled architecture.
        var g = SplitMix64(seed: 2)
        for _ in 0..<20 { XCTAssertGreaterThan(try Characterizer.predictCycles(try space.graph(for: space.sample(using: &g)), table: reloaded), 0) }
        var missing = reloaded
        missing.entries.removeValue(forKey: missing.entries.keys.sorted()[0])
        XCTAssertTrue(Fixtures.errorMessage { _ = try (0..<50).map { _ in try Characterizer.predictCycles(try space.graph(for: space.sample(using: &g)), table: missing) } }
            .hasPrefix("no table entry for "))
    }

    /// Every entry's stored events price to its DWT-measured cycles (events · costs, within the
    /// counter's rounding); a recalibrated board (other costs, same event model) is priced from the
    /// stored events without emulating, and agrees with emulating that board afresh.
    func testEventsRepriceARecalibratedBoard() throws {
        let space = try smallSpace()
        let board = try Fixtures.board("nucleo-f446re")
        let toolchain = KernelToolchain(catalog: try Fixtures.catalog())
        let c = Characterizer(space: space, board: board, toolchain: toolchain)
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("table.sqlite")
        let store = try TableStore(url: url)
        var table = try store.table(board: board.name, costHash: LookupTable.costHash(board), kernelHash: try c.kernelHash())
        try c.fill(&table, store: store)
        for (key, e) in table.entries {
            let events = try XCTUnwrap(e.events, key)
            XCTAssertEqual(events.dot(board.costVector), Double(e.cycles), accuracy: 2, key)
        }
        // A "calibrated" board: every non-zero cost changed by a different factor.
        var calibrated = board
        for (k, event) in Event.allCases.enumerated() where calibrated.core.costs[event] != nil {
            calibrated.core.costs[event]!.value *= 1 + 0.07 * Double(k % 5)
        }
        for event in Array(calibrated.memoryCosts.keys) { calibrated.memoryCosts[event]!.value *= 1.25 }
        XCTAssertNotEqual(LookupTable.costHash(calibrated), LookupTable.costHash(board))
        XCTAssertEqual(LookupTable.eventModelHash(calibrated), LookupTable.eventModelHash(board))
        let c2 = Characterizer(space: space, board: calibrated, toolchain: toolchain)
        var repriced = try store.table(board: board.name, costHash: LookupTable.costHash(calibrated), kernelHash: try c2.kernelHash())
        let counts = try c2.fill(&repriced, store: store)
        XCTAssertEqual(counts.emulated, 0, "nothing is emulated again")
        XCTAssertEqual(counts.repriced, space.operatorKeys().count)
        // The second executor: emulate a sample of the configurations on the calibrated board.
        let sample = GoldenSample.keys(space, count: 12)
        var emulated = LookupTable(board: board.name, costHash: LookupTable.costHash(calibrated), kernelHash: try c2.kernelHash())
        try c2.fill(&emulated, store: nil, only: sample)
        var changed = 0
        for key in sample {
            let (r, e) = (Double(repriced.entries[key]!.cycles), Double(emulated.entries[key]!.cycles))
            XCTAssertEqual(r, e, accuracy: max(2, 0.001 * e), key)
            if abs(e - Double(table.entries[key]!.cycles)) > 0.02 * e { changed += 1 }
        }
        XCTAssertGreaterThan(changed, sample.count / 2, "the calibration changed the cycles, so the comparison means something")
    }

    /// The calibration loop's product re-prices a table: a board overlay fitted by `calibrate fit`
    /// (to suite lines from a hidden truth board with other costs) gives, from the stored events, the
    /// cycles that emulating the overlay board afresh measures.
    func testFittedOverlayRepricesAsEmulatingItDoes() throws {
        let dir = try Fixtures.temporaryDirectory()
        let name = "nucleo-l552ze-q"
        let truth = dir.appendingPathComponent("truth/boards")
        try FileManager.default.createDirectory(at: truth, withIntermediateDirectories: true)
        let truthOverlay: [String: Any] = ["name": name, "base": name,
                                           "core": ["costs": ["alu": ["value": 1.3, "source": "truth"], "load": ["value": 2.4, "source": "truth"], "dsp": ["value": 1.6, "source": "truth"]]],
                                           "memory_costs": ["flash_data_misses": ["value": 5, "source": "truth"]]]
        try JSONSerialization.data(withJSONObject: truthOverlay).write(to: truth.appendingPathComponent("\(name).json"))
        func cli(_ args: [String]) throws -> String {
            let r = try Fixtures.capture(Fixtures.micronas, args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
            return r.stdout
        }
        let suite = dir.appendingPathComponent("suite")
        _ = try cli(["calibrate", "suite", "--target", name, "--out", suite.path])
        let log = try cli(["emulate", "--targets-dir", truth.deletingLastPathComponent().path, "--target", name, suite.appendingPathComponent("suite-\(name).elf").path])
        try log.write(to: dir.appendingPathComponent("board.log"), atomically: true, encoding: .utf8)
        let fitted = dir.appendingPathComponent("fitted/boards")
        try FileManager.default.createDirectory(at: fitted, withIntermediateDirectories: true)
        _ = try cli(["calibrate", "fit", "--target", name, "--suite", suite.path, "--log", dir.appendingPathComponent("board.log").path,
                     "--out", fitted.appendingPathComponent("\(name).json").path])

        let space = try smallSpace()
        let nominal = try Fixtures.board(name)
        let calibrated = try BoardCatalog(directories: [Fixtures.targetsDirectory, fitted.deletingLastPathComponent()]).board(named: name)
        XCTAssertNotEqual(LookupTable.costHash(calibrated), LookupTable.costHash(nominal))
        XCTAssertEqual(LookupTable.eventModelHash(calibrated), LookupTable.eventModelHash(nominal))
        let toolchain = KernelToolchain(catalog: try Fixtures.catalog())
        let c = Characterizer(space: space, board: nominal, toolchain: toolchain)
        let store = try TableStore(url: dir.appendingPathComponent("t.sqlite"))
        var table = try store.table(board: name, costHash: LookupTable.costHash(nominal), kernelHash: try c.kernelHash())
        try c.fill(&table, store: store)
        let c2 = Characterizer(space: space, board: calibrated, toolchain: toolchain)
        var repriced = try store.table(board: name, costHash: LookupTable.costHash(calibrated), kernelHash: try c2.kernelHash())
        let counts = try c2.fill(&repriced, store: store)
        XCTAssertEqual(counts.emulated, 0)
        XCTAssertEqual(counts.repriced, space.operatorKeys().count)
        var emulated = LookupTable(board: name, costHash: LookupTable.costHash(calibrated), kernelHash: try c2.kernelHash())
        let sample = GoldenSample.keys(space, count: 12)
        try c2.fill(&emulated, store: nil, only: sample)
        var moved = 0
        for key in sample {
            let (r, e) = (Double(repriced.entries[key]!.cycles), Double(emulated.entries[key]!.cycles))
            XCTAssertEqual(r, e, accuracy: 2, key)
            if abs(e - Double(table.entries[key]!.cycles)) > 0.05 * e { moved += 1 }
        }
        XCTAssertGreaterThan(moved, sample.count / 2, "the fitted costs changed the table, so the comparison means something")
    }

    /// Through the CLI: a recalibrated copy of the boards outside the repository (`--targets-dir`)
    /// still finds the kernels, and its table is re-priced from the stored events, not emulated.
    func testRecalibratedBoardThroughCLI() throws {
        let dir = try Fixtures.temporaryDirectory()
        let targets = dir.appendingPathComponent("targets")
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent("targets"), to: targets)
        let core = targets.appendingPathComponent("cores/cortex-m33f.json")
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: core)) as? [String: Any])
        var costs = try XCTUnwrap(json["costs"] as? [String: Any])
        var alu = try XCTUnwrap(costs["alu"] as? [String: Any])
        alu["value"] = 1.2
        alu["source"] = "test: recalibrated"
        costs["alu"] = alu
        json["costs"] = costs
        try JSONSerialization.data(withJSONObject: json).write(to: core)
        let table = dir.appendingPathComponent("t.sqlite").path
        let common = ["characterize", "--emulate", "cortex-m33", "--window", "32x10", "--classes", "3", "--time-reduce-filters", "8/4",
                      "--sensor-fusion-filters", "16/8", "--stride1-cells", "1", "--table", table, "--json"]
        func run(_ extra: [String]) throws -> [String: Any] {
            let r = try Fixtures.capture(Fixtures.micronas, common + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        let first = try run([])
        let n = try XCTUnwrap(first["configurations"] as? Int)
        XCTAssertEqual(first["emulated"] as? Int, n)
        let recalibrated = try run(["--targets-dir", targets.path])
        XCTAssertEqual(recalibrated["emulated"] as? Int, 0)
        XCTAssertEqual(recalibrated["repriced"] as? Int, n)
        XCTAssertNotEqual(recalibrated["cost_hash"] as? String, first["cost_hash"] as? String)
    }

    /// `characterize` stores the space's per-invoke overhead once the table is complete; `predict`
    /// prices a sampled architecture from it (Σ entries + overhead) and, with --measure, runs it:
    /// within the issue's 3 %. Bad input: an architecture of another space, a space never characterized.
    func testPredictFromStoredOverhead() throws {
        let dir = try Fixtures.temporaryDirectory()
        let table = dir.appendingPathComponent("t.sqlite").path
        let space = ["--window", "32x10", "--classes", "3", "--time-reduce-filters", "8/4", "--sensor-fusion-filters", "16/8", "--stride1-cells", "1"]
        let fill = try Fixtures.capture(Fixtures.micronas, ["characterize", "--emulate", "cortex-m4", "--table", table, "--json"] + space)
        XCTAssertEqual(fill.status, 0, fill.stderr)
        let filled = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(fill.stdout.utf8)) as? [String: Any])
        let overhead = try XCTUnwrap(filled["overhead_cycles"] as? Double)
        let sample = try Fixtures.capture(Fixtures.micronas, ["space", "sample", "--seed", "4"] + space)
        XCTAssertEqual(sample.status, 0, sample.stderr)
        let arch = dir.appendingPathComponent("a.json")
        try sample.stdout.write(to: arch, atomically: true, encoding: .utf8)
        let r = try Fixtures.capture(Fixtures.micronas, ["characterize", "predict", "--emulate", "cortex-m4", "--table", table, "--architecture", arch.path,
                                                          "--measure", "--json"] + space)
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(row["overhead_cycles"] as? Double, overhead)
        let (predicted, measured) = (try XCTUnwrap(row["predicted_cycles"] as? Double), try XCTUnwrap(row["measured_cycles"] as? Double))
        XCTAssertEqual(predicted, measured, accuracy: 0.03 * measured)
        XCTAssertEqual(row["planned_arena_bytes"] as? Int, row["measured_arena_bytes"] as? Int)
        // The prediction is Σ the table's entries for the lowered architecture + the stored overhead.
        let s = try SearchSpace(time: 32, sensors: 10, classes: 3, trMaxFilters: 8, trGranularity: 4, sfMaxFilters: 16, sfGranularity: 8, stride1Cells: 1)
        let board = try Fixtures.board("nucleo-f446re")
        let c = Characterizer(space: s, board: board, toolchain: KernelToolchain(catalog: try Fixtures.catalog()))
        let t = try TableStore(url: URL(fileURLWithPath: table), create: false).table(board: board.name, costHash: LookupTable.costHash(board), kernelHash: try c.kernelHash())
        let a = try JSONDecoder().decode(Architecture.self, from: Data(contentsOf: arch))
        XCTAssertEqual(predicted, try Characterizer.predictCycles(try s.graph(for: a), table: t) + overhead, accuracy: 1e-6)
        // Bad input: the architecture against the default (128x9) space; a space with no overhead stored.
        let other = try Fixtures.capture(Fixtures.micronas, ["characterize", "predict", "--emulate", "cortex-m4", "--table", table, "--architecture", arch.path])
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.hasPrefix("error: \(arch.path): architecture has "), other.stderr)
        let unknown = try Fixtures.capture(Fixtures.micronas, ["characterize", "predict", "--emulate", "cortex-m7", "--table", table, "--architecture", arch.path] + space)
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("has no per-invoke overhead for this space on portenta-h7"), unknown.stderr)
    }

    func testCorruptOrForeignTables() throws {
        let dir = try Fixtures.temporaryDirectory()
        let bad = dir.appendingPathComponent("t.sqlite")
        let junk = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
        try junk.write(to: bad)
        XCTAssertTrue(Fixtures.errorMessage { _ = try TableStore(url: bad) }.hasPrefix("\(bad.path): not a micronas lookup table (corrupt or foreign file)"))
        XCTAssertEqual(try Data(contentsOf: bad), junk, "left untouched")
        let foreign = try foreignDatabase(in: dir)
        let before = try Data(contentsOf: foreign)
        XCTAssertEqual(Fixtures.errorMessage { _ = try TableStore(url: foreign) },
                       "\(foreign.path): not a micronas lookup table (corrupt or foreign file): an SQLite file, but not a micronas lookup table")
        XCTAssertEqual(try Data(contentsOf: foreign), before, "left untouched")
        XCTAssertEqual(Fixtures.errorMessage { _ = try TableStore(url: dir.appendingPathComponent("none.sqlite"), create: false) },
                       "\(dir.appendingPathComponent("none.sqlite").path): no such table file")
    }

    /// An SQLite database that is not a micronas table (written by Python's sqlite3, independently).
    func foreignDatabase(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("foreign.sqlite")
        let r = try Fixtures.capture("/usr/bin/env", ["python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table entries(a, b)'); c.execute('insert into entries values (1, 2)'); c.commit()",
            url.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return url
    }

    /// Predictions against whole models run on the board (a few, for speed; `characterize validate` runs hundreds).
    func testValidationAgainstWholeModels() throws {
        let space = try smallSpace()
        let board = try Fixtures.board("nucleo-f446re")
        let c = Characterizer(space: space, board: board, toolchain: KernelToolchain(catalog: try Fixtures.catalog()))
        var table = LookupTable(board: board.name, costHash: LookupTable.costHash(board), kernelHash: try c.kernelHash())
        try c.fill(&table, store: nil)
        let r = try c.validate(table: table, count: 6, seed: 3)
        XCTAssertEqual(r.architectures.count, 6)
        XCTAssertEqual(r.memory.maxAbsolutePercentError, 0, "the runner's arena high-water mark is the planned arena")
        XCTAssertLessThan(r.latency.maxAbsolutePercentError, 3, "the issue's bound for latency")
    }

    /// kill -9 in the middle of `micronas characterize` leaves a readable table with every finished
    /// entry; the rerun measures only the rest.
    func testKilledCharacterizeResumes() throws {
        let dir = try Fixtures.temporaryDirectory()
        let table = dir.appendingPathComponent("t.sqlite")
        let args = ["characterize", "--emulate", "cortex-m33", "--window", "64x9", "--classes", "3", "--time-reduce-filters", "8/4",
                    "--sensor-fusion-filters", "16/8", "--table", table.path, "--json"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Fixtures.micronas)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill once the first firmware's entries are committed (other workers are mid-firmware).
        let deadline = Date().addingTimeInterval(60)
        while ((try? TableStore(url: table, create: false).count()) ?? 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let partial = try TableStore(url: table, create: false).summary()
        XCTAssertEqual(partial.count, 1)
        let done = try XCTUnwrap(partial.first?.entries)
        XCTAssertGreaterThan(done, 0)
        let r = try Fixtures.capture(Fixtures.micronas, args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let total = try XCTUnwrap(summary["entries"] as? Int)
        XCTAssertEqual(summary["new_entries"] as? Int, total - done, "finished entries are not measured again")
        XCTAssertEqual(total, summary["configurations"] as? Int)
        XCTAssertLessThan(done, total, "the kill came after the last firmware: nothing was tested")
    }

    /// The CI drift gate: the committed golden sample re-measures within 1 %; a drifted entry fails it, named.
    func testGoldenDriftCheck() throws {
        let golden = Fixtures.root.appendingPathComponent("Tests/CharacterizationTests/Fixtures/golden-cortex-m33.json")
        let ok = try Fixtures.capture(Fixtures.micronas, ["characterize", "--emulate", "cortex-m33", "--check", golden.path, "--json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        var sample = try JSONDecoder().decode(GoldenSample.self, from: Data(contentsOf: golden))
        let key = sample.entries.keys.sorted()[3]
        sample.entries[key] = sample.entries[key]! * 11 / 10
        let drifted = try Fixtures.temporaryDirectory().appendingPathComponent("golden.json")
        try JSONEncoder().encode(sample).write(to: drifted)
        let bad = try Fixtures.capture(Fixtures.micronas, ["characterize", "--emulate", "cortex-m33", "--check", drifted.path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("drift: \(key):"), bad.stderr)
        XCTAssertTrue(bad.stdout.contains("1 of \(sample.entries.count) golden entries drifted beyond 1.0 %"), bad.stdout)
    }

    /// Shards joined by `characterize merge` equal one full run; bad input leaves the table untouched.
    func testShardsMergeAndBadInput() throws {
        let dir = try Fixtures.temporaryDirectory()
        let common = ["characterize", "--emulate", "cortex-m33", "--window", "32x6", "--classes", "3", "--time-reduce-filters", "8/4",
                      "--sensor-fusion-filters", "16/8", "--stride1-cells", "1"]
        for i in 0..<2 {
            let r = try Fixtures.capture(Fixtures.micronas, common + ["--shard", "\(i)/2", "--table", dir.appendingPathComponent("s\(i).sqlite").path])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let merged = dir.appendingPathComponent("merged.sqlite")
        let m = try Fixtures.capture(Fixtures.micronas, ["characterize", "merge", dir.appendingPathComponent("s0.sqlite").path,
                                                          dir.appendingPathComponent("s1.sqlite").path, "--out", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        let full = dir.appendingPathComponent("full.sqlite")
        XCTAssertEqual(try Fixtures.capture(Fixtures.micronas, common + ["--table", full.path]).status, 0)
        func rows(_ url: URL) throws -> [String: UInt32] {
            let s = try XCTUnwrap(try TableStore(url: url, create: false).summary().first)
            return try TableStore(url: url, create: false).table(board: s.board, costHash: s.costHash, kernelHash: s.kernelHash).entries.mapValues(\.cycles)
        }
        let (mergedRows, fullRows) = (try rows(merged), try rows(full))
        XCTAssertEqual(mergedRows.keys.sorted(), fullRows.keys.sorted())
        // Shards build other firmware groupings (other code and data addresses, so other flash-cache
        // and prefetch alignment): the same cycles within layout noise, not bit for bit.
        for (key, cycles) in fullRows {
            XCTAssertEqual(Double(mergedRows[key]!), Double(cycles), accuracy: max(100, 0.03 * Double(cycles)), key)
        }
        let info = try Fixtures.capture(Fixtures.micronas, ["characterize", "info", "--table", merged.path, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("\"entries\":\(fullRows.count)"), info.stdout)
        // Bad input: a shard out of range, a corrupt table, a foreign table to merge; nothing is written.
        let badShard = try Fixtures.capture(Fixtures.micronas, common + ["--shard", "2/2", "--table", full.path])
        XCTAssertEqual(badShard.status, 64)
        XCTAssertTrue(badShard.stderr.contains("--shard must be I/N with 0 ≤ I < N, got '2/2'"), badShard.stderr)
        let corrupt = dir.appendingPathComponent("corrupt.sqlite")
        try "{ not a table".write(to: corrupt, atomically: true, encoding: .utf8)
        let c = try Fixtures.capture(Fixtures.micronas, common + ["--table", corrupt.path])
        XCTAssertEqual(c.status, 2)
        XCTAssertTrue(c.stderr.contains("\(corrupt.path): not a micronas lookup table (corrupt or foreign file)"), c.stderr)
        XCTAssertEqual(try String(contentsOf: corrupt, encoding: .utf8), "{ not a table", "the bad table is left untouched")
        let foreign = try foreignDatabase(in: dir)
        let out = dir.appendingPathComponent("x.sqlite")
        let f = try Fixtures.capture(Fixtures.micronas, ["characterize", "merge", full.path, foreign.path, "--out", out.path])
        XCTAssertEqual(f.status, 2)
        XCTAssertTrue(f.stderr.contains("\(foreign.path): not a micronas lookup table"), f.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing is written when an input is bad")
    }

    /// Table files written by another tool or by hand — NULLs where the schema does not forbid them,
    /// text where numbers belong, negative cycles, events that are not JSON, a NULL overhead — are
    /// refused by `info` and `merge` naming the file and the row; `merge` writes nothing (issue 23).
    func testHostileTableRowsAreRefusedByName() throws {
        let dir = try Fixtures.temporaryDirectory()
        let rows: [(String, String, String)] = [
            ("null-config", "NULL, 100, 10, 'm', NULL", "an entry's config is not text"),
            ("negative", "'conv a', -5, 10, 'm', NULL", "entry 'conv a' has cycles -5, MACs 10"),
            ("text-cycles", "'conv a', '12', 10, 'm', NULL", "entry 'conv a': cycles is not an integer"),
            ("bad-events", "'conv a', 100, 10, 'm', 'not json'", "entry 'conv a' has unreadable events"),
            ("null-model", "'conv a', 100, 10, NULL, NULL", "entry 'conv a': event_model is not text"),
        ]
        for (name, values, expected) in rows + [("null-overhead", "'conv a', 100, 10, 'm', NULL", "the overhead of space 's' is not a number of cycles")] {
            let file = dir.appendingPathComponent("\(name).sqlite")
            let overhead = name == "null-overhead" ? "CREATE TABLE overheads(board, cost_hash, kernel_hash, space, cycles); INSERT INTO overheads VALUES ('b', 'c', 'k', 's', NULL);" : ""
            let script = """
                import sqlite3
                c = sqlite3.connect(\(String(reflecting: file.path)))
                c.executescript(\"\"\"
                CREATE TABLE micronas_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT INTO micronas_meta VALUES ('format', 'micronas-lut'), ('version', '1');
                CREATE TABLE entries(board, cost_hash, kernel_hash, config, cycles, macs, event_model, events, source);
                INSERT INTO entries VALUES ('b', 'c', 'k', \(values), 'measured');
                \(overhead)
                \"\"\")
                c.commit()
                """
            try Fixtures.run("python3", ["-c", script])
            let info = try Fixtures.capture(Fixtures.micronas, ["characterize", "info", "--table", file.path])
            XCTAssertEqual(info.status, 2, "\(name): \(info.stdout)")
            XCTAssertTrue(info.stderr.contains("\(file.path): not a micronas lookup table (corrupt or foreign file): \(expected)"), "\(name): \(info.stderr)")
            let out = dir.appendingPathComponent("merged-\(name).sqlite")
            let merge = try Fixtures.capture(Fixtures.micronas, ["characterize", "merge", file.path, "--out", out.path])
            XCTAssertEqual(merge.status, 2, "\(name)")
            XCTAssertTrue(merge.stderr.contains(expected), "\(name): \(merge.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(name): nothing is written")
        }
    }
}
