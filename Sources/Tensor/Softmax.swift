import Foundation

extension Tensor {
    /// Softmax over the last axis: y_i = e^{x_i − max} / Σ_j e^{x_j − max}.
    /// ∂x_i = y_i (g_i − Σ_j g_j y_j).
    public func softmax() -> Tensor {
        let c = shape.last!
        let rows = count / c
        var y = data
        for r in 0..<rows {
            let base = r * c
            var m = -Float.infinity
            for i in 0..<c { m = max(m, y[base + i]) }
            var s: Float = 0
            for i in 0..<c { y[base + i] = expf(y[base + i] - m); s += y[base + i] }
            for i in 0..<c { y[base + i] /= s }
        }
        return Tensor(shape: shape, data: y, parents: [self]) { t in
            let g = t.grad!
            var dx = [Float](repeating: 0, count: g.count)
            for r in 0..<rows {
                let base = r * c
                var dot: Float = 0
                for i in 0..<c { dot += g[base + i] * y[base + i] }
                for i in 0..<c { dx[base + i] = y[base + i] * (g[base + i] - dot) }
            }
            self.accumulate(dx)
        }
    }

    /// log-softmax over the last axis: x_i − max − log Σ_j e^{x_j − max}. ∂x_i = g_i − softmax_i · Σ_j g_j.
    public func logSoftmax() -> Tensor {
        let c = shape.last!
        let rows = count / c
        var y = data
        var p = data
        for r in 0..<rows {
            let base = r * c
            var m = -Float.infinity
            for i in 0..<c { m = max(m, y[base + i]) }
            var s: Float = 0
            for i in 0..<c { s += expf(y[base + i] - m) }
            let lse = m + logf(s)
            for i in 0..<c { y[base + i] -= lse; p[base + i] = expf(y[base + i]) }
        }
        return Tensor(shape: shape, data: y, parents: [self]) { t in
            let g = t.grad!
            var dx = [Float](repeating: 0, count: g.count)
            for r in 0..<rows {
                let base = r * c
                var s: Float = 0
                for i in 0..<c { s += g[base + i] }
                for i in 0..<c { dx[base + i] = g[base + i] - p[base + i] * s }
            }
            self.accumulate(dx)
        }
    }

    /// Mean negative log-likelihood of `labels` under log-probabilities [N, C]: −(1/N) Σ_n x[n, y_n].
    public func nll(labels: [Int]) -> Tensor {
        let c = shape.last!, n = count / c
        precondition(labels.count == n, "nll: \(labels.count) labels for \(n) rows")
        var loss: Float = 0
        for r in 0..<n { loss -= data[r * c + labels[r]] }
        return Tensor(shape: [1], data: [loss / Float(n)], parents: [self]) { t in
            var dx = [Float](repeating: 0, count: self.count)
            for r in 0..<n { dx[r * c + labels[r]] = -t.grad![0] / Float(n) }
            self.accumulate(dx)
        }
    }

    /// Cross-entropy of logits [N, C] against labels: logSoftmax then NLL (composite, no new gradient code).
    public func crossEntropy(labels: [Int]) -> Tensor { logSoftmax().nll(labels: labels) }

    /// Gumbel-softmax over the last axis: softmax((x + G) / τ) with G = −log(−log U), U ~ U(0, 1)
    /// drawn from `generator` (composite: the noise is a constant).
    public func gumbelSoftmax(temperature tau: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
        gumbelSoftmax(temperature: tau, noise: Tensor.gumbelNoise(count, using: &generator))
    }

    /// Gumbel-softmax with given noise (`gumbelNoise`): the same sample on several copies of x.
    public func gumbelSoftmax(temperature tau: Float, noise: [Float]) -> Tensor {
        (self + Tensor(shape: shape, data: noise)).scaled(by: 1 / tau).softmax()
    }

    /// `count` draws of the standard Gumbel distribution, −log(−log U), U ~ U(0, 1).
    public static func gumbelNoise(_ count: Int, using generator: inout some RandomNumberGenerator) -> [Float] {
        (0..<count).map { _ in
            let u = Float.random(in: Float.leastNormalMagnitude..<1, using: &generator)
            return -logf(-logf(u))
        }
    }
}
