import Datasets
import Deploy
import Evaluation
import Foundation
import Graph
import Kernels
import Quant
import Support
import Tensor
import TestSupport
import Training
import XCTest

/// Float → int8 conversion held to two independent executors: the fake-quantized float forward
/// (Tensor) and the int8 model in the Swift reference interpreter (Quant), and the model on the
/// emulated board against the reference.
final class ConversionTests: XCTestCase {
    static func graph() -> Graph {
        Graph(inputs: [.init(name: "x", shape: [32, 3, 1])], nodes: [
            Node(name: "c1", op: .conv2d, inputs: ["x"], filters: 8, kernel: [5, 1], stride: [2, 1], activation: .relu),
            Node(name: "c2", op: .conv2d, inputs: ["c1"], filters: 8, kernel: [3, 1], activation: .relu),
            Node(name: "sum", op: .add, inputs: ["c1", "c2"]),
            Node(name: "sf", op: .conv2d, inputs: ["sum"], filters: 8, kernel: [1, 3], padding: .valid, activation: .relu),
            Node(name: "drop", op: .dropout, inputs: ["sf"], rate: 0.2),
            Node(name: "out", op: .conv2d, inputs: ["drop"], filters: 3, kernel: [1, 1]),
            Node(name: "gap", op: .mean, inputs: ["out"]),
            Node(name: "p", op: .softmax, inputs: ["gap"]),
        ], outputs: ["p"])
    }

    /// A QAT-trained network on the synthetic windows and its int8 model.
    static func trained() throws -> (GraphNetwork, [String: ActivationRange], QuantizedModel, WindowDataset) {
        let d = try SyntheticWindows.dataset()
        var c = Trainer.Config()
        (c.epochs, c.batch, c.workers) = (8, 16, 2)
        c.qat = Trainer.QAT(start: 4, freeze: 8, calibrationWindows: 64)
        let network = try GraphNetwork(graph(), seed: 1)  // seed 3 happens to leave one class dead
        let outcome = try Trainer(network: network, config: c).run(d)
        let model = try network.quantizedModel(ranges: outcome.ranges!, preprocessing: d.preprocessing)
        return (network, outcome.ranges!, model, d)
    }

    func testFakeQuantPredictsTheInt8Model() throws {
        let (network, ranges, model, d) = try Self.trained()
        let inputs = try ModelInputs.prepare(model: model, modelName: "m", dataset: d, split: .test)
        let lowered = try ModelFile.lower(model, name: "m")
        let int8 = try HostEvaluation.outputs(lowered, inputs: inputs.inputs)
        network.fakeQuantization = Trainer.quantization(ranges)
        let agreement = HostEvaluation.agreement(fakeQuantized: Trainer.outputs(network, d, inputs.windows), int8: int8,
                                                 quantization: .softmaxOutput)
        // Same class wherever the fake-quantized output decides it by more than the one or two
        // grid steps the int8 model may differ by; a window closer to a tie may flip with the float
        // summation order (OpenBLAS picks kernels by CPU: one of 60 windows flips on some machines).
        XCTAssertLessThanOrEqual(agreement.maxDifference, 2, "\(agreement)")
        let fake = Trainer.outputs(network, d, inputs.windows)
        var decided = 0, decidedSame = 0
        for (f, o) in zip(fake, int8) {
            let grid = f.map { Int(($0 * 256).rounded(.toNearestOrAwayFromZero)) - 128 }
            let sorted = grid.sorted(by: >)
            guard sorted[0] - sorted[1] > 2 * agreement.maxDifference else { continue }
            decided += 1
            if grid.firstIndex(of: sorted[0]) == predictedClass(o) { decidedSame += 1 }
        }
        XCTAssertEqual(decidedSame, decided, "every decided window has the int8 model's class")
        XCTAssertGreaterThanOrEqual(Double(decided), 0.9 * Double(int8.count), "most windows are decided, so the check means something")
        XCTAssertGreaterThanOrEqual(agreement.sameClass, 0.95)
        let logitsModel = try XCTUnwrap(HostEvaluation.logitsModel(model))
        let int8Logits = try HostEvaluation.outputs(try ModelFile.lower(logitsModel, name: "logits"), inputs: inputs.inputs)
        let logits = HostEvaluation.agreement(fakeQuantized: Trainer.outputs(network, d, inputs.windows, logits: true), int8: int8Logits,
                                              quantization: logitsModel.values["gap"]!)
        XCTAssertGreaterThanOrEqual(logits.valuesEqual, 0.8, "logits equal: \(logits)")
        XCTAssertLessThanOrEqual(logits.maxDifference, 3)
        XCTAssertGreaterThan(HostEvaluation.score(int8, labels: inputs.labels, classes: 3).accuracy, 0.85)
    }

    /// The conversion's arithmetic on a hand-sized case: OHWI transpose, per-channel scales,
    /// biases at s_in · s_w, ties away from zero.
    func testConversionOfOneConvolution() throws {
        let graph = Graph(inputs: [.init(name: "x", shape: [2, 1, 2])], nodes: [
            Node(name: "c", op: .conv2d, inputs: ["x"], filters: 2, kernel: [1, 1]),
        ], outputs: ["c"])
        // HWIO [1, 1, 2, 2]: w[i][o]; channel 0 = (0.5, -1.27), channel 1 = (0.254, 0.0).
        let p = FloatParameters(filter: [0.5, 0.254, -1.27, 0.0], filterShape: [1, 1, 2, 2], bias: [0.25, -0.001])
        let x = ValueQuantization(scale: 0.5, zeroPoint: 1), c = ValueQuantization(scale: 0.1, zeroPoint: -3)
        let m = try QuantizedModel.converting(graph, parameters: ["c": p], activations: ["x": x, "c": c])
        let w = try XCTUnwrap(m.weights["c"])
        XCTAssertEqual(w.scales, [Float(1.27) / 127, Float(0.254) / 127])
        XCTAssertEqual(w.filter, [50, -127, 127, 0])  // OHWI: channel 0's (i0, i1), then channel 1's
        XCTAssertEqual(w.bias, [Int32((Float(0.25) / (0.5 * (Float(1.27) / 127))).rounded(.toNearestOrAwayFromZero)),
                                Int32((Float(-0.001) / (0.5 * (Float(0.254) / 127))).rounded(.toNearestOrAwayFromZero))])
        XCTAssertEqual(m.values["c"], c)
        XCTAssertEqual(Fixtures.errorMessage { try QuantizedModel.converting(graph, parameters: ["c": p], activations: ["x": x]) },
                       "value 'c': no activation range (the network was not calibrated)")
    }

    /// The preprocessing travels inside the .tflite (metadata) and the JSON, and reads back equal.
    func testPreprocessingTravelsWithTheModel() throws {
        let (_, _, model, d) = try Self.trained()
        let dir = try Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("m.tflite").path
        let json = try ModelFile.write(model, tflite: path)
        let fromTFLite = try ModelFile.read(path), fromJSON = try ModelFile.read(json)
        XCTAssertEqual(fromTFLite.preprocessing, d.preprocessing)
        XCTAssertEqual(fromJSON, model)
        XCTAssertEqual(fromTFLite.weights, model.weights)
        // A model without it cannot be evaluated.
        var bare = model
        bare.preprocessing = nil
        XCTAssertTrue(Fixtures.errorMessage { try ModelInputs.prepare(model: bare, modelName: "bare.tflite", dataset: d, split: .test) }
            .hasPrefix("bare.tflite carries no normalization"))
        // Data normalized otherwise, or with another window, is refused.
        let renormalized = try SyntheticWindows.raw().split(.subject(test: [5, 6], val: [4], valCount: 0, seed: 1),
                                                           normalization: (mean: [0, 0, 0], std: [1, 1, 1]))
        XCTAssertEqual(Fixtures.errorMessage { try ModelInputs.prepare(model: model, modelName: "m", dataset: renormalized, split: .test) },
                       "the dataset was normalized with other statistics than m's; load it with the model's normalization")
        let noVal = try SyntheticWindows.raw().split(.subject(test: [5, 6], val: [], valCount: 0, seed: 1), normalization: (d.mean, d.std))
        XCTAssertEqual(Fixtures.errorMessage { try ModelInputs.prepare(model: model, modelName: "m", dataset: noVal, split: .val) },
                       "synthetic: the val split has no windows")
    }

    /// The whole test split on the emulated Cortex-M33: every output equals the reference's (checked
    /// inside), accuracy equals the host reference's; a reference that disagrees is reported by window and byte.
    func testBoardEvaluationMatchesTheReference() throws {
        let (_, _, model, d) = try Self.trained()
        let inputs = try ModelInputs.prepare(model: model, modelName: "m", dataset: d, split: .test)
        let catalog = try Fixtures.catalog()
        let deployment = try Deployment(model: model, name: "m", board: try catalog.board(named: "cortex-m33"), toolchain: KernelToolchain(catalog: catalog))
        var options = BoardEvaluation.Options()
        options.batch = 25
        let outcome = try BoardEvaluation.run(deployment, inputs: inputs, model: "m", dataset: "synthetic", split: "test", options: options)
        let host = try HostEvaluation.outputs(try ModelFile.lower(model, name: "m"), inputs: inputs.inputs)
        XCTAssertEqual(outcome.outputs, host)
        XCTAssertEqual(outcome.report.windows, inputs.count)
        XCTAssertEqual(outcome.report.accuracy, HostEvaluation.score(host, labels: inputs.labels, classes: 3).accuracy)
        XCTAssertEqual(outcome.report.confusion.joined().reduce(0, +), inputs.count)
        XCTAssertGreaterThan(outcome.report.latency.medianCycles, 1000)
        XCTAssertLessThanOrEqual(outcome.report.arenaBytesMeasured, outcome.report.arenaBytesPlanned)
        XCTAssertGreaterThan(outcome.report.stackBytes, 0)
        let lowered = deployment.lowered, seventh = inputs.inputs[7]
        let message = Fixtures.errorMessage {
            try BoardEvaluation.run(deployment, inputs: inputs, model: "m", dataset: "synthetic", split: "test", options: options,
                                    reference: { input in
                                        var out = try ReferenceInterpreter.run(lowered, inputs: [input])[0]
                                        if input == seventh { out[1] &+= 1 }
                                        return out
                                    })
        }
        XCTAssertTrue(message.hasPrefix("window 7 (dataset window \(inputs.windows[7]), subject \(inputs.subjects[7])): output byte 1 is"), message)
    }
}
