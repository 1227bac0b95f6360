import Datasets
import Foundation
import Graph
import Metrics
import Support
import Tensor

/// Trains a `GraphNetwork` on a `WindowDataset` with Adam (cosine schedule, gradient clipping),
/// log-softmax + NLL on the output logits; evaluates accuracy and macro-F1 on every split after each
/// epoch; keeps the last good parameters — with everything needed to resume — in a checkpoint
/// written atomically. With `Config.qat`, the epochs from `qat.start` on are quantization-aware:
/// the forward computes what the int8 model will (see `GraphNetwork.fakeQuantization`) with
/// activation ranges calibrated when QAT starts, tracked as moving averages, frozen from `qat.freeze`.
public struct Trainer {
    /// Quantization-aware training's schedule.
    public struct QAT: Sendable, Codable, Equatable {
        /// The first epoch trained with fake quantization (1: QAT from the start).
        public var start: Int
        /// The first epoch with frozen activation ranges (beyond the last epoch: never frozen).
        public var freeze: Int
        /// Training windows (evenly spaced over the split) the ranges are calibrated on when QAT starts.
        public var calibrationWindows: Int

        public init(start: Int, freeze: Int, calibrationWindows: Int = 2048) {
            (self.start, self.freeze, self.calibrationWindows) = (start, freeze, calibrationWindows)
        }

        /// micronas' default: QAT fine-tuning of the float-trained network for the second half of
        /// the epochs (the first half trains in float at the high end of the cosine schedule), ranges
        /// frozen for the last tenth (at least the last epoch).
        public static func fineTuning(epochs: Int) -> QAT {
            QAT(start: epochs / 2 + 1, freeze: max(epochs / 2 + 1, epochs - max(1, epochs / 10) + 1))
        }
    }

    public struct Config: Sendable, Codable, Equatable {
        public var epochs = 20
        public var batch = 32
        public var seed: UInt64 = 1
        public var learningRate: Float = 2e-3
        public var weightDecay: Float = 1e-4
        public var clipNorm: Float = 5
        /// Threads a batch is split over (`ParallelStep`); results depend on the seed and this count.
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        /// Quantization-aware training (nil: float only).
        public var qat: QAT?
        /// Rotation and gain of the training windows (nil: none; validation and test never).
        public var augmentation: Augmentation?
        public init() {}
    }

    public struct EpochReport: Sendable, Codable {
        public var epoch: Int
        public var loss: Double
        public var learningRate: Float
        public var train: ClassificationScore, val: ClassificationScore?, test: ClassificationScore
        public var seconds: Double
        /// Whether the epoch trained (and was evaluated) with fake quantization.
        public var quantized: Bool
    }

    /// What a run leaves: every epoch's report (those of a resumed run's earlier epochs included) and,
    /// after QAT, the activation ranges the int8 model takes its scales from.
    public struct Outcome: Sendable {
        public var reports: [EpochReport]
        public var ranges: [String: ActivationRange]?
        /// The epoch the run resumed after (0: it started fresh).
        public var resumedAfter: Int
    }

    public let network: GraphNetwork
    public var config: Config
    /// Where the last good parameters go after every epoch (nil: nowhere).
    public var checkpoint: URL?

    public init(network: GraphNetwork, config: Config, checkpoint: URL? = nil) {
        (self.network, self.config, self.checkpoint) = (network, config, checkpoint)
    }

    /// The batch tensor [B] + input shape for `indices`; the dataset's windows are [T, S].
    public static func batch(_ d: WindowDataset, _ indices: ArraySlice<Int>, inputShape: [Int]) -> Tensor {
        Tensor(shape: [indices.count] + inputShape, data: windows(d, indices))
    }

    /// The windows `indices` of `d`, one after another.
    static func windows(_ d: WindowDataset, _ indices: ArraySlice<Int>) -> [Float] {
        let w = d.windowSize
        var x = [Float](repeating: 0, count: indices.count * w)
        for (k, i) in indices.enumerated() {
            x.withUnsafeMutableBufferPointer { dst in d.x.withUnsafeBufferPointer { src in
                (dst.baseAddress! + k * w).update(from: src.baseAddress! + i * w, count: w)
            } }
        }
        return x
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

    /// The network's outputs (the graph output: probabilities, on the int8 grid when fake-quantized)
    /// for `indices`, 256 windows per forward, without gradients.
    public static func outputs(_ network: GraphNetwork, _ d: WindowDataset, _ indices: [Int], logits: Bool = false) -> [[Float]] {
        var rows: [[Float]] = []
        rows.reserveCapacity(indices.count)
        Tensor.withoutGradients {
            var start = 0
            while start < indices.count {
                let part = indices[start..<min(indices.count, start + 256)]
                let out = network.forward(batch(d, part, inputShape: network.graph.inputs[0].shape), logits: logits)
                let width = out.count / part.count
                for k in 0..<part.count { rows.append(Array(out.data[(k * width)..<((k + 1) * width)])) }
                start += 256
            }
        }
        return rows
    }

    /// The index of a row's largest value (the first of equal ones, as `argmax` on the board).
    public static func argmax<C: Collection>(_ row: C) -> Int where C.Element: Comparable, C.Index == Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    public func evaluate(_ d: WindowDataset, _ split: WindowDataset.Split) -> ClassificationScore? {
        let idx = d.indices(split)
        guard !idx.isEmpty else { return nil }
        var confusion = ConfusionMatrix(classes: d.classes.count)
        for (i, row) in zip(idx, Self.outputs(network, d, idx, logits: true)) {
            confusion.add(actual: Int(d.y[i]), predicted: Self.argmax(row))
        }
        return confusion.score
    }

    /// Activation ranges of every quantization point observed on `windows` training windows evenly
    /// spaced over the split (all of them when there are fewer): each range the min and max seen
    /// (post-training quantization's calibration, and QAT's starting ranges). The network's current
    /// `fakeQuantization` applies while observing (nil: the float network).
    public static func calibrate(_ network: GraphNetwork, _ d: WindowDataset, windows: Int, frozen: Bool) -> [String: ActivationRange] {
        let train = d.indices(.train)
        let n = min(train.count, max(1, windows))
        let picked = (0..<n).map { train[$0 * train.count / n] }
        var ranges = Dictionary(uniqueKeysWithValues: network.quantizationPoints.map { ($0, ActivationRange()) })
        Tensor.withoutGradients {
            var start = 0
            while start < picked.count {
                let part = picked[start..<min(picked.count, start + 256)]
                _ = network.forward(batch(d, part, inputShape: network.graph.inputs[0].shape), logits: true) { name, t in
                    let e = ActivationRange.extremes(t.data)
                    ranges[name]?.include(min: e.min, max: e.max)
                }
                start += 256
            }
        }
        if frozen { for k in Array(ranges.keys) { ranges[k]!.freeze() } }
        return ranges
    }

    /// The int8 parameters of every range, for `GraphNetwork.fakeQuantization` and the conversion.
    public static func quantization(_ ranges: [String: ActivationRange]) -> [String: ValueQuantization] {
        ranges.mapValues { let q = $0.quantization; return ValueQuantization(scale: q.scale, zeroPoint: q.zeroPoint) }
    }

    /// What identifies the data a checkpoint's run trained on (a resumed run must see the same).
    public static func fingerprint(_ d: WindowDataset) -> String {
        var h = FNV1a()
        d.y.withUnsafeBytes { h.add(Array($0)) }
        h.add(d.split.map(\.rawValue))
        d.x.withUnsafeBytes { h.add(Array($0.prefix(1 << 16))) }
        return "\(d.name): \(d.count) windows of \(d.length)×\(d.channels.count), \(d.classes.count) classes, labels and split \(h.hex)"
    }

    /// Trains from scratch, or — given the `resume` checkpoint of an interrupted run with the same
    /// configuration and data — continues after its last finished epoch exactly as the
    /// uninterrupted run would have (parameters, optimizer moments, batch order, generator, ranges).
    public func run(_ d: WindowDataset, resume: Checkpoint? = nil, progress: (EpochReport) throws -> Void = { _ in }) throws -> Outcome {
        try Self.check(d, fits: network)
        if let q = config.qat {
            guard q.start >= 1, q.start <= config.epochs, q.freeze >= q.start else {
                throw GraphError("QAT must start within the \(config.epochs) epochs (start \(q.start)) and freeze ranges no earlier (freeze \(q.freeze))")
            }
            let unsupported = network.graph.nodes.filter { [.quantize, .dequantize].contains($0.op) }
            if let node = unsupported.first { throw GraphError("node '\(node.name)' (\(node.op.rawValue)): QAT converts float graphs; leave the int8 edges out") }
        }
        try config.augmentation?.check()
        var generator = SplitMix64(seed: config.seed &+ 0x5EED)
        var adam = Adam(learningRate: config.learningRate, weightDecay: config.weightDecay)
        var train = d.indices(.train)
        let steps = (train.count + config.batch - 1) / config.batch
        let params = network.parameters
        var parallel = ParallelStep(network: network, workers: config.workers)
        var reports: [EpochReport] = []
        var ranges: [String: ActivationRange]? = nil
        let fingerprint = Self.fingerprint(d)
        var first = 1
        func save(epoch: Int) throws {
            guard let url = checkpoint else { return }
            let (step, m, v) = adam.state(for: params)
            var c = Checkpoint(network, epoch: epoch)
            c.ranges = ranges
            c.state = Checkpoint.TrainingState(config: config, dataset: fingerprint, generator: generator.state, order: train,
                                               adamStep: step, adamM: m, adamV: v, reports: reports)
            try c.write(to: url)
        }
        if let c = resume, let s = c.state {
            let name = checkpoint?.path ?? "the checkpoint"
            guard s.config == config else {
                throw GraphError("\(name) was written by a run with other settings (\(Self.difference(s.config, config))); remove it or name another --checkpoint")
            }
            guard s.dataset == fingerprint else {
                throw GraphError("\(name) was trained on other data (\(s.dataset)); this run has \(fingerprint)")
            }
            guard c.graph == network.graph else { throw GraphError("\(name) holds another graph") }
            guard c.epoch >= 0, c.epoch <= config.epochs, s.reports.count == c.epoch, s.order.sorted() == train.sorted() else {
                throw GraphError("\(name): inconsistent training state (epoch \(c.epoch), \(s.reports.count) epoch reports, \(s.order.count) training windows)")
            }
            try network.load(c)
            guard adam.restore(step: s.adamStep, m: s.adamM, v: s.adamV, for: params) else {
                throw GraphError("\(name): the optimizer moments do not fit the network's parameters")
            }
            (generator, train, reports, ranges) = (SplitMix64(seed: s.generator), s.order, s.reports, c.ranges)
            if let r = ranges { guard Set(r.keys) == Set(network.quantizationPoints) else {
                throw GraphError("\(name): activation ranges for \(r.keys.sorted()) do not match the quantization points \(network.quantizationPoints)")
            } }
            first = c.epoch + 1
        } else {
            try save(epoch: 0)
        }
        network.fakeQuantization = ranges.map(Self.quantization)
        if first <= config.epochs {
            for epoch in first...config.epochs {
                let start = Date()
                var quantized = false
                if let q = config.qat, epoch >= q.start {
                    quantized = true
                    if ranges == nil {
                        network.fakeQuantization = nil
                        ranges = Self.calibrate(network, d, windows: q.calibrationWindows, frozen: false)
                    }
                    if epoch >= q.freeze { for k in Array(ranges!.keys) { ranges![k]!.freeze() } }
                }
                let observing = quantized && ranges!.values.contains { !$0.isFrozen }
                for i in stride(from: train.count - 1, to: 0, by: -1) { train.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
                var lossSum = 0.0
                for s in 0..<steps {
                    let part = train[(s * config.batch)..<min(train.count, (s + 1) * config.batch)]
                    var windows = Self.windows(d, part)
                    config.augmentation?.apply(&windows, windows: part.count, of: d, using: &generator)
                    let x = Tensor(shape: [part.count] + network.graph.inputs[0].shape, data: windows)
                    network.fakeQuantization = quantized ? Self.quantization(ranges!) : nil
                    let loss = parallel.lossAndGradients(x, labels: part.map { Int(d.y[$0]) }, classes: d.classes.count, seed: generator.next(),
                                                         observe: observing)
                    guard loss.isFinite else {
                        throw GraphError("loss is \(loss) at epoch \(epoch), batch \(s + 1) of \(steps); stopped"
                                         + (checkpoint.map { "; the last good parameters are in \($0.path)" } ?? ""))
                    }
                    if observing { for (name, e) in parallel.extremes { ranges![name]?.observe(min: e.min, max: e.max) } }
                    clipGradientNorm(params, maxNorm: config.clipNorm)
                    adam.learningRate = cosineLearningRate(base: config.learningRate, step: (epoch - 1) * steps + s, of: config.epochs * steps)
                    adam.step(params)
                    lossSum += Double(loss) * Double(part.count)
                }
                network.fakeQuantization = quantized ? Self.quantization(ranges!) : nil
                let report = EpochReport(epoch: epoch, loss: lossSum / Double(train.count), learningRate: adam.learningRate,
                                         train: evaluate(d, .train)!, val: evaluate(d, .val), test: evaluate(d, .test)!,
                                         seconds: Date().timeIntervalSince(start), quantized: quantized)
                reports.append(report)
                try save(epoch: epoch)
                try progress(report)
            }
        }
        return Outcome(reports: reports, ranges: ranges, resumedAfter: first - 1)
    }

    /// The first setting two configurations differ in, for the resume error.
    static func difference(_ a: Config, _ b: Config) -> String {
        let pairs: [(String, String, String)] = [
            ("epochs", "\(a.epochs)", "\(b.epochs)"), ("batch", "\(a.batch)", "\(b.batch)"), ("seed", "\(a.seed)", "\(b.seed)"),
            ("learning rate", "\(a.learningRate)", "\(b.learningRate)"), ("weight decay", "\(a.weightDecay)", "\(b.weightDecay)"),
            ("clip norm", "\(a.clipNorm)", "\(b.clipNorm)"), ("threads", "\(a.workers)", "\(b.workers)"),
            ("qat", a.qat.map { "start \($0.start), freeze \($0.freeze), calibration \($0.calibrationWindows)" } ?? "off",
             b.qat.map { "start \($0.start), freeze \($0.freeze), calibration \($0.calibrationWindows)" } ?? "off"),
            ("augmentation", a.augmentation.map { "\($0.rotationDegrees)° \($0.gain)" } ?? "off", b.augmentation.map { "\($0.rotationDegrees)° \($0.gain)" } ?? "off"),
        ]
        return pairs.first { $0.1 != $0.2 }.map { "\($0.0) \($0.1), this run \($0.2)" } ?? "unknown"
    }
}
