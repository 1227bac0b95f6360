import Characterization
import Foundation
import Graph
import Kernels
import SearchSpace
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
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("table.json")
        var table = LookupTable(board: board.name, costHash: LookupTable.costHash(board), kernelHash: try c.kernelHash())
        // Half the keys (a shard), as a run killed halfway would leave them; then the rest.
        let first = try c.fill(&table, saveTo: url, shard: (0, 2))
        var reloaded = try LookupTable.load(url)
        XCTAssertEqual(reloaded.entries.count, first)
        let second = try c.fill(&reloaded, saveTo: url)
        XCTAssertEqual(first + second, space.operatorKeys().count, "only the missing half ran")
        XCTAssertEqual(try c.fill(&reloaded, saveTo: url), 0, "a complete table runs nothing")
        XCTAssertTrue(reloaded.entries.values.allSatisfy { $0.cycles > 0 })
        // Prediction covers every sampled architecture.
        var g = SeededGenerator(seed: 2)
        for _ in 0..<20 { XCTAssertGreaterThan(try Characterizer.predictCycles(try space.graph(for: space.sample(using: &g)), table: reloaded), 0) }
        var missing = reloaded
        missing.entries.removeValue(forKey: missing.entries.keys.sorted()[0])
        XCTAssertTrue(Fixtures.errorMessage { _ = try (0..<50).map { _ in try Characterizer.predictCycles(try space.graph(for: space.sample(using: &g)), table: missing) } }
            .hasPrefix("no table entry for "))
    }

    func testCorruptOrForeignTables() throws {
        let dir = try Fixtures.temporaryDirectory()
        let bad = dir.appendingPathComponent("t.json")
        try "{\"entries\": 3}".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertTrue(Fixtures.errorMessage { try LookupTable.load(bad) }.hasPrefix("\(bad.path): not a micronas lookup table (corrupt or foreign file)"))
        try Data([0xFF, 0x00, 0x13]).write(to: bad)
        XCTAssertTrue(Fixtures.errorMessage { try LookupTable.load(bad) }.hasPrefix("\(bad.path): not a micronas lookup table"))
    }

    /// Predictions against whole models run on the board (a few, for speed; `characterize validate` runs hundreds).
    func testValidationAgainstWholeModels() throws {
        let space = try smallSpace()
        let board = try Fixtures.board("nucleo-f446re")
        let c = Characterizer(space: space, board: board, toolchain: KernelToolchain(catalog: try Fixtures.catalog()))
        var table = LookupTable(board: board.name, costHash: LookupTable.costHash(board), kernelHash: try c.kernelHash())
        try c.fill(&table, saveTo: nil)
        let r = try c.validate(table: table, count: 6, seed: 3)
        XCTAssertEqual(r.architectures.count, 6)
        XCTAssertEqual(r.memory.maxAbsPct, 0, "the runner's arena high-water mark is the planned arena")
        XCTAssertLessThan(r.latency.maxAbsPct, 3, "the issue's bound for latency")
    }

    /// kill -9 in the middle of `micronas characterize` leaves a readable table with every finished
    /// entry; the rerun measures only the rest.
    func testKilledCharacterizeResumes() throws {
        let dir = try Fixtures.temporaryDirectory()
        let table = dir.appendingPathComponent("t.json")
        let args = ["characterize", "--emulate", "cortex-m33", "--window", "64x9", "--classes", "3", "--time-reduce-filters", "8/4",
                    "--sensor-fusion-filters", "16/8", "--table", table.path, "--json"]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Fixtures.micronas)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill once the first firmware's entries are saved.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: table.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let partial = try LookupTable.load(table)
        XCTAssertGreaterThan(partial.entries.count, 0)
        let r = try Fixtures.capture(Fixtures.micronas, args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let total = try XCTUnwrap(summary["entries"] as? Int)
        XCTAssertEqual(summary["new_entries"] as? Int, total - partial.entries.count, "finished entries are not measured again")
        XCTAssertEqual(total, summary["configurations"] as? Int)
        XCTAssertLessThan(partial.entries.count, total, "the kill came after the last firmware: nothing was tested")
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
            let r = try Fixtures.capture(Fixtures.micronas, common + ["--shard", "\(i)/2", "--table", dir.appendingPathComponent("s\(i).json").path])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let merged = dir.appendingPathComponent("merged.json")
        let m = try Fixtures.capture(Fixtures.micronas, ["characterize", "merge", dir.appendingPathComponent("s0.json").path,
                                                          dir.appendingPathComponent("s1.json").path, "--out", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        let full = dir.appendingPathComponent("full.json")
        XCTAssertEqual(try Fixtures.capture(Fixtures.micronas, common + ["--table", full.path]).status, 0)
        XCTAssertEqual(try LookupTable.load(merged).entries.keys.sorted(), try LookupTable.load(full).entries.keys.sorted())
        // Bad input: a shard out of range, a corrupt table, a foreign table to merge; nothing is written.
        let badShard = try Fixtures.capture(Fixtures.micronas, common + ["--shard", "2/2", "--table", full.path])
        XCTAssertEqual(badShard.status, 64)
        XCTAssertTrue(badShard.stderr.contains("--shard must be I/N with 0 ≤ I < N, got '2/2'"), badShard.stderr)
        let corrupt = dir.appendingPathComponent("corrupt.json")
        try "{ not json".write(to: corrupt, atomically: true, encoding: .utf8)
        let c = try Fixtures.capture(Fixtures.micronas, common + ["--table", corrupt.path])
        XCTAssertEqual(c.status, 2)
        XCTAssertTrue(c.stderr.contains("\(corrupt.path): not a micronas lookup table (corrupt or foreign file)"), c.stderr)
        XCTAssertEqual(try String(contentsOf: corrupt, encoding: .utf8), "{ not json", "the bad table is left untouched")
        var foreign = try LookupTable.load(full)
        foreign.board = "nucleo-f446re"
        let foreignURL = dir.appendingPathComponent("foreign.json")
        try foreign.save(foreignURL)
        let f = try Fixtures.capture(Fixtures.micronas, ["characterize", "merge", full.path, foreignURL.path, "--out", dir.appendingPathComponent("x.json").path])
        XCTAssertEqual(f.status, 2)
        XCTAssertTrue(f.stderr.contains("\(foreignURL.path) was measured for nucleo-f446re"), f.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.json").path))
    }
}
