import Characterization
import Foundation
import Kernels
import Search
import SearchSpace
import TestSupport
import XCTest

/// The guarantee against the emulated board: an architecture over the latency limit is shrunk until
/// its measured latency is within it, every step is reported, and a limit below the space's fastest
/// architecture is refused with figures.
final class FitGuaranteeTests: XCTestCase {
    func testShrinksUntilTheMeasuredLatencyFits() throws {
        // 64×3: two Time-Reduce cells, no Sensor-Fusion cell; 24 configurations to characterize.
        let space = try SearchSpace(time: 64, sensors: 3, classes: 3)
        let board = try Fixtures.board("cortex-m33")
        let characterizer = Characterizer(space: space, board: board, toolchain: KernelToolchain(catalog: try Fixtures.catalog()))
        let dir = try Fixtures.temporaryDirectory()
        let c = try characterizer.complete(store: try TableStore(url: dir.appendingPathComponent("t.sqlite")))
        let cost = try RelaxedCost(space: space, table: c.table, overheadCycles: try XCTUnwrap(c.overheadCycles))
        let largest = Architecture(timeReduce: [.init(kernel: 7, filters: 16), .init(kernel: 7, filters: 16)], sensorFusion: [])
        let ms = { (cycles: Double) in cycles / board.clockHz.value * 1000 }
        let probe = FitGuarantee(characterizer: characterizer, table: c.table, cost: cost, limits: HardwareLimits(latencyMs: 1e6, arenaBytes: 1 << 30))
        let big = try probe.measure(largest)
        XCTAssertEqual(big.predictedMs, big.measuredMs, accuracy: 0.03 * big.measuredMs, "the table predicts the measured latency")
        let fastest = ms(cost.fastest().cycles)
        let limit = (fastest + big.measuredMs) / 2

        let guarantee = FitGuarantee(characterizer: characterizer, table: c.table, cost: cost, limits: HardwareLimits(latencyMs: limit, arenaBytes: 1 << 30))
        var notes: [String] = []
        let r = try guarantee.fit(largest) { notes.append($0) }
        XCTAssertLessThanOrEqual(r.figures.measuredMs, limit)
        XCTAssertFalse(r.changes.isEmpty)
        XCTAssertEqual(notes, r.changes)
        XCTAssertEqual(r.measured, r.changes.count + 1)
        XCTAssertTrue(r.changes.allSatisfy { $0.contains("filters") && $0.contains("latency") }, "\(r.changes)")
        // Only filter counts went down, kernels kept.
        XCTAssertEqual(r.figures.architecture.timeReduce.map(\.kernel), [7, 7])
        XCTAssertLessThan(r.figures.architecture.timeReduce.map(\.filters).reduce(0, +), 32)

        // Below the space's fastest architecture nothing fits.
        let impossible = FitGuarantee(characterizer: characterizer, table: c.table, cost: cost, limits: HardwareLimits(latencyMs: fastest / 2, arenaBytes: 1 << 30))
        XCTAssertThrowsError(try impossible.fit(largest)) { XCTAssertTrue("\($0)".contains("no architecture of the space fits"), "\($0)") }
    }
}
