@testable import Deploy
import Foundation
import Graph
import Kernels
import Support
import TestSupport
import XCTest

/// The .tflite writer and reader: round trips, the schema's conventions, and bad files.
final class TFLiteFormatTests: XCTestCase {
    /// encode → decode keeps the model's meaning (same outputs) and a second round trip is byte-identical.
    func testRoundTripKeepsOutputsAndIsStable() throws {
        for seed in 0..<UInt64(30) {
            let model = try RandomModel.generate(seed: seed)
            let bytes = try TFLiteWriter.encode(model)
            let decoded = try TFLiteReader.decode(bytes)
            let a = try LoweredModel(model), b = try LoweredModel(decoded)
            let input = ExternalInterpreters.randomInput(a, samples: 2, seed: seed)
            XCTAssertEqual(try ExternalInterpreters.reference(a, input: input), try ExternalInterpreters.reference(b, input: input), "seed \(seed)")
            XCTAssertEqual(try TFLiteWriter.encode(decoded), bytes, "seed \(seed): second round trip differs")
        }
    }

    /// What the issue asks of every written file, checked with the bounds-checked decoder.
    func testWrittenFilesFollowTheSchemaConventions() throws {
        let model = try RandomModel.generate(seed: 3)
        let bytes = try TFLiteWriter.encode(model)
        XCTAssertEqual(Array(bytes[4..<8]), Array("TFL3".utf8))
        let root = try FlatBufferDecoder(bytes: bytes).rootTable()
        XCTAssertEqual(try root.scalar(0, UInt32.self, default: 0, "version"), 3)
        let buffers = try root.tables(4, "buffers")
        XCTAssertNil(try buffers[0].field(0), "buffer 0 must be empty")
        for (i, b) in buffers.enumerated().dropFirst() {
            let (_, start) = try XCTUnwrap(try b.vector(0, elementSize: 1, "data"))
            XCTAssertEqual(start % 16, 0, "buffer \(i) data is not 16-byte aligned")
        }
        for code in try root.tables(1, "operator_codes") {
            let deprecated = try code.field(0), extended = try code.field(3)
            XCTAssertNotNil(deprecated); XCTAssertNotNil(extended)
        }
    }

    func testTruncatedFilesAreRejectedWithoutCrashing() throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures/hello_world_int8.tflite")))
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try TFLiteReader.decode(Array(bytes.prefix(n))), "a \(n)-byte prefix was accepted")
        }
        XCTAssertEqual(Fixtures.errorMessage { try TFLiteReader.decode(Array(bytes.prefix(6))) },
                       "not a TFLite file: 6 bytes is too short for a FlatBuffer header")
    }

    /// Random byte corruption either decodes to a valid model or throws — never traps.
    func testCorruptedFilesNeverTrap() throws {
        let bytes = try TFLiteWriter.encode(try RandomModel.generate(seed: 11))
        var g = SplitMix64(seed: 5)
        var decoded = 0
        for _ in 0..<3000 {
            var b = bytes
            for _ in 0..<Int.random(in: 1...4, using: &g) { b[Int.random(in: 8..<b.count, using: &g)] = UInt8.random(in: 0...255, using: &g) }
            guard let m = try? TFLiteReader.decode(b), let lowered = try? LoweredModel(m) else { continue }
            decoded += 1
            _ = try? ReferenceInterpreter.run(lowered, inputs: lowered.inputs.map { [UInt8](repeating: 0, count: lowered.byteSize($0)) })
        }
        XCTAssertGreaterThan(decoded, 100, "too few corrupted files still decode to exercise the interpreter")
    }

    func testWrongIdentifier() {
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes.replaceSubrange(4..<8, with: Array("ABCD".utf8))
        XCTAssertEqual(Fixtures.errorMessage { try TFLiteReader.decode(bytes) }, "not a TFLite file: file identifier 'ABCD', expected 'TFL3'")
    }

    func testHandMadeFullyConnectedReads() throws {
        let model = try TFLiteReader.decode(HandMadeModels.singleOperator(builtin: 9))
        XCTAssertEqual(model.graph.nodes.map(\.op), [.dense])
    }

    func testUnsupportedOperatorIsNamed() {
        XCTAssertEqual(Fixtures.errorMessage { try TFLiteReader.decode(HandMadeModels.singleOperator(builtin: 14)) },
                       "unsupported operator LOGISTIC (builtin code 14) at operator 0")
        XCTAssertEqual(Fixtures.errorMessage { try TFLiteReader.decode(HandMadeModels.singleOperator(builtin: 150)) },
                       "unsupported operator GELU (builtin code 150) at operator 0")
    }

    func testUnsupportedTensorTypeIsNamed() {
        XCTAssertEqual(Fixtures.errorMessage { try TFLiteReader.decode(HandMadeModels.singleOperator(builtin: 9, activationType: 3)) },
                       "model input: tensor 'x' has type UINT8; micronas runs int8 models (float32 only at QUANTIZE/DEQUANTIZE edges)")
    }

    func testFloatWeightsAreRejected() {
        XCTAssertEqual(Fixtures.errorMessage { try TFLiteReader.decode(HandMadeModels.singleOperator(builtin: 9, filterType: 0)) },
                       "FULLY_CONNECTED at operator 0: filter 'w' is FLOAT32; micronas needs int8 weights (float model where int8 is needed)")
    }
}
