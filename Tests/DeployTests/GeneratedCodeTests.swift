import Deploy
import Emulator
import Foundation
import Graph
import Kernels
import TestSupport
import XCTest

/// The generated C deployment, built for the host and for the emulated boards, against the Swift
/// reference interpreter; the arena it uses against the plan.
final class GeneratedCodeTests: XCTestCase {
    func testGeneratedCodeMatchesReferenceOnHostAndBoards() throws {
        let catalog = try Fixtures.catalog()
        let toolchain = KernelToolchain(catalog: catalog)
        let boards = try ["nucleo-f446re", "nucleo-l552ze-q", "portenta-h7"].map { try catalog.board(named: $0) }
        var failures: [String] = []
        for seed in 0..<UInt64(12) {
            let model = try RandomModel.generate(seed: seed)
            let lowered = try LoweredModel(model)
            let input = ExternalInterpreters.randomInput(lowered, samples: 2, seed: seed)
            let per = lowered.byteSize(lowered.inputs[0])
            let samples = (0..<2).map { Array(input.data[($0 * per)..<(($0 + 1) * per)]) }
            let reference = try ExternalInterpreters.reference(lowered, input: input)
            let runner = try ModelRunner(lowered, toolchain: toolchain)
            let host = try runner.runHost(samples: samples)
            if host.outputs.flatMap({ $0 }) != reference { failures.append("seed \(seed) host") }
            XCTAssertLessThanOrEqual(host.arenaHighWater, runner.generator.plan.arenaBytes)
            let board = boards[Int(seed) % boards.count]
            let emulated = try runner.runEmulated(board: board, samples: samples)
            if emulated.outputs.flatMap({ $0 }) != reference { failures.append("seed \(seed) \(board.name)") }
            XCTAssertLessThanOrEqual(emulated.arenaHighWater, runner.generator.plan.arenaBytes, "seed \(seed)")
            XCTAssertGreaterThan(emulated.stackBytes, 0, "seed \(seed)")
            XCTAssertTrue(emulated.opCycles.allSatisfy { $0.count == lowered.ops.count && $0.allSatisfy { $0 > 0 } }, "seed \(seed)")
            for s in 0..<2 {
                let sum = emulated.opCycles[s].reduce(0) { $0 + UInt64($1) }
                XCTAssertLessThanOrEqual(sum, UInt64(emulated.invokeCycles[s]), "seed \(seed): per-op cycles exceed the invoke's")
            }
        }
        XCTAssertEqual(failures, [])
    }

    /// The cached folder of a generated deployment holds copies of the kernels: a changed kernel must
    /// give a new folder (with the changed copy), never the folder built from the old kernels.
    func testChangedKernelsNeverReuseAModelFolder() throws {
        let root = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent("kernels"), to: root.appendingPathComponent("kernels"))
        let cache = try Fixtures.temporaryDirectory()
        let toolchain = KernelToolchain(root: root, cacheDirectory: cache)
        let lowered = try LoweredModel(try RandomModel.generate(seed: 3))
        let before = try ModelRunner(lowered, toolchain: toolchain).directory.standardizedFileURL.path
        XCTAssertEqual(try ModelRunner(lowered, toolchain: toolchain).directory.standardizedFileURL.path, before, "same code and kernels: the same folder")
        let add = root.appendingPathComponent("kernels/src/mn_fixed_point.h")  // every deployment copies the headers
        let changed = try String(contentsOf: add, encoding: .utf8) + "\n/* changed */\n"
        try changed.write(to: add, atomically: true, encoding: .utf8)
        let after = try ModelRunner(lowered, toolchain: toolchain).directory
        XCTAssertNotEqual(after.standardizedFileURL.path, before)
        XCTAssertEqual(try String(contentsOf: after.appendingPathComponent("kernels/mn_fixed_point.h"), encoding: .utf8), changed)
    }
}
