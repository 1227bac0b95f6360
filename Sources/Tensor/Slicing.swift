/// Leading blocks of tensors and zero padding, with their gradients: how a supernet computes a
/// conv at the filter counts its masks can still select (the masked-off channels are zero, so the
/// weights for them need not be multiplied).
extension Tensor {
    /// The first `n` entries along the last axis. ∂ scatters back into those entries.
    public func leadingChannels(_ n: Int) -> Tensor {
        let c = shape.last!
        precondition(n >= 1 && n <= c, "leadingChannels: \(n) of \(c)")
        return rechanneled(n)
    }

    /// Zeros appended along the last axis up to `n` entries. ∂ keeps the original entries.
    public func paddedChannels(to n: Int) -> Tensor {
        let c = shape.last!
        precondition(n >= c, "paddedChannels: \(c) to \(n)")
        return rechanneled(n)
    }

    /// The last axis cut or zero-padded to `n` entries; ∂ is the same map back.
    func rechanneled(_ n: Int) -> Tensor {
        let c = shape.last!
        if n == c { return self }
        return Tensor(shape: Array(shape.dropLast()) + [n], data: Self.rechannel(data, from: c, to: n), parents: [self]) { t in
            self.accumulate(Self.rechannel(t.grad!, from: n, to: c))
        }
    }

    /// Rows of `c` values → rows of `n`: the first min(c, n) of each row kept, the rest zero.
    static func rechannel(_ values: [Float], from c: Int, to n: Int) -> [Float] {
        let rows = values.count / c, k = min(c, n)
        var out = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows { for j in 0..<k { out[r * n + j] = values[r * c + j] } }
        return out
    }

    /// The leading [kh, kw, inputs, outputs] block of an HWIO filter. ∂ scatters back into it.
    public func filterBlock(inputs ci: Int, outputs co: Int) -> Tensor {
        precondition(shape.count == 4 && ci >= 1 && ci <= shape[2] && co >= 1 && co <= shape[3], "filterBlock: [\(ci), \(co)] of \(shape)")
        if ci == shape[2] && co == shape[3] { return self }
        let (kh, kw, fi, fo) = (shape[0], shape[1], shape[2], shape[3])
        var out = [Float](repeating: 0, count: kh * kw * ci * co)
        for p in 0..<(kh * kw) { for i in 0..<ci { for o in 0..<co { out[(p * ci + i) * co + o] = data[(p * fi + i) * fo + o] } } }
        return Tensor(shape: [kh, kw, ci, co], data: out, parents: [self]) { t in
            let g = t.grad!
            var dx = [Float](repeating: 0, count: self.count)
            for p in 0..<(kh * kw) { for i in 0..<ci { for o in 0..<co { dx[(p * fi + i) * fo + o] = g[(p * ci + i) * co + o] } } }
            self.accumulate(dx)
        }
    }
}
