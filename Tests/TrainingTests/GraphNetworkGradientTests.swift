import Graph
import Tensor
import TestSupport
import Training
import XCTest

/// A whole small network's gradients against finite differences, and the batch split over threads
/// against one thread.
final class GraphNetworkGradientTests: XCTestCase {
    var gradients = GradientCheck(seed: 42)

    func random(_ shape: [Int], scale: Float = 1) -> Tensor { gradients.random(shape, scale: scale) }

    /// The reference-network shape (smaller): convs with stride, a (1×S) conv, 1×1 to classes, GAP,
    /// cross-entropy — every parameter's gradient against finite differences.
    func testWholeNetwork() throws {
        let graph = Graph(inputs: [.init(name: "x", shape: [16, 3, 1])], nodes: [
            Node(name: "c1", op: .conv2d, inputs: ["x"], filters: 4, kernel: [3, 1], stride: [2, 1], activation: .relu),
            Node(name: "c2", op: .conv2d, inputs: ["c1"], filters: 4, kernel: [3, 1], activation: .relu),
            Node(name: "sum", op: .add, inputs: ["c1", "c2"]),
            Node(name: "sf", op: .conv2d, inputs: ["sum"], filters: 5, kernel: [1, 3], padding: .valid, activation: .relu),
            Node(name: "out", op: .conv2d, inputs: ["sf"], filters: 3, kernel: [1, 1]),
            Node(name: "gap", op: .mean, inputs: ["out"]),
            Node(name: "p", op: .softmax, inputs: ["gap"]),
        ], outputs: ["p"])
        let net = try GraphNetwork(graph, seed: 7)
        let x = random([4, 16, 3, 1])
        x.data = x.data.map { $0 * 2 }
        gradients.check(net.parameters, samples: 6, eps: 5e-3, tolerance: 3e-2) { _ in
            net.forward(x, logits: true).crossEntropy(labels: [0, 2, 1, 2])
        }
    }

    /// Splitting a batch over worker threads gives the gradients of the whole batch's mean loss.
    func testBatchSplitMatchesOneThread() throws {
        let graph = Graph(inputs: [.init(name: "x", shape: [16, 3, 1])], nodes: [
            Node(name: "c1", op: .conv2d, inputs: ["x"], filters: 4, kernel: [3, 1], stride: [2, 1], activation: .relu),
            Node(name: "out", op: .conv2d, inputs: ["c1"], filters: 3, kernel: [1, 3], padding: .valid),
            Node(name: "gap", op: .mean, inputs: ["out"]),
        ], outputs: ["gap"])
        let net = try GraphNetwork(graph, seed: 5)
        let x = random([7, 16, 3, 1])
        let labels = [0, 1, 2, 2, 1, 0, 1]
        for p in net.parameters { p.grad = nil }
        let whole = net.forward(x, logits: true).crossEntropy(labels: labels)
        whole.backward()
        let expected = net.parameters.map { $0.grad! }
        var step = ParallelStep(network: net, workers: 3)
        let loss = step.lossAndGradients(x, labels: labels, classes: 3, seed: 1)
        XCTAssertEqual(loss, whole.data[0], accuracy: 1e-5)
        for (p, e) in zip(net.parameters, expected) {
            for (a, b) in zip(p.grad!, e) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
        }
    }
}
