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

    /// `--min-arena` (ConvScratch.whereFree): the converter-written fixtures and random models plan an
    /// arena no larger than TFLM's reference kernels' (their scratch-free plan), convs whose columns
    /// would raise it call the scratch-free kernel, and the outputs stay the reference's on the host
    /// and on an emulated board.
    func testMinimalArenaPlansTFLMsArenaWithTheSameOutputs() throws {
        let catalog = try Fixtures.catalog()
        let toolchain = KernelToolchain(catalog: catalog)
        let board = try catalog.board(named: "nucleo-l552ze-q")
        let fixtures = try ["har_cnn_int8", "residual_int8", "hello_world_int8"].map {
            try ModelFile.lowered(Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures/\($0).tflite").path)
        }
        let random = try (0..<UInt64(6)).map { try LoweredModel(try RandomModel.generate(seed: 100 + $0)) }
        var scratchFreeConvs = 0
        for (k, lowered) in (fixtures + random).enumerated() {
            let tflm = MemoryPlanner.plan(lowered, kernels: .tflmReference).arenaBytes
            let runner = try ModelRunner(lowered, toolchain: toolchain, convScratch: .whereFree)
            let plan = runner.generator.plan
            XCTAssertLessThanOrEqual(plan.arenaBytes, max(tflm, plan.activationBytes), "model \(k)")
            if k < fixtures.count { XCTAssertLessThanOrEqual(plan.arenaBytes, tflm, "fixture \(k)") }
            scratchFreeConvs += lowered.ops.filter { op in
                if case .conv = op.call { return plan.scratch(op: op.index) == nil } else { return false }
            }.count
            let input = ExternalInterpreters.randomInput(lowered, samples: 2, seed: UInt64(k))
            let per = lowered.byteSize(lowered.inputs[0])
            let samples = (0..<2).map { Array(input.data[($0 * per)..<(($0 + 1) * per)]) }
            let reference = try ExternalInterpreters.reference(lowered, input: input)
            XCTAssertEqual(try runner.runHost(samples: samples).outputs.flatMap { $0 }, reference, "model \(k) host")
            let emulated = try runner.runEmulated(board: board, samples: samples)
            XCTAssertEqual(emulated.outputs.flatMap { $0 }, reference, "model \(k) \(board.name)")
            XCTAssertLessThanOrEqual(emulated.arenaHighWater, plan.arenaBytes, "model \(k)")
        }
        XCTAssertGreaterThan(scratchFreeConvs, 0, "no conv took the scratch-free kernel: the test proves nothing")
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
