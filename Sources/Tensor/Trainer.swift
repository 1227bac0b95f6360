import Datasets
import Foundation
import Graph

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

    public struct Metrics: Sendable, Codable {
        public var accuracy: Double
        public var macroF1: Double
        enum CodingKeys: String, CodingKey { case accuracy, macroF1 = "macro_f1" }
    }

    public struct EpochReport: Sendable {
        public var epoch: Int
        public var loss: Double
        public var learningRate: Float
        public var train: Metrics, val: Metrics?, test: Metrics
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

    public func evaluate(_ d: WindowDataset, _ split: WindowDataset.Split) -> Metrics? {
        let idx = d.indices(split)
        guard !idx.isEmpty else { return nil }
        let classes = d.classes.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        Tensor.withoutGradients {
            var start = 0
            while start < idx.count {
                let part = idx[start..<min(idx.count, start + 256)]
                let out = network.forward(Self.batch(d, part, inputShape: network.graph.inputs[0].shape), logits: true)
                for (k, i) in part.enumerated() {
                    let row = out.data[(k * classes)..<((k + 1) * classes)]
                    let predicted = row.indices.max { row[$0] < row[$1] }! - k * classes
                    confusion[Int(d.y[i])][predicted] += 1
                }
                start += 256
            }
        }
        return Self.metrics(confusion)
    }

    /// Accuracy and macro-F1 (mean over classes of 2PR/(P+R); 0 for a class never true nor predicted).
    public static func metrics(_ confusion: [[Int]]) -> Metrics {
        let total = confusion.joined().reduce(0, +)
        let correct = confusion.indices.reduce(0) { $0 + confusion[$1][$1] }
        var f1 = 0.0
        for c in confusion.indices {
            let tp = Double(confusion[c][c])
            let predicted = Double(confusion.reduce(0) { $0 + $1[c] }), actual = Double(confusion[c].reduce(0, +))
            let p = predicted > 0 ? tp / predicted : 0, r = actual > 0 ? tp / actual : 0
            f1 += p + r > 0 ? 2 * p * r / (p + r) : 0
        }
        return Metrics(accuracy: total > 0 ? Double(correct) / Double(total) : 0, macroF1: f1 / Double(confusion.count))
    }

    public func run(_ d: WindowDataset, progress: (EpochReport) -> Void = { _ in }) throws -> [EpochReport] {
        try Self.check(d, fits: network)
        var generator = SplitMixGenerator(seed: config.seed &+ 0x5EED)
        var adam = Adam(learningRate: config.learningRate, weightDecay: config.weightDecay)
        var train = d.indices(.train)
        let steps = (train.count + config.batch - 1) / config.batch
        let params = network.parameters
        var parallel = ParallelStep(network: network, workers: config.workers)
        var reports: [EpochReport] = []
        if let url = checkpoint { try saveCheckpoint(to: url, epoch: 0) }
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
            if let url = checkpoint { try saveCheckpoint(to: url, epoch: epoch) }
            let report = EpochReport(epoch: epoch, loss: lossSum / Double(train.count), learningRate: adam.learningRate,
                                     train: evaluate(d, .train)!, val: evaluate(d, .val), test: evaluate(d, .test)!,
                                     seconds: Date().timeIntervalSince(start))
            reports.append(report)
            progress(report)
        }
        return reports
    }

    /// {graph, epoch, parameters: {node: {weight: {shape, data}, bias: …}}}, written to a temporary file and renamed.
    public func saveCheckpoint(to url: URL, epoch: Int) throws {
        var parameters: [String: Any] = [:]
        for node in network.graph.nodes {
            var entry: [String: Any] = [:]
            if let w = network.weights[node.name] { entry["weight"] = ["shape": w.shape, "data": w.data.map(Double.init)] }
            if let b = network.biases[node.name] { entry["bias"] = ["shape": b.shape, "data": b.data.map(Double.init)] }
            if !entry.isEmpty { parameters[node.name] = entry }
        }
        let graphJSON = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(network.graph))
        let data = try JSONSerialization.data(withJSONObject: ["graph": graphJSON, "epoch": epoch, "parameters": parameters])
        try data.write(to: url, options: .atomic)
    }
}
