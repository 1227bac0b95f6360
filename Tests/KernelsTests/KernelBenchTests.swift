import Kernels
import Quant
import TestSupport
import XCTest

/// The benchmark's DWT timing on an emulated board, against bounds that hold for any correct
/// measurement: every output bit-exact, no conv faster than the SMLAD peak (2 MACs per cycle),
/// and the per-call cycles adding up to no more than the emulator's count for the whole run.
final class KernelBenchTests: XCTestCase {
    func testTimedCallsOnEmulatedBoard() throws {
        let board = try Fixtures.board("nucleo-l552ze-q")
        let entries = try KernelBench.standardSet().filter {
            ["TR 5x1/2 32x9x1->16", "SF 1x9 16x9x16->32", "1x1 16x1x64->6", "MEAN 16x1x6", "SOFTMAX 1x6", "QUANTIZE 128x9"].contains($0.name)
        }
        XCTAssertEqual(entries.count, 6)
        let total = UnsafeSendableBox<UInt64>(0)
        let executor = try KernelVerifier.emulatedExecutor(KernelToolchain(root: Fixtures.root), board: board) { total.value = $0.cycles }
        let results = try KernelBench.run(entries, on: executor)
        XCTAssertEqual(results.count, entries.count)
        for r in results {
            XCTAssertTrue(r.bitExact, r.entry.name)
            XCTAssertGreaterThan(r.cycles, 0, r.entry.name)
            if r.macs > 0 { XCTAssertGreaterThanOrEqual(Double(r.cycles), Double(r.macs) / 2, r.entry.name) }
        }
        // Every call runs twice (the second is timed), so twice the timed cycles fit in the run.
        XCTAssertLessThan(2 * results.reduce(UInt64(0)) { $0 + UInt64($1.cycles) }, total.value)
        XCTAssertEqual(results.first { $0.entry.name == "1x1 16x1x64->6" }?.macs, 16 * 64 * 6)
    }

    /// The shape set is the documented one: every group present, names unique.
    func testStandardSetCoversTheSearchSpace() throws {
        let entries = try KernelBench.standardSet()
        XCTAssertEqual(Set(entries.map(\.name)).count, entries.count)
        XCTAssertEqual(Set(entries.map(\.group)), ["time-reduce", "sensor-fusion", "pointwise", "output", "edge", "depthwise", "other"])
        XCTAssertEqual(entries.filter { $0.group == "time-reduce" }.count, 27)
        for e in entries { XCTAssertNoThrow(try e.call.validate(), e.name) }
    }
}

/// A mutable box for a value written from the executor's @Sendable callback (single-threaded here).
final class UnsafeSendableBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
