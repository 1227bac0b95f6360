import Datasets
@testable import Deploy
import Foundation
import Graph
import Kernels
import Quant
import Support
import TestSupport
import XCTest

/// `micronas run / profile / export` as a user calls them: outputs, and one clear error line with a
/// non-zero exit for every kind of bad input.
final class DeployCommandTests: XCTestCase {
    func micronas(_ args: [String]) throws -> Fixtures.Outcome { try Fixtures.capture(Fixtures.micronas, args) }

    /// The last stderr line of a failing command (progress lines may come first).
    func failure(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try Fixtures.micronasFailure(args, file: file, line: line)
    }

    var fixtures: URL { Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures") }

    func testRunMatchesTheReferenceAndWritesBatchedOutput() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = fixtures.appendingPathComponent("residual_int8.tflite").path
        let lowered = try LoweredModel(try TFLiteReader.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: model)))))
        var g = SplitMix64(seed: 3)
        let per = lowered.byteSize(lowered.inputs[0])
        let input = NPYArray(dtype: .int8, shape: [5] + lowered.shapes[lowered.inputs[0]]!, data: (0..<(5 * per)).map { _ in UInt8.random(in: 0...255, using: &g) })
        try input.write(to: dir.appendingPathComponent("in.npy"))
        let r = try micronas(["run", "--target", "cortex-m33", "--model", model, "--input", dir.appendingPathComponent("in.npy").path,
                              "--output", dir.appendingPathComponent("out.npy").path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try NPYArray(contentsOf: dir.appendingPathComponent("out.npy"))
        XCTAssertEqual(out.shape, [5, 10])
        let expected = try (0..<5).flatMap { s in try ReferenceInterpreter.run(lowered, inputs: [Array(input.data[(s * per)..<((s + 1) * per)])])[0] }
        XCTAssertEqual(out.data, expected)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["target"] as? String, "nucleo-l552ze-q")
        XCTAssertEqual((json?["cycles"] as? [Any])?.count, 5)
    }

    func testProfileJSONHasTheDocumentedKeys() throws {
        let r = try micronas(["profile", "--target", "cortex-m7", fixtures.appendingPathComponent("har_cnn_int8.tflite").path, "--json", "--samples", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["target", "ops", "total_cycles", "total_ms", "arena_bytes_planned", "arena_bytes_measured", "stack_bytes", "flash_bytes"] {
            XCTAssertNotNil(json[key], "missing \(key)")
        }
        let ops = try XCTUnwrap(json["ops"] as? [[String: Any]])
        XCTAssertEqual(ops.map { $0["op"] as? String }, ["CONV_2D", "CONV_2D", "CONV_2D", "CONV_2D", "CONV_2D", "MEAN", "SOFTMAX"])
        let sum = ops.compactMap { $0["cycles"] as? Double }.reduce(0, +)
        XCTAssertLessThanOrEqual(sum, try XCTUnwrap(json["total_cycles"] as? Double))
        XCTAssertLessThanOrEqual(try XCTUnwrap(json["arena_bytes_measured"] as? Int), try XCTUnwrap(json["arena_bytes_planned"] as? Int))
    }

    /// export writes model.tflite (the writer's bytes) and a C folder that builds on its own for the
    /// host and a board, and whose host build gives the reference outputs.
    func testExportBuildsAndRuns() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = try RandomModel.generate(seed: 4)
        let json = dir.appendingPathComponent("q.json")
        try JSONEncoder().encode(model).write(to: json)
        let out = dir.appendingPathComponent("deploy")
        let r = try micronas(["export", "--model", json.path, "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual([UInt8](try Data(contentsOf: out.appendingPathComponent("model.tflite"))), try TFLiteWriter.encode(model))
        XCTAssertTrue(try failure(["export", "--model", json.path, "--out", out.path]).contains("exists; pass --force"))
        let c = out.appendingPathComponent("c")
        try Fixtures.run("make", ["-s", "-C", c.path, "host"])
        try Fixtures.run("make", ["-s", "-C", c.path, "board", "BOARD=nucleo-f446re"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: c.appendingPathComponent("build/nucleo-f446re/libmicronas_model.a").path))
        // A user program against the host library.
        let lowered = try LoweredModel(model)
        let main = """
            #include <stdio.h>
            #include <string.h>
            #include "micronas_model.h"
            int main(void) {
                if (micronas_init() != 0) return 3;
                if (fread(micronas_input(), 1, MICRONAS_INPUT_BYTES, stdin) != MICRONAS_INPUT_BYTES) return 4;
                micronas_invoke();
                fwrite(micronas_output(), 1, MICRONAS_OUTPUT_BYTES, stdout);
                return 0;
            }
            """
        try main.write(to: c.appendingPathComponent("app.c"), atomically: true, encoding: .utf8)
        try Fixtures.run("cc", ["-I", c.path, c.appendingPathComponent("app.c").path, c.appendingPathComponent("build/host/libmicronas_model.a").path,
                                "-lm", "-o", c.appendingPathComponent("app").path])
        let input = [UInt8]((0..<lowered.byteSize(lowered.inputs[0])).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        let got = try Subprocess.run(c.appendingPathComponent("app").path, [], stdin: input)
        XCTAssertEqual(got.status, 0)
        XCTAssertEqual(got.stdout, try ReferenceInterpreter.run(lowered, inputs: [input])[0])
    }

    // MARK: - Bad input

    func testBadModelFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let hello = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("hello_world_int8.tflite")))
        let truncated = dir.appendingPathComponent("truncated.tflite")
        try Data(hello.prefix(1000)).write(to: truncated)
        XCTAssertTrue(try failure(["profile", "--target", "cortex-m4", truncated.path]).hasPrefix("error: \(truncated.path): malformed TFLite file"))
        let text = dir.appendingPathComponent("notes.tflite")
        try "hello, this is not a model".write(to: text, atomically: true, encoding: .utf8)
        XCTAssertEqual(try failure(["profile", "--target", "cortex-m4", text.path]),
                       "error: \(text.path): not a TFLite file: file identifier 'o, t', expected 'TFL3'")
        XCTAssertEqual(try failure(["profile", "--target", "cortex-m4", dir.appendingPathComponent("missing.tflite").path]),
                       "error: \(dir.appendingPathComponent("missing.tflite").path): cannot read file")
        let json = dir.appendingPathComponent("bad.json")
        try #"{"graph": {"inputs": [], "nodes": [], "outputs": []}}"#.write(to: json, atomically: true, encoding: .utf8)
        XCTAssertTrue(try failure(["export", "--model", json.path, "--out", dir.appendingPathComponent("x").path]).contains("missing 'values'"))
        XCTAssertTrue(try failure(["profile", "--target", "no-such-board", fixtures.appendingPathComponent("har_cnn_int8.tflite").path]).contains("no-such-board"))
    }

    func testUnsupportedOperatorAndFloatWeights() throws {
        let dir = try Fixtures.temporaryDirectory()
        let logistic = dir.appendingPathComponent("logistic.tflite")
        try Data(HandMadeModels.singleOperator(builtin: 14)).write(to: logistic)
        XCTAssertEqual(try failure(["profile", "--target", "cortex-m4", logistic.path]),
                       "error: \(logistic.path): unsupported operator LOGISTIC (builtin code 14) at operator 0")
        let float = dir.appendingPathComponent("float.tflite")
        try Data(HandMadeModels.singleOperator(builtin: 9, filterType: 0)).write(to: float)
        XCTAssertTrue(try failure(["profile", "--target", "cortex-m4", float.path]).contains("float model where int8 is needed"))
    }

    func testBadInputArrays() throws {
        let dir = try Fixtures.temporaryDirectory()
        let model = fixtures.appendingPathComponent("har_cnn_int8.tflite").path
        let wrongType = dir.appendingPathComponent("f.npy")
        try NPYArray(dtype: .float32, shape: [128, 9, 1], data: [UInt8](repeating: 0, count: 128 * 9 * 4)).write(to: wrongType)
        XCTAssertEqual(try failure(["run", "--target", "cortex-m4", "--model", model, "--input", wrongType.path, "--output", dir.appendingPathComponent("o.npy").path]),
                       "error: \(wrongType.path): dtype float32, the model input 'serving_default_keras_tensor:0' is int8")
        let wrongShape = dir.appendingPathComponent("s.npy")
        try NPYArray(dtype: .int8, shape: [2, 64, 9, 1], data: [UInt8](repeating: 0, count: 2 * 64 * 9)).write(to: wrongShape)
        XCTAssertEqual(try failure(["run", "--target", "cortex-m4", "--model", model, "--input", wrongShape.path, "--output", dir.appendingPathComponent("o.npy").path]),
                       "error: \(wrongShape.path): shape [2, 64, 9, 1] does not match the model input 'serving_default_keras_tensor:0' [128, 9, 1] (or [N] + [128, 9, 1] for a batch)")
        let garbage = dir.appendingPathComponent("g.npy")
        try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 200, 0]).write(to: garbage)
        XCTAssertEqual(try failure(["run", "--target", "cortex-m4", "--model", model, "--input", garbage.path, "--output", dir.appendingPathComponent("o.npy").path]),
                       "error: \(garbage.path): truncated header")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.npy").path), "a failed run wrote an output")

        // A model that quantizes a float input: NaN or ±inf in the input is an error naming the sample.
        let floatModel = try (0..<UInt64(200)).lazy.map { try RandomModel.generate(seed: $0) }.first { $0.values[$0.graph.inputs[0].name]?.type.isFloat == true }!
        let floatPath = dir.appendingPathComponent("float-in.tflite").path
        _ = try ModelFile.write(floatModel, tflite: floatPath)
        let lowered = try LoweredModel(floatModel)
        let count = lowered.shapes[lowered.inputs[0]]!.reduce(1, *)
        for (bad, text) in [(Float.nan, "nan"), (Float.infinity, "inf"), (-Float.infinity, "-inf")] {
            var values = [Float](repeating: 0.5, count: 2 * count)
            values[count + 3] = bad
            let nan = dir.appendingPathComponent("bad-\(text).npy")
            try NPYArray(float32: values, shape: [2] + lowered.shapes[lowered.inputs[0]]!).write(to: nan)
            XCTAssertEqual(try failure(["run", "--target", "cortex-m4", "--model", floatPath, "--input", nan.path, "--output", dir.appendingPathComponent("o.npy").path]),
                           "error: \(nan.path): sample 1 holds \(text) at element 3; the model's input '\(lowered.inputs[0])' must be finite")
        }
    }

    /// Models too big for the board: the error says which memory and by how much.
    func testModelsThatDoNotFit() throws {
        let dir = try Fixtures.temporaryDirectory()
        // 2048×9×16 int8 activations in and out of a 1×1 conv: 2 × 294,912 B of arena, + 64 B of scratch.
        let big = QuantizedModel(
            graph: Graph(inputs: [.init(name: "x", shape: [2048, 9, 16])],
                         nodes: [Node(name: "c", op: .conv2d, inputs: ["x"], filters: 16, kernel: [1, 1], bias: false)], outputs: ["c"]),
            values: ["x": .init(scale: 0.05, zeroPoint: 0), "c": .init(scale: 0.1, zeroPoint: 0)],
            weights: ["c": NodeWeights(filter: [Int8](repeating: 1, count: 256), scales: [0.01], bias: nil)])
        let bigPath = dir.appendingPathComponent("big.json")
        try JSONEncoder().encode(big).write(to: bigPath)
        let ram = try failure(["profile", "--target", "cortex-m4", bigPath.path])
        XCTAssertTrue(ram.hasPrefix("error: \(bigPath.path) does not fit nucleo-f446re's RAM: the arena needs 589888 bytes"), ram)
        XCTAssertTrue(ram.hasSuffix("(over by \(589_888 + 12 * 1024 - 128 * 1024) bytes)"), ram)
        // 640 × 1024 int8 weights: more than the F446's 512 KB of flash.
        let wide = QuantizedModel(
            graph: Graph(inputs: [.init(name: "x", shape: [1024])], nodes: [Node(name: "d", op: .dense, inputs: ["x"], bias: false, units: 640)],
                         outputs: ["d"]),
            values: ["x": .init(scale: 0.05, zeroPoint: 0), "d": .init(scale: 0.1, zeroPoint: 0)],
            weights: ["d": NodeWeights(filter: [Int8](repeating: 1, count: 640 * 1024), scales: [0.01], bias: nil)])
        let widePath = dir.appendingPathComponent("wide.json")
        try JSONEncoder().encode(wide).write(to: widePath)
        XCTAssertEqual(try failure(["profile", "--target", "cortex-m4", widePath.path]),
                       "error: \(widePath.path) does not fit nucleo-f446re's flash: the weights alone need 655360 bytes, the board has 524288 (over by 131072 bytes)")
        // The arena + the reserve fit, but with the firmware's own static data they do not: found
        // in the built image (T = 400: arena 115,264 B + newlib and runner data + 12 KB > 128 KB).
        func conv(_ t: Int) throws -> String {
            var m = big
            m.graph.inputs[0].shape = [t, 9, 16]
            let path = dir.appendingPathComponent("conv\(t).json")
            try JSONEncoder().encode(m).write(to: path)
            return path.path
        }
        let tight = try conv(400)
        let statics = try failure(["profile", "--target", "cortex-m4", tight])
        XCTAssertTrue(statics.hasPrefix("error: \(tight) does not fit nucleo-f446re's RAM: the firmware's static data (arena included) needs "), statics)
        XCTAssertTrue(statics.contains(" + 12288 for the runtime, the board has 131072 in 'sram' (over by "), statics)
        // With a 1 KB reserve (an overlay) the arena passes the first check but the link overflows:
        // the sizing link says by how much.
        let overlay = dir.appendingPathComponent("layer/boards")
        try FileManager.default.createDirectory(at: overlay, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: ["name": "f446-small-reserve", "base": "nucleo-f446re",
                                                    "runtime_reserve": ["value": 1024, "source": "test"]])
            .write(to: overlay.appendingPathComponent("f446-small-reserve.json"))
        let overflow = try failure(["profile", "--targets-dir", dir.appendingPathComponent("layer").path, "--target", "f446-small-reserve", try conv(440)])
        let figures = overflow.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "(),"))) }
        XCTAssertTrue(overflow.contains("does not fit f446-small-reserve's RAM: the firmware's static data (arena included) needs "), overflow)
        XCTAssertEqual(figures.count, 4, overflow)
        if figures.count == 4 { XCTAssertEqual(figures[0] + figures[1] - figures[2], figures[3], "over by = needed + reserve − RAM: \(overflow)") }
    }
}
