import Deploy
import Foundation
import Graph
import TestSupport
import XCTest

/// Random int8 models written by `TFLiteWriter`, and int8 models written by the TensorFlow Lite
/// converter, must give bit-identical outputs in the Swift reference interpreter, LiteRT
/// (BUILTIN_REF kernels) and TFLM's Python runtime.
final class ExternalInterpreterTests: XCTestCase {
    func testRandomModelsMatchLiteRTAndTFLM() throws {
        let count = Int(ProcessInfo.processInfo.environment["MICRONAS_RANDOM_MODELS"] ?? "") ?? 40
        var mismatches: [String] = []
        var opCounts: [String: Int] = [:]
        var outputs = 0, saturated = 0, litertRoundingModels = 0
        for seed in 0..<UInt64(count) {
            let model = try RandomModel.generate(seed: seed)
            let lowered = try LoweredModel(model)
            let input = ExternalInterpreters.randomInput(lowered, samples: 3, seed: seed)
            let external = try ExternalInterpreters.run(model: try TFLiteWriter.encode(model), input: input)
            let reference = try ExternalInterpreters.reference(lowered, input: input)
            for op in lowered.ops { opCounts[op.opName, default: 0] += 1 }
            if !model.values[lowered.outputs[0]]!.type.isFloat {
                outputs += reference.count
                saturated += reference.filter { $0 == 0x80 || $0 == 0x7F }.count
            }
            let ops = lowered.ops.map(\.opName).joined(separator: ",")
            // LiteRT rounds FULLY_CONNECTED once where TFLM (and micronas) round twice: where they
            // differ, LiteRT must equal the single-rounding reference exactly.
            let litertReference = try ExternalInterpreters.reference(lowered, input: input, flavor: .litert)
            if litertReference != reference { litertRoundingModels += 1 }
            if external.litert.data != litertReference {
                mismatches.append("seed \(seed) LiteRT [\(ops)]: \(ExternalInterpreters.firstDifference(litertReference, external.litert.data))")
            }
            if external.tflm.data != reference {
                mismatches.append("seed \(seed) TFLM [\(ops)]: \(ExternalInterpreters.firstDifference(reference, external.tflm.data))")
            }
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) mismatches in \(count) models")
        // The comparison means something only if the models exercise every operator and their
        // outputs are not pinned at the int8 limits.
        for op in ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SOFTMAX",
                   "RESHAPE", "QUANTIZE", "DEQUANTIZE"] {
            XCTAssertGreaterThan(opCounts[op] ?? 0, 0, "no \(op) in \(count) random models")
        }
        print("\(count) random models: TFLM = micronas on all; LiteRT differs (FULLY_CONNECTED single rounding) on \(litertRoundingModels)")
        XCTAssertLessThan(Double(saturated), 0.5 * Double(outputs), "\(saturated) of \(outputs) int8 outputs saturated")
    }

    /// Models the TensorFlow Lite converter wrote (Tests/DeployTests/Fixtures/SOURCES.md), read by
    /// `TFLiteReader` and run by the Swift reference, against LiteRT and TFLM on the original file.
    func testConverterModelsMatchLiteRTAndTFLM() throws {
        for name in ["hello_world_int8", "har_cnn_int8", "residual_int8"] {
            let url = Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures/\(name).tflite")
            let bytes = [UInt8](try Data(contentsOf: url))
            let lowered = try LoweredModel(try TFLiteReader.decode(bytes))
            let input = ExternalInterpreters.randomInput(lowered, samples: 8, seed: 7)
            let external = try ExternalInterpreters.run(model: bytes, input: input)
            let reference = try ExternalInterpreters.reference(lowered, input: input)
            let litertReference = try ExternalInterpreters.reference(lowered, input: input, flavor: .litert)
            XCTAssertEqual(litertReference, external.litert.data, "\(name) vs LiteRT: \(ExternalInterpreters.firstDifference(litertReference, external.litert.data))")
            XCTAssertEqual(reference, external.tflm.data, "\(name) vs TFLM: \(ExternalInterpreters.firstDifference(reference, external.tflm.data))")
        }
    }
}
