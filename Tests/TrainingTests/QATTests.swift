import Datasets
import Foundation
import Graph
import Tensor
import Support
import TestSupport
import Training
import XCTest

/// Quantization-aware training: the fake-quantized forward lands on the int8 grid, ranges follow
/// the schedule, and an interrupted run resumed from its checkpoint ends exactly as the
/// uninterrupted run (the uninterrupted run is the reference the resumed one cannot see).
final class QATTests: XCTestCase {
    func graph() -> Graph {
        Graph(inputs: [.init(name: "x", shape: [32, 3, 1])], nodes: [
            Node(name: "c1", op: .conv2d, inputs: ["x"], filters: 8, kernel: [5, 1], stride: [2, 1], activation: .relu),
            Node(name: "c2", op: .conv2d, inputs: ["c1"], filters: 8, kernel: [1, 3], padding: .valid, activation: .relu),
            Node(name: "drop", op: .dropout, inputs: ["c2"], rate: 0.2),
            Node(name: "out", op: .conv2d, inputs: ["drop"], filters: 3, kernel: [1, 1]),
            Node(name: "gap", op: .mean, inputs: ["out"]),
            Node(name: "p", op: .softmax, inputs: ["gap"]),
        ], outputs: ["p"])
    }

    func config(epochs: Int = 4) -> Trainer.Config {
        var c = Trainer.Config()
        (c.epochs, c.batch, c.workers) = (epochs, 16, 2)
        c.qat = Trainer.QAT(start: 2, freeze: 4, calibrationWindows: 50)
        return c
    }

    struct Interrupted: Error {}

    func testResumedRunEndsAsTheUninterruptedOne() throws {
        let d = try SyntheticWindows.dataset()
        let whole = try GraphNetwork(graph(), seed: 5)
        let reference = try Trainer(network: whole, config: config()).run(d)
        XCTAssertEqual(reference.reports.map(\.quantized), [false, true, true, true])
        XCTAssertEqual(reference.ranges.map { Set($0.keys) }, Set(["x", "c1", "c2", "out", "gap"]))
        XCTAssertTrue(reference.ranges!.values.allSatisfy(\.isFrozen))

        let url = try Fixtures.temporaryDirectory().appendingPathComponent("qat.json")
        // Interrupted after epoch 2 (the first QAT epoch): the checkpoint holds epoch 2.
        XCTAssertThrowsError(try Trainer(network: try GraphNetwork(graph(), seed: 5), config: config(), checkpoint: url)
            .run(d, progress: { if $0.epoch == 2 { throw Interrupted() } }))
        let saved = try Checkpoint.read(from: url)
        XCTAssertEqual(saved.epoch, 2)
        XCTAssertNotNil(saved.ranges)
        let network = try GraphNetwork(graph(), seed: 99)  // other initial values: everything must come from the checkpoint
        let resumed = try Trainer(network: network, config: config(), checkpoint: url).run(d, resume: saved)
        XCTAssertEqual(resumed.resumedAfter, 2)
        XCTAssertEqual(network.parameters.map(\.data), whole.parameters.map(\.data))
        XCTAssertEqual(resumed.ranges, reference.ranges)
        XCTAssertEqual(resumed.reports.map(\.loss), reference.reports.map(\.loss))

        // Another setting or other data is refused, naming what differs.
        var other = config()
        other.batch = 8
        XCTAssertEqual(Fixtures.errorMessage { try Trainer(network: try GraphNetwork(self.graph(), seed: 5), config: other, checkpoint: url).run(d, resume: saved) },
                       "\(url.path) was written by a run with other settings (batch 16, this run 8); remove it or name another --checkpoint")
        let fewer = try SyntheticWindows.dataset(perSubject: 24)
        XCTAssertTrue(Fixtures.errorMessage { try Trainer(network: try GraphNetwork(self.graph(), seed: 5), config: self.config(), checkpoint: url).run(fewer, resume: saved) }
            .hasPrefix("\(url.path) was trained on other data"))
    }

    /// With fake quantization on, every quantization point and the softmax output hold values of the
    /// form s · (q − z) with integer q in [−128, 127].
    func testFakeQuantizedForwardIsOnTheGrid() throws {
        let d = try SyntheticWindows.dataset()
        let network = try GraphNetwork(graph(), seed: 2)
        let ranges = Trainer.calibrate(network, d, windows: 64, frozen: true)
        let q = Trainer.quantization(ranges)
        network.fakeQuantization = q
        let x = Tensor(shape: [4, 32, 3, 1], data: Array(d.x[0..<(4 * 96)]))
        func onGrid(_ values: [Float], _ v: ValueQuantization, _ what: String) {
            for y in values {
                let k = Double(y) / Double(v.scale) + Double(v.zeroPoint)
                XCTAssertEqual(k, k.rounded(), accuracy: 1e-3, "\(what): \(y) is not on the grid")
                XCTAssertTrue((-128.001...127.001).contains(k), "\(what): \(y) is outside int8")
            }
        }
        let logits = Tensor.withoutGradients { network.forward(x, logits: true) }
        onGrid(logits.data, q["gap"]!, "gap")
        let probabilities = Tensor.withoutGradients { network.forward(x) }
        onGrid(probabilities.data, .softmaxOutput, "softmax")
        // Without fake quantization the same network computes off the grid.
        network.fakeQuantization = nil
        let float = Tensor.withoutGradients { network.forward(x, logits: true) }
        XCTAssertNotEqual(float.data, logits.data)
    }
}
