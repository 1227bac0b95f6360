import Datasets
import Foundation
import Graph
import Tensor
import Support
import TestSupport
import Training
import XCTest

/// Training on a small synthetic window dataset: it learns, it is deterministic, and bad input stops it cleanly.
final class TrainerTests: XCTestCase {
    func synthetic() throws -> WindowDataset { try SyntheticWindows.dataset() }

    func graph(input: [Int] = [32, 3, 1]) -> Graph {
        Graph(inputs: [.init(name: "x", shape: input)], nodes: [
            Node(name: "c1", op: .conv2d, inputs: ["x"], filters: 8, kernel: [5, 1], stride: [2, 1], activation: .relu),
            Node(name: "c2", op: .conv2d, inputs: ["c1"], filters: 8, kernel: [1, 3], padding: .valid, activation: .relu),
            Node(name: "out", op: .conv2d, inputs: ["c2"], filters: 3, kernel: [1, 1]),
            Node(name: "gap", op: .mean, inputs: ["out"]),
            Node(name: "p", op: .softmax, inputs: ["gap"]),
        ], outputs: ["p"])
    }

    func testLearnsAndIsDeterministic() throws {
        let d = try synthetic()
        var config = Trainer.Config()
        config.epochs = 15
        config.batch = 16
        let a = try Trainer(network: try GraphNetwork(graph(), seed: 3), config: config).run(d).reports
        let b = try Trainer(network: try GraphNetwork(graph(), seed: 3), config: config).run(d).reports
        XCTAssertLessThan(a.last!.loss, a.first!.loss / 2)
        XCTAssertGreaterThan(a.last!.test.accuracy, 0.9)
        XCTAssertEqual(a.map(\.loss), b.map(\.loss), "same seed, same run")
    }

    /// A checkpoint read back gives a network with the same parameters and outputs; a checkpoint
    /// for another graph is refused naming the node.
    func testCheckpointRoundTrip() throws {
        let d = try synthetic()
        var config = Trainer.Config()
        config.epochs = 1
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("ckpt.json")
        let network = try GraphNetwork(graph(), seed: 4)
        _ = try Trainer(network: network, config: config, checkpoint: url).run(d).reports
        let restored = try Checkpoint.read(from: url).makeNetwork()
        XCTAssertEqual(restored.parameters.map(\.data), network.parameters.map(\.data))
        let x = Tensor(shape: [2, 32, 3, 1], data: (0..<192).map { Float($0 % 7) / 7 })
        XCTAssertEqual(restored.forward(x).data, network.forward(x).data)
        var other = graph()
        other.nodes[0].filters = 4
        XCTAssertEqual(Fixtures.errorMessage { try GraphNetwork(other, seed: 1).load(try Checkpoint.read(from: url)) },
                       "checkpoint's weight of node 'c1' is [5, 1, 1, 8] with 40 values; the graph needs [5, 1, 1, 4]")
        try "{}".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertTrue(Fixtures.errorMessage { try Checkpoint.read(from: url) }.hasPrefix("\(url.path): not a micronas checkpoint"))
    }

    func testNaNLossStopsWithEpochBatchAndCheckpoint() throws {
        let d = try synthetic()
        var config = Trainer.Config()
        config.learningRate = 1e30
        config.clipNorm = 1e30
        config.epochs = 3
        let checkpoint = try Fixtures.temporaryDirectory().appendingPathComponent("ckpt.json")
        let message = Fixtures.errorMessage { try Trainer(network: try GraphNetwork(self.graph(), seed: 1), config: config, checkpoint: checkpoint).run(d) }
        XCTAssertTrue(message.hasPrefix("loss is nan at epoch 1, batch ") || message.hasPrefix("loss is inf at epoch 1, batch ")
                      || message.contains("at epoch"), message)
        XCTAssertTrue(message.contains("the last good parameters are in \(checkpoint.path)"), message)
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: checkpoint)) as? [String: Any]
        let params = saved?["parameters"] as? [String: Any]
        XCTAssertNotNil(params?["c1"])
        let values = (((params?["c1"] as? [String: Any])?["weight"] as? [String: Any])?["data"] as? [Double]) ?? []
        XCTAssertFalse(values.isEmpty)
        XCTAssertTrue(values.allSatisfy(\.isFinite), "the checkpoint holds the last finite parameters")
    }

    func testBadGraphsAndMismatchedData() throws {
        let d = try synthetic()
        XCTAssertEqual(Fixtures.errorMessage { try Trainer.check(d, fits: try GraphNetwork(self.graph(input: [64, 3, 1]), seed: 1)) },
                       "dataset windows are [32, 3]; the graph input 'x' is [64, 3, 1]")
        var bad = graph()
        bad.nodes[1].kernel = [1, 5]
        XCTAssertEqual(Fixtures.errorMessage { try GraphNetwork(bad, seed: 1) },
                       "node 'c2' (conv2d): kernel [1, 5] with VALID padding does not fit input [16, 3, 8] (output 16x0)")
        var add = graph()
        add.nodes.insert(Node(name: "s", op: .add, inputs: ["c1", "x"]), at: 1)
        XCTAssertEqual(Fixtures.errorMessage { try GraphNetwork(add, seed: 1) },
                       "node 's' (add): inputs 'c1' [16, 3, 8] and 'x' [32, 3, 1] differ in shape")
        let json = #"{"inputs": [{"name": "x", "shape": [8, 3, 1]}], "nodes": [{"name": "a", "op": "lstm", "inputs": ["x"]}], "outputs": ["a"]}"#
        let dir = try Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("g.json")
        try json.write(to: path, atomically: true, encoding: .utf8)
        let r = try Fixtures.capture(Fixtures.micronas, ["train", "--graph", path.path, "--dataset", "uci-har"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(path.path): not a Graph: .nodes[0].op: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("lstm"), r.stderr)
    }
}
