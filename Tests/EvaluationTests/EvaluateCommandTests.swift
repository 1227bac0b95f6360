import Datasets
import Foundation
import Support
import TestSupport
import XCTest

/// `micronas train --qat --model-out`, `quantize` and `evaluate` as a user calls them, on a small
/// NPY dataset: the board's accuracy equals the host reference's, and every kind of bad input is
/// one error line with a non-zero exit.
final class EvaluateCommandTests: XCTestCase {
    func micronas(_ args: [String]) throws -> Fixtures.Outcome { try Fixtures.capture(Fixtures.micronas, args) }

    func failure(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try Fixtures.micronasFailure(args, file: file, line: line)
    }

    static let graph = """
    {"inputs": [{"name": "x", "shape": [32, 3, 1]}], "nodes": [
      {"name": "c1", "op": "conv2d", "inputs": ["x"], "filters": 8, "kernel": [5, 1], "stride": [2, 1], "activation": "RELU"},
      {"name": "c2", "op": "conv2d", "inputs": ["c1"], "filters": 8, "kernel": [1, 3], "padding": "VALID", "activation": "RELU"},
      {"name": "out", "op": "conv2d", "inputs": ["c2"], "filters": 3, "kernel": [1, 1]},
      {"name": "gap", "op": "mean", "inputs": ["out"]},
      {"name": "p", "op": "softmax", "inputs": ["gap"]}], "outputs": ["p"]}
    """

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testTrainQuantizeEvaluateAndBadInput() throws {
        let dir = try Fixtures.temporaryDirectory()
        let data = dir.appendingPathComponent("data")
        try SyntheticWindows.writeNPY(SyntheticWindows.raw(), to: data)
        let graph = dir.appendingPathComponent("g.json")
        try Self.graph.write(to: graph, atomically: true, encoding: .utf8)
        let split = ["--test-subjects", "5,6", "--val-subjects", "4"]
        let model = dir.appendingPathComponent("m.tflite").path
        let checkpoint = dir.appendingPathComponent("c.json").path

        let train = try micronas(["train", "--graph", graph.path, "--dataset", data.path, "--epochs", "6", "--batch", "16", "--qat",
                                  "--checkpoint", checkpoint, "--model-out", model, "--json"] + split)
        XCTAssertEqual(train.status, 0, train.stderr)
        let t = try json(train.stdout)
        let int8 = try XCTUnwrap(t["int8_test"] as? [String: Any])
        let hostAccuracy = try XCTUnwrap(int8["accuracy"] as? Double)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.json").path))

        // The same command again finds the finished checkpoint and only converts.
        let again = try micronas(["train", "--graph", graph.path, "--dataset", data.path, "--epochs", "6", "--batch", "16", "--qat",
                                  "--checkpoint", checkpoint, "--model-out", model, "--json"] + split)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try json(again.stdout)["resumed_after_epoch"] as? Int, 6)
        XCTAssertEqual((try json(again.stdout)["int8_test"] as? [String: Any])?["accuracy"] as? Double, hostAccuracy)

        let predictions = dir.appendingPathComponent("p.csv").path
        let evaluate = try micronas(["evaluate", "--target", "cortex-m33", "--model", model, "--dataset", data.path, "--json",
                                     "--predictions", predictions, "--batch", "20"] + split)
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let e = try json(evaluate.stdout)
        XCTAssertEqual(e["accuracy"] as? Double, hostAccuracy, "board vs host reference")
        XCTAssertEqual(e["windows"] as? Int, 60)
        XCTAssertEqual(e["bit_exact"] as? Bool, true)
        for key in ["macro_f1", "per_class", "confusion", "latency", "arena_bytes_planned", "arena_bytes_measured", "stack_bytes", "flash_bytes", "wall_seconds", "target"] {
            XCTAssertNotNil(e[key], key)
        }
        let latency = try XCTUnwrap(e["latency"] as? [String: Any])
        for key in ["median_cycles", "median_ms", "p99_ms", "max_ms"] { XCTAssertNotNil(latency[key], key) }
        let rows = try String(contentsOfFile: predictions, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 61)
        XCTAssertEqual(rows[0], "window,subject,label,predicted,label_name,predicted_name,cycles,output_0,output_1,output_2")

        // PTQ of the float checkpoint written by a float run.
        let floatCheckpoint = dir.appendingPathComponent("f.json").path
        XCTAssertEqual(try micronas(["train", "--graph", graph.path, "--dataset", data.path, "--epochs", "3", "--checkpoint", floatCheckpoint] + split).status, 0)
        let ptq = try micronas(["quantize", "--graph", graph.path, "--checkpoint", floatCheckpoint, "--dataset", data.path,
                                "--model-out", dir.appendingPathComponent("ptq.tflite").path, "--json"] + split)
        XCTAssertEqual(ptq.status, 0, ptq.stderr)
        XCTAssertEqual(try json(ptq.stdout)["quantization"] as? String, "post-training quantization")

        // Bad input.
        let converterModel = Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures/har_cnn_int8.tflite").path
        XCTAssertTrue(try failure(["evaluate", "--target", "cortex-m33", "--model", converterModel, "--dataset", data.path] + split)
            .hasPrefix("error: \(converterModel) carries no normalization"))
        let short = dir.appendingPathComponent("short")
        let raw = SyntheticWindows.raw()
        var cut = RawWindows(name: "short", length: 16, channels: raw.channels, classes: raw.classes, x: [], y: raw.y, subjects: raw.subjects)
        for i in 0..<raw.count { cut.x += raw.x[(i * 96)..<(i * 96 + 48)] }
        try SyntheticWindows.writeNPY(cut, to: short)
        XCTAssertEqual(try failure(["evaluate", "--target", "cortex-m33", "--model", model, "--dataset", short.path] + split),
                       "error: \(model) takes windows of 32 samples; the dataset's are 16 (use --window 32)")
        XCTAssertEqual(try failure(["evaluate", "--target", "cortex-m33", "--model", model, "--dataset", data.path, "--subset", "val",
                                    "--test-subjects", "5,6", "--val-count", "0"]),
                       "error: data: the val split has no windows")
        var floatModel = try json(String(contentsOfFile: dir.appendingPathComponent("m.json").path, encoding: .utf8))
        var values = try XCTUnwrap(floatModel["values"] as? [String: Any])
        values["x"] = ["type": "float32", "scale": 0, "zero_point": 0]
        floatModel["values"] = values
        let floatPath = dir.appendingPathComponent("float.json").path
        try JSONSerialization.data(withJSONObject: floatModel).write(to: URL(fileURLWithPath: floatPath))
        XCTAssertTrue(try failure(["evaluate", "--target", "cortex-m33", "--model", floatPath, "--dataset", data.path] + split)
            .hasPrefix("error: \(floatPath) is a float model (input 'x' is float32)"))
        let corrupt = dir.appendingPathComponent("corrupt.json").path
        try Data(try String(contentsOfFile: checkpoint, encoding: .utf8).utf8.prefix(5000)).write(to: URL(fileURLWithPath: corrupt))
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        XCTAssertTrue(try failure(["quantize", "--graph", graph.path, "--checkpoint", corrupt, "--dataset", data.path, "--model-out", model] + split)
            .hasPrefix("error: \(corrupt): not a micronas checkpoint"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), before, "nothing half-written")
        XCTAssertTrue(try failure(["train", "--graph", graph.path, "--dataset", data.path, "--epochs", "6", "--checkpoint", corrupt] + split)
            .hasPrefix("error: \(corrupt): not a micronas checkpoint"))
        // A missing folder for the checkpoint or the model is found before training, not after it.
        for option in ["--checkpoint", "--model-out"] {
            let args = ["train", "--graph", graph.path, "--dataset", data.path, "--epochs", "6", option, "/nonexistent-dir/out.tflite"] + split
            XCTAssertEqual(try failure(args), "error: cannot write /nonexistent-dir/out.tflite: directory /nonexistent-dir does not exist")
            XCTAssertFalse(try Fixtures.capture(Fixtures.micronas, args).stderr.contains("training "), "refused before training")
        }
        XCTAssertEqual(try failure(["train", "--graph", graph.path, "--dataset", data.path, "--epochs", "7", "--batch", "16", "--qat",
                                    "--checkpoint", checkpoint] + split),
                       "error: \(checkpoint) was written by a run with other settings (epochs 6, this run 7); remove it or name another --checkpoint")
    }
}
