import Foundation
import Graph
import Support
import Tensor

/// Windows per second of one training step (forward, backward, Adam update) at a batch size, on
/// random inputs: the figure `micronas bench train` compares with PyTorch.
public enum TrainBench {
    /// `workers` > 1: the batch is split over that many threads (`ParallelStep`), BLAS on one thread each.
    public static func windowsPerSecond(_ graph: Graph, batch: Int, steps: Int, workers: Int = 1, seed: UInt64 = 1) throws -> (windowsPerSecond: Double, seconds: Double) {
        let network = try GraphNetwork(graph, seed: seed)
        let input = graph.inputs[0].shape
        let classes = network.shapes[graph.outputs[0]]!.reduce(1, *)
        var g = SplitMix64(seed: seed)
        let x = Tensor(shape: [batch] + input, data: (0..<(batch * input.reduce(1, *))).map { _ in Float.random(in: -1...1, using: &g) })
        let labels = (0..<batch).map { $0 % classes }
        var adam = Adam(learningRate: 1e-3)
        let params = network.parameters
        var parallel = workers > 1 ? ParallelStep(network: network, workers: workers) : nil
        func step() {
            if parallel != nil {
                _ = parallel!.lossAndGradients(x, labels: labels, classes: classes, seed: seed)
            } else {
                for p in params { p.grad = nil }
                let loss = network.forward(x, logits: true).reshaped([batch, classes]).crossEntropy(labels: labels)
                loss.backward()
            }
            adam.step(params)
        }
        // OpenBLAS's pool threads spin (sched_yield) for about 0.1 s after a multi-threaded product
        // before they sleep; let a previous measurement's threads settle so they do not take a core
        // from this one.
        Thread.sleep(forTimeInterval: 0.3)
        for _ in 0..<3 { step() }
        let start = Date()
        for _ in 0..<steps { step() }
        let seconds = Date().timeIntervalSince(start)
        return (Double(batch * steps) / seconds, seconds)
    }
}
