import Foundation

/// Expectations over independent discrete choices — what the hardware-aware search prices an
/// architecture's probability vectors with (MicroNAS Eq. 5, α̂_yᵀ · HW · α̂_x, generalized to any
/// number of decision groups).
extension Tensor {
    /// Σ over every index tuple (i₁, …, i_k) of table[i₁, …, i_k] · Π_j factors[j][i_j]: the
    /// expectation of `table` when choice j is drawn from the vector `factors[j]`. `table` is
    /// row-major with shape `factors.map(\.count)`. Returns a scalar; ∂/∂factors[j][i] = g · Σ over
    /// the other indices of table · Π_{l≠j} factors[l].
    public static func multilinear(_ table: [Float], _ factors: [Tensor]) -> Tensor {
        let dims = factors.map(\.count)
        precondition(!factors.isEmpty && dims.reduce(1, *) == table.count, "multilinear: \(table.count) table values for factors of \(dims)")
        // strides[j]: step of index j in the table.
        var strides = [Int](repeating: 1, count: dims.count)
        for j in stride(from: dims.count - 2, through: 0, by: -1) { strides[j] = strides[j + 1] * dims[j + 1] }
        let values = factors.map(\.data)
        // Visits every entry with its index tuple; `body(flat, index)`.
        func forEach(_ body: (Int, [Int]) -> Void) {
            var index = [Int](repeating: 0, count: dims.count)
            for flat in 0..<table.count {
                body(flat, index)
                var j = dims.count - 1
                while j >= 0 { index[j] += 1; if index[j] < dims[j] { break }; index[j] = 0; j -= 1 }
            }
        }
        var total: Double = 0
        forEach { flat, index in
            var p = Double(table[flat])
            for j in 0..<dims.count { p *= Double(values[j][index[j]]) }
            total += p
        }
        return Tensor(shape: [1], data: [Float(total)], parents: factors) { t in
            let g = Double(t.grad![0])
            var grads = dims.map { [Double](repeating: 0, count: $0) }
            forEach { flat, index in
                let w = Double(table[flat])
                guard w != 0 else { return }
                for j in 0..<dims.count where factors[j].requiresGrad {
                    var p = w
                    for l in 0..<dims.count where l != j { p *= Double(values[l][index[l]]) }
                    grads[j][index[j]] += p
                }
            }
            for (j, f) in factors.enumerated() where f.requiresGrad { f.accumulate(grads[j].map { Float($0 * g) }) }
        }
    }

    /// Σ_i weights[i] · vectors[i] (vectors of one shape): a mixture, e.g. of the channel-count
    /// distributions of a skippable cell's input and output. ∂/∂weights[i] = g · vectors[i],
    /// ∂/∂vectors[i] = weights[i] · g.
    public static func mixture(_ weights: Tensor, _ vectors: [Tensor]) -> Tensor {
        precondition(weights.count == vectors.count, "mixture: \(weights.count) weights for \(vectors.count) vectors")
        return weightedSum(weights, indices: Array(vectors.indices), vectors)
    }

    /// Σ_i weights[indices[i]] · vectors[i] (vectors of one shape): a mixture over some of the
    /// choices a probability vector weights (a supernet's paths, leaving out those it skips).
    /// ∂/∂weights[indices[i]] = g · vectors[i], ∂/∂vectors[i] = weights[indices[i]] · g.
    public static func weightedSum(_ weights: Tensor, indices: [Int], _ vectors: [Tensor]) -> Tensor {
        precondition(indices.count == vectors.count && !vectors.isEmpty && indices.allSatisfy { weights.data.indices.contains($0) },
                     "weightedSum: \(indices.count) indices into \(weights.count) weights for \(vectors.count) vectors")
        let shape = vectors[0].shape
        precondition(vectors.allSatisfy { $0.shape == shape }, "weightedSum: vectors of different shapes")
        var out = [Float](repeating: 0, count: vectors[0].count)
        out.withUnsafeMutableBufferPointer { o in
            for (i, v) in zip(indices, vectors) {
                let w = weights.data[i]
                v.data.withUnsafeBufferPointer { vp in for k in 0..<o.count { o[k] += w * vp[k] } }
            }
        }
        return Tensor(shape: shape, data: out, parents: [weights] + vectors) { t in
            let g = t.grad!
            if weights.requiresGrad {
                var gw = [Float](repeating: 0, count: weights.count)
                for (i, v) in zip(indices, vectors) {
                    var dot: Double = 0
                    g.withUnsafeBufferPointer { gp in v.data.withUnsafeBufferPointer { vp in for k in 0..<gp.count { dot += Double(gp[k] * vp[k]) } } }
                    gw[i] += Float(dot)
                }
                weights.accumulate(gw)
            }
            for (i, v) in zip(indices, vectors) where v.requiresGrad {
                let w = weights.data[i]
                v.accumulate(g.map { $0 * w })
            }
        }
    }

    /// self ⊙ m over the last axis (m has `shape.last` values): a channel mask. ∂/∂self = g ⊙ m,
    /// ∂/∂m[c] = Σ over the other axes of g ⊙ self.
    public func channelScaled(_ m: Tensor) -> Tensor {
        let c = shape.last!
        precondition(m.count == c, "channelScaled: \(m.count) factors for \(c) channels")
        var out = data
        let f = m.data
        out.withUnsafeMutableBufferPointer { o in f.withUnsafeBufferPointer { fp in
            var i = 0
            while i < o.count { for k in 0..<c { o[i + k] *= fp[k] }; i += c }
        } }
        return Tensor(shape: shape, data: out, parents: [self, m]) { t in
            let g = t.grad!
            if self.requiresGrad {
                var dx = g
                dx.withUnsafeMutableBufferPointer { d in f.withUnsafeBufferPointer { fp in
                    var i = 0
                    while i < d.count { for k in 0..<c { d[i + k] *= fp[k] }; i += c }
                } }
                self.accumulate(dx)
            }
            if m.requiresGrad {
                var gm = [Double](repeating: 0, count: c)
                g.withUnsafeBufferPointer { gp in self.data.withUnsafeBufferPointer { x in
                    var i = 0
                    while i < gp.count { for k in 0..<c { gm[k] += Double(gp[i + k] * x[i + k]) }; i += c }
                } }
                m.accumulate(gm.map { Float($0) })
            }
        }
    }

    /// The natural logarithm of every value (positive values). ∂ = g / x.
    public func logarithm() -> Tensor {
        Tensor(shape: shape, data: data.map { logf($0) }, parents: [self]) { t in
            let g = t.grad!
            self.accumulate((0..<g.count).map { g[$0] / self.data[$0] })
        }
    }

    /// The largest of several scalars (the gradient goes to the first largest).
    public static func maximum(_ scalars: [Tensor]) -> Tensor {
        precondition(!scalars.isEmpty && scalars.allSatisfy { $0.count == 1 }, "maximum: needs scalars")
        var best = 0
        for (i, s) in scalars.enumerated() where s.data[0] > scalars[best].data[0] { best = i }
        return Tensor(shape: [1], data: [scalars[best].data[0]], parents: scalars) { t in scalars[best].accumulate(t.grad!) }
    }

    /// A constant scalar (no gradient).
    public static func scalar(_ v: Float) -> Tensor { Tensor(shape: [1], data: [v]) }
}
