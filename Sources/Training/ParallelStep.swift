import Dispatch
import Foundation
import Support
import Tensor

/// One training step's forward and backward split over worker threads by batch: each worker
/// differentiates its slice of the batch on its own replica of the network (its own parameter
/// tensors and gradients, BLAS on one thread), then the gradients are summed into the network's in
/// worker order — so the result depends only on the seed and the worker count. Loss and gradients
/// are those of the mean over the whole batch.
public struct ParallelStep {
    public let network: GraphNetwork
    public let workers: Int
    var replicas: [GraphNetwork]

    public init(network: GraphNetwork, workers: Int) {
        self.network = network
        self.workers = max(1, workers)
        replicas = (0..<self.workers).map { _ in network.replica() }
    }

    /// Per quantization point, the float extremes of the last step's batch (all workers), when
    /// `lossAndGradients` was asked to observe them.
    public private(set) var extremes: [String: (min: Float, max: Float)] = [:]

    /// Mean cross-entropy of `x` (batch-first) against `labels`; leaves ∂loss/∂θ in the network's
    /// parameters' `grad`. `seed` drives dropout (one generator per worker). The network's
    /// `fakeQuantization` applies to every worker; `observe` records the batch's `extremes`.
    public mutating func lossAndGradients(_ x: Tensor, labels: [Int], classes: Int, seed: UInt64, observe: Bool = false) -> Float {
        let n = x.shape[0]
        let per = x.count / n
        let parts = BatchSplit.parts(n, workers: workers)
        let master = network.parameters
        // Copy the current parameter values into every replica.
        for r in replicas {
            for (p, q) in zip(master, r.parameters) { q.data = p.data; q.grad = nil }
            r.fakeQuantization = network.fakeQuantization
        }
        var losses = [Float](repeating: 0, count: parts.count)
        var seen = [[String: (min: Float, max: Float)]](repeating: [:], count: parts.count)
        // Each worker reads the batch and touches only its own replica.
        nonisolated(unsafe) let replicas = self.replicas
        let values = x.data, sampleShape = Array(x.shape.dropFirst())
        losses.withUnsafeMutableBufferPointer { out in seen.withUnsafeMutableBufferPointer { seen in
            nonisolated(unsafe) let out = out, seen = seen
            BatchSplit.run(parts) { w, range in
                let slice = Tensor(shape: [range.count] + sampleShape, data: Array(values[(range.lowerBound * per)..<(range.upperBound * per)]))
                var g = SplitMix64(seed: seed &+ UInt64(w) &* 0x9E37_79B9)
                var mine: [String: (min: Float, max: Float)] = [:]
                let record: ((String, Tensor) -> Void)? = observe ? { name, t in mine[name] = ActivationRange.extremes(t.data) } : nil
                let logits = withUnsafeMutablePointer(to: &g) { replicas[w].forward(slice, logits: true, dropout: $0, observe: record) }
                seen[w] = mine
                // Scale so that the summed gradients are those of the whole batch's mean.
                let loss = logits.reshaped([range.count, classes]).crossEntropy(labels: Array(labels[range]))
                    .scaled(by: Float(range.count) / Float(n))
                loss.backward()
                out[w] = loss.data[0]
            }
        } }
        extremes = [:]
        for part in seen {
            for (name, e) in part {
                let old = extremes[name] ?? (Float.infinity, -Float.infinity)
                extremes[name] = (min(old.min, e.min), max(old.max, e.max))
            }
        }
        for (k, p) in master.enumerated() {
            var sum: [Float]? = nil
            for r in replicas.prefix(parts.count) {
                guard let g = r.parameters[k].grad else { continue }
                if sum == nil { sum = g } else { for i in 0..<g.count { sum![i] += g[i] } }
            }
            p.grad = sum
        }
        return losses.reduce(0, +)
    }
}

/// A batch split over worker threads: contiguous parts in worker order, run concurrently with BLAS
/// on one thread per worker (the workers are the parallelism).
public enum BatchSplit {
    /// `workers` contiguous parts of 0..<n (empty ones left out).
    public static func parts(_ n: Int, workers: Int) -> [Range<Int>] {
        let workers = max(1, workers)
        return (0..<workers).map { w in (n * w / workers)..<(n * (w + 1) / workers) }.filter { !$0.isEmpty }
    }

    /// Runs `body(worker, part)` for every part, concurrently when there are several.
    public static func run(_ parts: [Range<Int>], _ body: (Int, Range<Int>) -> Void) {
        let saved = BLASThreads.count
        if parts.count > 1 { BLASThreads.count = 1; BLASThreads.useOneThread() }
        defer { BLASThreads.count = saved }
        // The caller's body touches only what each worker owns (its part, its own tensors).
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts.count) { w in body(w, parts[w]) }
        }
    }
}
