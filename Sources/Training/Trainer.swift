import Datasets
import Foundation
import Graph
import Metrics
import Support
import Tensor

/// Trains a `GraphNetwork` on a `WindowDataset` with Adam (cosine schedule, gradient clipping),
/// log-softmax + NLL on the output logits; evaluates accuracy and macro-F1 on every split after each
/// epoch; keeps the last good parameters in a checkpoint written atomically.
public struct Trainer {
    public struct Config: Sendable {
        public var epochs = 20
        public var batch = 32
        public var seed: UInt64 = 1
        public var learningRate: Float = 2e-3
        public var weightDecay: Float = 1e-4
        public var clipNorm: Float = 5
        /// Threads a batch is split over (`ParallelStep`); results depend on the seed and this count.
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        public init() {}
    }

    public struct EpochReport: Sendable {
        public var epoch: Int
        public var loss: Double
        public var learningRate: Float
        public var train: ClassificationScore, val: ClassificationScore?, test: ClassificationScore
        public var seconds: Double
    }

    public let network: GraphNetwork
    public var config: Config
    /// Where the last good parameters go after every epoch (nil: nowhere).
    public var checkpoint: URL?

    public init(network: GraphNetwork, config: Config, checkpoint: URL? = nil) {
        (self.network, self.config, self.checkpoint) = (network, config, checkpoint)
    }

    /// The batch tensor [B] + input shape for `indices`; the dataset's windows are [T, S].
    static func batch(_ d: WindowDataset, _ indices: ArraySlice<Int>, inputShape: [Int]) -> Tensor {
        let w = d.windowSize
        var x = [Float](repeating: 0, count: indices.count * w)
        for (k, i) in indices.enumerated() {
            x.withUnsafeMutableBufferPointer { dst in d.x.withUnsafeBufferPointer { src in
                (dst.baseAddress! + k * w).update(from: src.baseAddress! + i * w, count: w)
            } }
        }
        return Tensor(shape: [indices.count] + inputShape, data: x)
    }

    /// Checks that the dataset's windows fit the graph's input: [T, S] or [T, S, 1].
    public static func check(_ d: WindowDataset, fits network: GraphNetwork) throws {
        let input = network.graph.inputs[0].shape
        guard input.reduce(1, *) == d.windowSize, input.first == d.length else {
            throw GraphError("dataset windows are [\(d.length), \(d.channels.count)]; the graph input '\(network.graph.inputs[0].name)' is \(input)")
        }
        let out = network.shapes[network.graph.outputs[0]]!
        guard out.reduce(1, *) == d.classes.count else {
            throw GraphError("the graph output '\(network.graph.outputs[0])' has \(out.reduce(1, *)) values; the dataset has \(d.classes.count) classes")
        }
    }

    public func evaluate(_ d: WindowDataset, _ split: WindowDataset.Split) -> ClassificationScore? {
        let idx = d.indices(split)
        guard !idx.isEmpty else { return nil }
        let classes = d.classes.count
        var confusion = ConfusionMatrix(classes: classes)
        Tensor.withoutGradients {
            var start = 0
            while start < idx.count {
                let part = idx[start..<min(idx.count, start + 256)]
                let out = network.forward(Self.batch(d, part, inputShape: network.graph.inputs[0].shape), logits: true)
                for (k, i) in part.enumerated() {
                    let row = out.data[(k * classes)..<((k + 1) * classes)]
                    let predicted = row.indices.max { row[$0] < row[$1] }! - k * classes
                    confusion.add(actual: Int(d.y[i]), predicted: predicted)
                }
                start += 256
            }
        }
        return confusion.score
    }

    public func run(_ d: WindowDataset, progress: (EpochReport) -> Void = { _ in }) throws -> [EpochReport] {
        try Self.check(d, fits: network)
        var generator = SplitMix64(seed: config.seed &+ 0x5EED)
        var adam = Adam(learningRate: config.learningRate, weightDecay: config.weightDecay)
        var train = d.indices(.train)
        let steps = (train.count + config.batch - 1) / config.batch
        let params = network.parameters
        var parallel = ParallelStep(network: network, workers: config.workers)
        var reports: [EpochReport] = []
        if let url = checkpoint { try Checkpoint(network, epoch: 0).write(to: url) }
        for epoch in 1...config.epochs {
            let start = Date()
            for i in stride(from: train.count - 1, to: 0, by: -1) { train.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
            var lossSum = 0.0
            for s in 0..<steps {
                let part = train[(s * config.batch)..<min(train.count, (s + 1) * config.batch)]
                let x = Self.batch(d, part, inputShape: network.graph.inputs[0].shape)
                let loss = parallel.lossAndGradients(x, labels: part.map { Int(d.y[$0]) }, classes: d.classes.count, seed: generator.next())
                guard loss.isFinite else {
                    throw GraphError("loss is \(loss) at epoch \(epoch), batch \(s + 1) of \(steps); stopped"
                                     + (checkpoint.map { "; the last good parameters are in \($0.path)" } ?? ""))
                }
                clipGradientNorm(params, maxNorm: config.clipNorm)
                adam.learningRate = cosineLearningRate(base: config.learningRate, step: (epoch - 1) * steps + s, of: config.epochs * steps)
                adam.step(params)
                lossSum += Double(loss) * Double(part.count)
            }
            if let url = checkpoint { try Checkpoint(network, epoch: epoch).write(to: url) }
            let report = EpochReport(epoch: epoch, loss: lossSum / Double(train.count), learningRate: adam.learningRate,
                                     train: evaluate(d, .train)!, val: evaluate(d, .val), test: evaluate(d, .test)!,
                                     seconds: Date().timeIntervalSince(start))
            reports.append(report)
            progress(report)
        }
        return reports
    }
}
