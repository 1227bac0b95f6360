extension Tensor {
    /// self + other (same shape). ∂/∂self = ∂/∂other = g.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: shapes \(a.shape) and \(b.shape) differ")
        var out = a.data
        out.withUnsafeMutableBufferPointer { o in b.data.withUnsafeBufferPointer { bp in for i in 0..<o.count { o[i] += bp[i] } } }
        return Tensor(shape: a.shape, data: out, parents: [a, b]) { t in
            a.accumulate(t.grad!)
            b.accumulate(t.grad!)
        }
    }

    /// self ⊙ other (same shape; masks). ∂/∂self = g ⊙ other, ∂/∂other = g ⊙ self.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "mul: shapes \(a.shape) and \(b.shape) differ")
        var out = a.data
        out.withUnsafeMutableBufferPointer { o in b.data.withUnsafeBufferPointer { bp in for i in 0..<o.count { o[i] *= bp[i] } } }
        return Tensor(shape: a.shape, data: out, parents: [a, b]) { t in
            let g = t.grad!
            if a.requiresGrad { a.accumulate((0..<g.count).map { g[$0] * b.data[$0] }) }
            if b.requiresGrad { b.accumulate((0..<g.count).map { g[$0] * a.data[$0] }) }
        }
    }

    /// s · self. ∂/∂self = s·g.
    public func scaled(by s: Float) -> Tensor {
        Tensor(shape: shape, data: data.map { $0 * s }, parents: [self]) { t in self.accumulate(t.grad!.map { $0 * s }) }
    }

    /// self + bias over the last axis (bias has `shape.last` values). ∂/∂bias = Σ over the other axes.
    public func addingBias(_ bias: Tensor) -> Tensor {
        let c = shape.last!
        precondition(bias.count == c, "bias of \(bias.count) for \(c) channels")
        var out = data
        for i in 0..<out.count { out[i] += bias.data[i % c] }
        return Tensor(shape: shape, data: out, parents: [self, bias]) { t in
            let g = t.grad!
            self.accumulate(g)
            if bias.requiresGrad {
                var gb = [Float](repeating: 0, count: c)
                for i in 0..<g.count { gb[i % c] += g[i] }
                bias.accumulate(gb)
            }
        }
    }

    /// max(0, x). ∂ = g where x > 0 (the output is kept, not the input: y > 0 ⇔ x > 0).
    public func relu() -> Tensor {
        var y = data
        y.withUnsafeMutableBufferPointer { clampBelowAtZero($0) }
        return Tensor(shape: shape, data: y, parents: [self]) { t in
            var dx = t.takeGradient()
            maskByPositive(&dx, y)
            self.accumulate(dx)
        }
    }

    /// The same values in a new shape.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) → \(newShape)")
        return Tensor(shape: newShape, data: data, parents: [self]) { t in self.accumulate(t.grad!) }
    }

    /// Σ of all values (a scalar).
    public func sum() -> Tensor {
        Tensor(shape: [1], data: [data.reduce(0, +)], parents: [self]) { t in
            self.accumulate([Float](repeating: t.grad![0], count: self.count))
        }
    }

    /// Mean over H and W of an NHWC tensor → [N, C] (global average pooling). ∂ = g / (H·W) everywhere.
    public func meanHW() -> Tensor {
        precondition(shape.count == 4, "meanHW needs NHWC, got \(shape)")
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let area = Float(h * w)
        var out = [Float](repeating: 0, count: n * c)
        for b in 0..<n { for p in 0..<(h * w) { for ch in 0..<c { out[b * c + ch] += data[(b * h * w + p) * c + ch] } } }
        for i in 0..<out.count { out[i] /= area }
        return Tensor(shape: [n, c], data: out, parents: [self]) { t in
            let g = t.grad!
            var dx = [Float](repeating: 0, count: self.count)
            for b in 0..<n { for p in 0..<(h * w) { for ch in 0..<c { dx[(b * h * w + p) * c + ch] = g[b * c + ch] / area } } }
            self.accumulate(dx)
        }
    }

    /// Inverted dropout: zero each value with probability `rate`, scale the rest by 1/(1 − rate);
    /// `mask` draws come from `generator` (deterministic with a seed).
    public func dropout(rate: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
        guard rate > 0 else { return self }
        let keep = 1 / (1 - rate)
        let mask = Tensor(shape: shape, data: (0..<count).map { _ in Float.random(in: 0..<1, using: &generator) < rate ? 0 : keep })
        return self * mask
    }
}

extension Tensor {
    /// min(max(x, 0), 6). ∂ = g where 0 < x < 6.
    public func relu6() -> Tensor {
        Tensor(shape: shape, data: data.map { min(6, max(0, $0)) }, parents: [self]) { t in
            let g = t.grad!
            self.accumulate((0..<g.count).map { self.data[$0] > 0 && self.data[$0] < 6 ? g[$0] : 0 })
        }
    }
}

/// g[i] = 0 where output[i] ≤ 0 (ReLU's backward), eight lanes at a time.
func maskByPositive(_ g: inout [Float], _ output: [Float]) {
    g.withUnsafeMutableBufferPointer { d in output.withUnsafeBufferPointer { o in
        let n = d.count, dp = UnsafeMutableRawPointer(d.baseAddress!), op = UnsafeRawPointer(o.baseAddress!)
        var i = 0
        while i + 8 <= n {
            let v = dp.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let y = op.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            dp.storeBytes(of: v.replacing(with: 0, where: y .<= 0), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { if o[i] <= 0 { d[i] = 0 }; i += 1 }
    } }
}

/// x[i] = max(0, x[i]) in place, eight lanes at a time.
func clampBelowAtZero(_ x: UnsafeMutableBufferPointer<Float>) {
    guard let base = x.baseAddress else { return }
    let raw = UnsafeMutableRawPointer(base), n = x.count
    var i = 0
    while i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { if x[i] < 0 { x[i] = 0 }; i += 1 }
}
