import Datasets
import Foundation
import Metrics
import SearchSpace
import Support
import Tensor
import Training

/// MicroNAS Algorithm 1: for every training batch, one architecture step — SGD on α of
/// CE(validation batch) + loss_lat + loss_mem (Eqs. 6–7) — then one weight step — Adam on the
/// supernet's weights of CE(training batch) — both under the same Gumbel-softmax sample of the
/// decision groups, then τ ← τ·ε. After every epoch the whole state goes into a checkpoint written
/// atomically, and a log entry records the epoch.
public struct DNAS {
    public struct Config: Codable, Sendable, Equatable {
        public var epochs = 100
        public var batch = 32
        public var seed: UInt64 = 1
        /// Adam on the weights (the paper does not give its rate; Adam's customary 1e-3).
        public var weightLearningRate: Float = 1e-3
        public var weightDecay: Float = 0
        public var clipNorm: Float = 5
        /// SGD on α (MicroNAS: 0.36).
        public var architectureLearningRate: Float = 0.36
        /// τ at the first batch (the paper does not give it; FBNet's 5) and ε, τ ← τ·ε per batch.
        public var initialTemperature: Float = 5
        public var temperatureDecay: Float = 0.997
        public var gammaLatency: Float = 2, gammaMemory: Float = 4
        /// Paths whose Gumbel-softmax weight is below this are not computed (once τ is small the
        /// samples are nearly one-hot and most paths carry weights far below it).
        public var skipBelow: Float = 1e-6
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        public var limits: HardwareLimits
        public init(limits: HardwareLimits) { self.limits = limits }
    }

    /// One epoch of the search.
    public struct EpochLog: Codable, Sendable {
        public var epoch: Int
        /// Mean training CE of the weight steps, validation CE and hardware losses of the architecture steps.
        public var weightLoss: Double, validationLoss: Double, latencyLoss: Double, memoryLoss: Double
        /// The current argmax architecture on the supernet over the whole validation split.
        public var validationAccuracy: Double
        /// Expected latency and arena under softmax(α) (no noise), from the table.
        public var expectedLatencyMs: Double, expectedArenaBytes: Double
        /// The argmax architecture, priced by the table.
        public var architecture: Architecture
        public var architectureLatencyMs: Double, architectureArenaBytes: Double
        /// τ after the epoch's last batch.
        public var temperature: Float
        /// softmax(α) of every decision group, by group name.
        public var probabilities: [String: [Float]]
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case epoch, temperature, probabilities, seconds, architecture
            case weightLoss = "weight_loss", validationLoss = "validation_loss", latencyLoss = "latency_loss", memoryLoss = "memory_loss"
            case validationAccuracy = "validation_accuracy", expectedLatencyMs = "expected_latency_ms", expectedArenaBytes = "expected_arena_bytes"
            case architectureLatencyMs = "architecture_latency_ms", architectureArenaBytes = "architecture_arena_bytes"
        }
    }

    /// Everything an interrupted search needs to continue exactly.
    public struct State: Codable, Sendable {
        public var config: Config
        public var space: SearchSpace
        public var dataset: String
        public var epoch: Int
        public var weights: [String: [Float]]
        public var alpha: [[Float]]
        public var adamStep: Int
        public var adamM: [[Float]], adamV: [[Float]]
        public var generator: UInt64
        public var temperature: Float
        public var trainOrder: [Int], valOrder: [Int]
        public var valCursor: Int
        public var log: [EpochLog]

        public func write(to url: URL) throws {
            try AtomicWrite.file(try JSONEncoder().encode(self), to: url)
        }

        public static func read(from url: URL) throws -> State {
            guard let data = FileManager.default.contents(atPath: url.path) else { throw SearchError("\(url.path): cannot read the search checkpoint") }
            do { return try JSONDecoder().decode(State.self, from: data) } catch {
                throw SearchError("\(url.path): corrupt search checkpoint (\(error.localizedDescription)); remove it or pass --force to start over")
            }
        }
    }

    public let space: SearchSpace
    public let config: Config
    public let loss: HardwareLoss
    public let supernet: Supernet
    public let alpha: ArchitectureWeights
    /// Where the state goes after every epoch (nil: nowhere).
    public var checkpoint: URL?

    public init(space: SearchSpace, config: Config, cost: RelaxedCost, clockHz: Double, checkpoint: URL? = nil) {
        self.space = space
        self.config = config
        loss = HardwareLoss(cost: cost, clockHz: clockHz, limits: config.limits, gammaLatency: config.gammaLatency, gammaMemory: config.gammaMemory)
        supernet = Supernet(space: space, seed: config.seed)
        alpha = ArchitectureWeights(space: space)
        self.checkpoint = checkpoint
    }

    public struct Outcome: Sendable {
        public var log: [EpochLog]
        public var extraction: ArchitectureWeights.Extraction
        /// The epoch the run resumed after (0: fresh).
        public var resumedAfter: Int
    }

    /// Checks the data fits the space and both splits have windows.
    public func check(_ d: WindowDataset) throws {
        guard d.length == space.time, d.channels.count == space.sensors, d.classes.count == space.classes else {
            throw SearchError("the dataset's windows are \(d.length)×\(d.channels.count) with \(d.classes.count) classes; the space is for \(space.time)×\(space.sensors) with \(space.classes)")
        }
        guard !d.indices(.train).isEmpty else { throw SearchError("the training split has no windows") }
        guard !d.indices(.val).isEmpty else { throw SearchError("the validation split has no windows (the architecture step needs them; choose validation subjects or --split random)") }
    }

    /// Runs the search (or continues `resume`), calling `progress` after every epoch and
    /// `batchProgress(done, total)` within it.
    public func run(_ d: WindowDataset, resume: State? = nil, progress: (EpochLog) throws -> Void = { _ in },
                    batchProgress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        try check(d)
        let params = supernet.orderedParameters
        var adam = Adam(learningRate: config.weightLearningRate, weightDecay: config.weightDecay)
        var sgd = SGD(learningRate: config.architectureLearningRate)
        var generator = SplitMix64(seed: config.seed &+ 0xD1A5)
        var train = d.indices(.train), val = d.indices(.val)
        var valCursor = val.count
        var temperature = config.initialTemperature
        var log: [EpochLog] = []
        let fingerprint = Trainer.fingerprint(d)
        var first = 1
        if let s = resume {
            let name = checkpoint?.path ?? "the search checkpoint"
            guard s.config == config else { throw SearchError("\(name) was written by a search with other settings; remove it, or pass --force to start over") }
            guard s.space == space else { throw SearchError("\(name) was written for another search space") }
            guard s.dataset == fingerprint else { throw SearchError("\(name) searched other data (\(s.dataset)); this run has \(fingerprint)") }
            guard s.epoch >= 0, s.epoch <= config.epochs, s.log.count == s.epoch, s.trainOrder.sorted() == train, s.valOrder.sorted() == val,
                  (0...val.count).contains(s.valCursor), s.alpha.map(\.count) == alpha.groups.map(\.count) else {
                throw SearchError("\(name): inconsistent search state (epoch \(s.epoch), \(s.log.count) log entries)")
            }
            for n in supernet.names {
                guard let v = s.weights[n], v.count == supernet.parameters[n]!.count, v.allSatisfy(\.isFinite) else {
                    throw SearchError("\(name): the supernet weight \(n) is missing, of the wrong size or not finite")
                }
                supernet.parameters[n]!.data = v
            }
            for (t, v) in zip(alpha.groups, s.alpha) { t.data = v }
            guard adam.restore(step: s.adamStep, m: s.adamM, v: s.adamV, for: params) else {
                throw SearchError("\(name): the optimizer moments do not fit the supernet")
            }
            (generator, temperature, train, val, valCursor, log) = (SplitMix64(seed: s.generator), s.temperature, s.trainOrder, s.valOrder, s.valCursor, s.log)
            first = s.epoch + 1
        }
        func save(epoch: Int) throws {
            guard let url = checkpoint else { return }
            let (step, m, v) = adam.state(for: params)
            try State(config: config, space: space, dataset: fingerprint, epoch: epoch,
                      weights: Dictionary(uniqueKeysWithValues: supernet.names.map { ($0, supernet.parameters[$0]!.data) }),
                      alpha: alpha.values, adamStep: step, adamM: m, adamV: v, generator: generator.state, temperature: temperature,
                      trainOrder: train, valOrder: val, valCursor: valCursor, log: log).write(to: url)
        }
        if resume == nil { try save(epoch: 0) }
        let inputShape = [space.time, space.sensors, 1]
        let steps = (train.count + config.batch - 1) / config.batch
        let names = ArchitectureWeights.groupNames(space)
        if first <= config.epochs {
            for epoch in first...config.epochs {
                let start = Date()
                for i in stride(from: train.count - 1, to: 0, by: -1) { train.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
                var sums = (weight: 0.0, val: 0.0, lat: 0.0, mem: 0.0)
                for s in 0..<steps {
                    let noise = alpha.noise(using: &generator)
                    // Architecture step on a validation batch (the validation order cycles, reshuffled at each pass).
                    var part: [Int] = []
                    while part.count < min(config.batch, val.count) {
                        if valCursor == val.count {
                            for i in stride(from: val.count - 1, to: 0, by: -1) { val.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
                            valCursor = 0
                        }
                        part.append(val[valCursor])
                        valCursor += 1
                    }
                    let (valLoss, hardware) = architectureStep(d, part[...], inputShape: inputShape, noise: noise, temperature: temperature)
                    guard valLoss.isFinite else { throw SearchError("validation loss is \(valLoss) at epoch \(epoch), batch \(s + 1); stopped") }
                    sgd.step(alpha.groups)
                    sums.val += Double(valLoss); sums.lat += Double(hardware.latencyLoss); sums.mem += Double(hardware.memoryLoss)
                    // Weight step on a training batch, under the same sample of the updated α.
                    let batch = train[(s * config.batch)..<min(train.count, (s + 1) * config.batch)]
                    let trainLoss = weightStep(d, batch, inputShape: inputShape, noise: noise, temperature: temperature, seed: generator.next())
                    guard trainLoss.isFinite else {
                        throw SearchError("training loss is \(trainLoss) at epoch \(epoch), batch \(s + 1); stopped"
                                          + (checkpoint.map { "; the last good state is in \($0.path)" } ?? ""))
                    }
                    clipGradientNorm(params, maxNorm: config.clipNorm)
                    adam.step(params)
                    sums.weight += Double(trainLoss)
                    temperature *= config.temperatureDecay
                    batchProgress(s + 1, steps)
                }
                let extraction = alpha.argmax()
                let expected = Tensor.withoutGradients { loss.terms(alpha.probabilities()) }
                let priced = Tensor.withoutGradients { loss.terms(DecisionProbabilities.oneHot(extraction.architecture, in: space)) }
                let entry = EpochLog(
                    epoch: epoch, weightLoss: sums.weight / Double(steps), validationLoss: sums.val / Double(steps),
                    latencyLoss: sums.lat / Double(steps), memoryLoss: sums.mem / Double(steps),
                    validationAccuracy: accuracy(d, .val, extraction.architecture),
                    expectedLatencyMs: expected.expectedMs, expectedArenaBytes: expected.expectedBytes, architecture: extraction.architecture,
                    architectureLatencyMs: priced.expectedMs, architectureArenaBytes: priced.expectedBytes, temperature: temperature,
                    probabilities: Dictionary(uniqueKeysWithValues: zip(names, alpha.groups.map { $0.softmax().data })),
                    seconds: Date().timeIntervalSince(start))
                log.append(entry)
                try save(epoch: epoch)
                try progress(entry)
            }
        }
        return Outcome(log: log, extraction: alpha.argmax(), resumedAfter: first - 1)
    }

    /// CE of the validation batch under Gumbel-softmax(α) plus the hardware losses; leaves ∂/∂α in
    /// `alpha`'s grads. The supernet's weights are constants here.
    func architectureStep(_ d: WindowDataset, _ indices: ArraySlice<Int>, inputShape: [Int], noise: [[Float]], temperature: Float)
        -> (Float, HardwareLoss.Terms) {
        let constants = supernet.parameters.mapValues { Tensor(shape: $0.shape, data: $0.data) }
        var copies = BatchSplit.parts(indices.count, workers: config.workers).map { _ in alpha.copy() }
        nonisolated(unsafe) let shared = (copies, constants, supernet)
        let total = crossEntropy(d, indices, inputShape: inputShape) { w, slice in
            shared.2.forward(slice, shared.0[w].probabilities(noise: noise, temperature: temperature), parameters: shared.1, skipBelow: config.skipBelow)
        }
        // The hardware losses on the main thread, on their own copy, priced under softmax(α): the
        // exact expected latency and arena of the architectures the Gumbel samples are drawn from
        // (Gumbel-max draws from softmax(α) at every τ). Priced under the τ-flattened samples
        // instead, the expectation stays near the space's mean while τ is high whatever α is, and
        // the penalty drives α to the smallest choices before the weights have learnt anything.
        let own = alpha.copy()
        let terms = loss.terms(own.probabilities())
        if terms.total.requiresGrad { terms.total.backward() }
        copies.append(own)
        for (k, t) in alpha.groups.enumerated() {
            var g = [Float](repeating: 0, count: t.count)
            var any = false
            for c in copies { if let cg = c.groups[k].grad { any = true; for i in 0..<g.count { g[i] += cg[i] } } }
            t.grad = any ? g : nil
        }
        return (total, terms)
    }

    /// CE of the training batch under the (constant) Gumbel-softmax sample of α; leaves ∂/∂w in the
    /// supernet's parameters' grads. Dropout between cells.
    func weightStep(_ d: WindowDataset, _ indices: ArraySlice<Int>, inputShape: [Int], noise: [[Float]], temperature: Float, seed: UInt64) -> Float {
        let p = Tensor.withoutGradients { alpha.probabilities(noise: noise, temperature: temperature) }
        let copies = BatchSplit.parts(indices.count, workers: config.workers).map { _ in
            supernet.parameters.mapValues { Tensor(shape: $0.shape, data: $0.data, requiresGrad: true) }
        }
        nonisolated(unsafe) let shared = (copies, p, supernet)
        let total = crossEntropy(d, indices, inputShape: inputShape) { w, slice in
            var g = SplitMix64(seed: seed &+ UInt64(w) &* 0x9E37_79B9)
            return withUnsafeMutablePointer(to: &g) { shared.2.forward(slice, shared.1, parameters: shared.0[w], dropout: $0, skipBelow: config.skipBelow) }
        }
        for name in supernet.names {
            var sum: [Float]? = nil
            for c in copies {
                guard let g = c[name]!.grad else { continue }
                if sum == nil { sum = g } else { for i in 0..<g.count { sum![i] += g[i] } }
            }
            supernet.parameters[name]!.grad = sum
        }
        return total
    }

    /// The batch's mean cross-entropy, split over the workers (`BatchSplit`): worker w's
    /// `logits(w, its slice)` is differentiated on its thread, scaled by its share of the batch.
    func crossEntropy(_ d: WindowDataset, _ indices: ArraySlice<Int>, inputShape: [Int], logits: (Int, Tensor) -> Tensor) -> Float {
        let x = Trainer.batch(d, indices, inputShape: inputShape)
        let labels = indices.map { Int(d.y[$0]) }
        let parts = BatchSplit.parts(indices.count, workers: config.workers)
        var losses = [Float](repeating: 0, count: parts.count)
        let n = indices.count, per = x.count / n, sampleShape = Array(x.shape.dropFirst())
        losses.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            BatchSplit.run(parts) { w, range in
                let slice = Tensor(shape: [range.count] + sampleShape, data: Array(x.data[(range.lowerBound * per)..<(range.upperBound * per)]))
                let l = logits(w, slice).crossEntropy(labels: Array(labels[range])).scaled(by: Float(range.count) / Float(n))
                l.backward()
                out[w] = l.data[0]
            }
        }
        return losses.reduce(0, +)
    }

    /// Accuracy of architecture `a` on the supernet (its one-hot probabilities) over a split.
    public func accuracy(_ d: WindowDataset, _ split: WindowDataset.Split, _ a: Architecture) -> Double {
        let idx = d.indices(split)
        guard !idx.isEmpty else { return 0 }
        let p = DecisionProbabilities.oneHot(a, in: space)
        var correct = 0
        Tensor.withoutGradients {
            var start = 0
            while start < idx.count {
                let part = idx[start..<min(idx.count, start + 256)]
                let logits = supernet.forward(Trainer.batch(d, part, inputShape: [space.time, space.sensors, 1]), p, skipBelow: 0.5)
                let c = space.classes
                for (k, i) in part.enumerated() where Trainer.argmax(logits.data[(k * c)..<((k + 1) * c)]) == Int(d.y[i]) { correct += 1 }
                start += 256
            }
        }
        return Double(correct) / Double(idx.count)
    }
}

public struct SearchError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
