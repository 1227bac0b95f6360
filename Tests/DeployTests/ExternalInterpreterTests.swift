import Datasets
import Deploy
import Foundation
import Graph
import Kernels
import TestSupport
import XCTest

/// Random int8 models written by `TFLiteWriter`, and int8 models written by the TensorFlow Lite
/// converter, must give bit-identical outputs in the Swift reference interpreter, LiteRT
/// (BUILTIN_REF kernels) and TFLM's Python runtime.
final class ExternalInterpreterTests: XCTestCase {
    /// The four executors of the issue on random models: `micronas run`'s emulated firmware (boards
    /// in turn), the same generated C on the host, LiteRT and TFLM — all against the Swift reference.
    /// `MICRONAS_RANDOM_MODELS` sets the count (`make verify-deploy` runs 250).
    func testRandomModelsMatchOnAllExecutors() throws {
        let count = Int(ProcessInfo.processInfo.environment["MICRONAS_RANDOM_MODELS"] ?? "") ?? 40
        let catalog = try Fixtures.catalog()
        let toolchain = KernelToolchain(catalog: catalog)
        let boards = try ["nucleo-f446re", "nucleo-l552ze-q", "portenta-h7"].map { try catalog.board(named: $0) }
        var mismatches: [String] = []
        var opCounts: [String: Int] = [:]
        var outputs = 0, saturated = 0, litertRoundingModels = 0
        var arenaRatios: [Double] = []
        var arenaMismatches: [String] = []
        for seed in 0..<UInt64(count) {
            let model = try RandomModel.generate(seed: seed)
            let lowered = try LoweredModel(model)
            let input = ExternalInterpreters.randomInput(lowered, samples: 3, seed: seed)
            let per = lowered.byteSize(lowered.inputs[0])
            let samples = (0..<3).map { Array(input.data[($0 * per)..<(($0 + 1) * per)]) }
            let reference = try ExternalInterpreters.reference(lowered, input: input)
            let external = try ExternalInterpreters.run(model: try TFLiteWriter.encode(model), input: input)
            let runner = try ModelRunner(lowered, toolchain: toolchain)
            let board = boards[Int(seed) % boards.count]
            let emulated = try runner.runEmulated(board: board, samples: samples).outputs.flatMap { $0 }
            let host = try runner.runHost(samples: samples).outputs.flatMap { $0 }
            for op in lowered.ops { opCounts[op.opName, default: 0] += 1 }
            if !model.values[lowered.outputs[0]]!.type.isFloat {
                outputs += reference.count
                saturated += reference.filter { $0 == 0x80 || $0 == 0x7F }.count
            }
            // LiteRT rounds FULLY_CONNECTED once where TFLM (and micronas) round twice: where they
            // differ, LiteRT must equal the single-rounding reference exactly.
            let litertReference = try ExternalInterpreters.reference(lowered, input: input, flavor: .litert)
            if litertReference != reference { litertRoundingModels += 1 }
            let ops = lowered.ops.map(\.opName).joined(separator: ",")
            for (name, got, expected) in [("micronas run (\(board.name))", emulated, reference), ("host C", host, reference),
                                          ("LiteRT", external.litert.data, litertReference), ("TFLM", external.tflm.data, reference)]
                where got != expected {
                mismatches.append("seed \(seed) \(name) [\(ops)]: \(ExternalInterpreters.firstDifference(expected, got))")
            }
            // The planner is TFLM's: planned with TFLM's reference kernels' scratch needs it must give
            // TFLM's own recorded non-persistent arena exactly; micronas' plan (its kernels' scratch)
            // is reported against it.
            let head = try XCTUnwrap(external.arena["tflm_arena_head"], "TFLM reported no arena head")
            let tflmPlan = MemoryPlanner.plan(lowered, kernels: .tflmReference).arenaBytes
            if tflmPlan != head { arenaMismatches.append("seed \(seed): planned \(tflmPlan), TFLM \(head) [\(ops)]") }
            arenaRatios.append(Double(runner.generator.plan.arenaBytes) / Double(head))
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) mismatches in \(count) models")
        XCTAssertEqual(arenaMismatches, [], "TFLM-compatible plan differs from TFLM's arena")
        // The comparison means something only if the models exercise every operator and their
        // outputs are not pinned at the int8 limits.
        for op in ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SOFTMAX",
                   "RESHAPE", "QUANTIZE", "DEQUANTIZE"] {
            XCTAssertGreaterThan(opCounts[op] ?? 0, 0, "no \(op) in \(count) random models")
        }
        XCTAssertLessThan(Double(saturated), 0.5 * Double(outputs), "\(saturated) of \(outputs) int8 outputs saturated")
        let sorted = arenaRatios.sorted()
        print(String(format: "%d random models, 4 executors: %d mismatches; LiteRT's single-rounding FULLY_CONNECTED differs from TFLM on %d; "
                     + "TFLM-style plan = TFLM's arena head on %d; micronas arena (its kernels' scratch) / TFLM head: min %.3f median %.3f max %.3f",
                     count, mismatches.count, litertRoundingModels, count - arenaMismatches.count, sorted.first ?? 0,
                     sorted.isEmpty ? 0 : sorted[sorted.count / 2], sorted.last ?? 0))
    }

    /// Models the TensorFlow Lite converter wrote (Tests/DeployTests/Fixtures/SOURCES.md), read by
    /// `TFLiteReader` and run by the Swift reference, against LiteRT and TFLM on the original file.
    func testConverterModelsMatchLiteRTAndTFLM() throws {
        let catalog = try Fixtures.catalog()
        let toolchain = KernelToolchain(catalog: catalog)
        for (index, name) in ["hello_world_int8", "har_cnn_int8", "residual_int8"].enumerated() {
            let url = Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures/\(name).tflite")
            let bytes = [UInt8](try Data(contentsOf: url))
            let lowered = try LoweredModel(try TFLiteReader.decode(bytes))
            let input = ExternalInterpreters.randomInput(lowered, samples: 8, seed: 7)
            let external = try ExternalInterpreters.run(model: bytes, input: input)
            let reference = try ExternalInterpreters.reference(lowered, input: input)
            let litertReference = try ExternalInterpreters.reference(lowered, input: input, flavor: .litert)
            XCTAssertEqual(litertReference, external.litert.data, "\(name) vs LiteRT: \(ExternalInterpreters.firstDifference(litertReference, external.litert.data))")
            XCTAssertEqual(reference, external.tflm.data, "\(name) vs TFLM: \(ExternalInterpreters.firstDifference(reference, external.tflm.data))")
            XCTAssertEqual(MemoryPlanner.plan(lowered, kernels: .tflmReference).arenaBytes, external.arena["tflm_arena_head"], "\(name): TFLM-style plan")
            // What `micronas run` executes — the generated C on an emulated board — straight against LiteRT's file.
            let board = catalog.boards[index % catalog.boards.count]
            let per = lowered.byteSize(lowered.inputs[0])
            let samples = (0..<input.shape[0]).map { Array(input.data[($0 * per)..<(($0 + 1) * per)]) }
            let emulated = try ModelRunner(lowered, toolchain: toolchain).runEmulated(board: board, samples: samples)
            XCTAssertEqual(emulated.outputs.flatMap { $0 }, external.litert.data, "\(name) on \(board.name) vs LiteRT")
        }
    }
}
