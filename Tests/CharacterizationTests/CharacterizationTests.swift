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
        XCTAssertLessThan(r.latency.maxAbsPct, 25)
    }
}
