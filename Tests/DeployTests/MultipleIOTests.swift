import Datasets
import Deploy
import Foundation
import Graph
import Support
import TestSupport
import XCTest

/// A model with two inputs and two outputs through `micronas run` on the emulated board: the
/// outputs equal the Swift reference interpreter's (a second executor) whether the inputs come as
/// one .npy each or as one .npz; mismatched inputs are refused naming the input.
final class MultipleIOTests: XCTestCase {
    func testTwoInputsAndTwoOutputsMatchTheReference() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let graph = Graph(name: "two-by-two", inputs: [.init(name: "a", shape: [16, 3, 4]), .init(name: "b", shape: [16, 3, 4])], nodes: [
            Node(name: "sum", op: .add, inputs: ["a", "b"]),
            Node(name: "conv", op: .conv2d, inputs: ["sum"], filters: 6, kernel: [3, 1], stride: [2, 1], activation: .relu),
            Node(name: "pool", op: .mean, inputs: ["a"]),
        ], outputs: ["conv", "pool"])
        let model = try RandomQuantization.model(for: graph, seed: 5)
        let path = dir.appendingPathComponent("m.tflite").path
        _ = try ModelFile.write(model, tflite: path)
        let lowered = try ModelFile.lowered(path)
        XCTAssertEqual(lowered.inputs.count, 2)
        XCTAssertEqual(lowered.outputs.count, 2)

        var g = SplitMix64(seed: 9)
        let n = 3
        let inputs = lowered.inputs.map { name in
            NPYArray(dtype: .int8, shape: [n] + lowered.shapes[name]!, data: (0..<(n * lowered.byteSize(name))).map { _ in UInt8.random(in: 0...255, using: &g) })
        }
        for (i, a) in inputs.enumerated() { try a.write(to: dir.appendingPathComponent("in\(i).npy")) }
        try NPZArchive(names: lowered.inputs, arrays: inputs).write(to: dir.appendingPathComponent("in.npz"))
        try NPZArchive(names: ["arr_0", "arr_1"], arrays: inputs).write(to: dir.appendingPathComponent("numpy.npz"))

        // The reference: per sample, each input's slice.
        let expected: [[UInt8]] = (0..<lowered.outputs.count).map { _ in [] }
        var reference = expected
        for s in 0..<n {
            let sample = zip(lowered.inputs, inputs).map { name, a in Array(a.data[(s * lowered.byteSize(name))..<((s + 1) * lowered.byteSize(name))]) }
            for (k, out) in try ReferenceInterpreter.run(lowered, inputs: sample).enumerated() { reference[k] += out }
        }

        let base = ["run", "--target", "cortex-m4", "--model", path]
        for (label, args) in [("npy", ["--input", dir.appendingPathComponent("in0.npy").path, "--input", dir.appendingPathComponent("in1.npy").path]),
                              ("npz", ["--input", dir.appendingPathComponent("in.npz").path]),
                              ("numpy names", ["--input", dir.appendingPathComponent("numpy.npz").path])] {
            let out = dir.appendingPathComponent("out-\(label.replacingOccurrences(of: " ", with: "-")).npz")
            let r = try Fixtures.capture(Fixtures.micronas, base + args + ["--output", out.path])
            XCTAssertEqual(r.status, 0, "\(label): \(r.stderr)")
            let archive = try NPZArchive(contentsOf: out)
            XCTAssertEqual(archive.names, lowered.outputs, label)
            for (k, name) in lowered.outputs.enumerated() {
                XCTAssertEqual(archive.arrays[k].shape, [n] + lowered.shapes[name]!, "\(label) \(name)")
                XCTAssertEqual(archive.arrays[k].data, reference[k], "\(label) \(name): the emulated board against the reference interpreter")
            }
        }

        // profile draws random samples for both inputs; export writes the C API for each.
        let profile = try Fixtures.capture(Fixtures.micronas, ["profile", "--target", "cortex-m4", path])
        XCTAssertEqual(profile.status, 0, profile.stderr)
        let c = dir.appendingPathComponent("c")
        let export = try Fixtures.capture(Fixtures.micronas, ["export", "--model", path, "--out", c.path])
        XCTAssertEqual(export.status, 0, export.stderr)
        let header = try String(contentsOf: c.appendingPathComponent("c/micronas_model.h"), encoding: .utf8)
        XCTAssertTrue(header.contains("#define MICRONAS_INPUTS 2") && header.contains("#define MICRONAS_OUTPUTS 2") && header.contains("void *micronas_input_at(int i);"), header)

        // Bad input: one line naming the input, nothing written.
        let o = dir.appendingPathComponent("bad.npz").path
        XCTAssertEqual(try Fixtures.micronasFailure(base + ["--input", dir.appendingPathComponent("in0.npy").path, "--output", o]),
                       "error: 1 --input file(s) for a model with 2 input(s) (\(lowered.inputs.joined(separator: ", "))): one .npy per input, in order, or one .npz")
        let short = NPYArray(dtype: .int8, shape: [2] + lowered.shapes[lowered.inputs[1]]!, data: Array(inputs[1].data.prefix(2 * lowered.byteSize(lowered.inputs[1]))))
        try short.write(to: dir.appendingPathComponent("short.npy"))
        XCTAssertEqual(try Fixtures.micronasFailure(base + ["--input", dir.appendingPathComponent("in0.npy").path, "--input", dir.appendingPathComponent("short.npy").path, "--output", o]),
                       "error: \(dir.appendingPathComponent("short.npy").path): 2 sample(s) for input '\(lowered.inputs[1])'; the first input has 3 sample(s)")
        XCTAssertEqual(try Fixtures.micronasFailure(base + ["--input", dir.appendingPathComponent("in.npz").path, "--output", dir.appendingPathComponent("o.npy").path]),
                       "error: \(dir.appendingPathComponent("o.npy").path): the model has 2 outputs (\(lowered.outputs.joined(separator: ", "))); write them to an .npz")
        XCTAssertFalse(FileManager.default.fileExists(atPath: o))
    }
}
