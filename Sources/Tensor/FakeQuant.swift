/// Fake quantization: float values rounded onto the int8 grid the deployed model computes on, so
/// training sees the int8 model's rounding and clamping (quantization-aware training).
///
/// Per tensor, asymmetric (activations): q = clamp(round(x / s) + z, q_min, q_max), then
/// y = s · (q − z), with the division in float32, rounding half away from zero and the product
/// taken in double and rounded once — exactly TFLite's QUANTIZE followed by DEQUANTIZE.
/// Per channel, symmetric (weights): s_c = max|w_c| / 127, z = 0, q in the narrow range [−127, 127].
///
/// Backward: the straight-through estimator. ∂y/∂x = 1 where round(x / s) + z lies inside
/// [q_min, q_max] (the value is represented), 0 where it was clamped. The scales are not learned:
/// activations take theirs from `ActivationRange`, weights from their own extremes.
extension Tensor {
    /// Per-tensor asymmetric fake quantization with `scale` > 0 and `zeroPoint` in [q_min, q_max].
    public func fakeQuantized(scale: Float, zeroPoint: Int32, range: ClosedRange<Int32> = -128...127) -> Tensor {
        precondition(scale > 0 && scale.isFinite && range.contains(zeroPoint), "fake quantization needs a positive scale and a zero point in \(range)")
        var y = [Float](repeating: 0, count: count)
        var inside = [Bool](repeating: true, count: count)
        let lo = Float(range.lowerBound), hi = Float(range.upperBound), z = Float(zeroPoint), s = Double(scale)
        data.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { out in inside.withUnsafeMutableBufferPointer { ok in
            for i in 0..<x.count {
                // |x / s| beyond 2^24 is clamped anyway; capping keeps the conversion defined for huge values.
                let q = Swift.max(-1e9, Swift.min(1e9, (x[i] / scale).rounded(.toNearestOrAwayFromZero))) + z
                if q < lo || q > hi { ok[i] = false }
                out[i] = Float(s * Double(Swift.max(lo, Swift.min(hi, q)) - z))
            }
        } } }
        return Tensor(shape: shape, data: y, parents: [self]) { t in
            var g = t.takeGradient()
            for i in 0..<g.count where !inside[i] { g[i] = 0 }
            self.accumulate(g)
        }
    }

    /// The per-channel scales of symmetric int8 weights, channels on the last axis (conv filters
    /// HWIO, dense weights [D, U]): max|w_c| / 127, or 1 for an all-zero channel (any scale
    /// represents it exactly).
    public var symmetricChannelScales: [Float] {
        let c = shape.last!
        var m = [Float](repeating: 0, count: c)
        for i in 0..<count { m[i % c] = max(m[i % c], abs(data[i])) }
        return m.map { $0 > 0 ? $0 / 127 : 1 }
    }

    /// Weights fake-quantized per channel (last axis), symmetric narrow range: every value is
    /// inside its channel's range, so the gradient passes unchanged.
    /// `scales`: this tensor's `symmetricChannelScales`, when the caller has them already.
    public func fakeQuantizedPerChannel(scales given: [Float]? = nil) -> Tensor {
        let scales = given ?? symmetricChannelScales, c = shape.last!
        var y = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let s = scales[i % c]
            let q = max(-127, min(127, (data[i] / s).rounded(.toNearestOrAwayFromZero)))
            y[i] = Float(Double(s) * Double(q))
        }
        return Tensor(shape: shape, data: y, parents: [self]) { t in self.accumulate(t.takeGradient()) }
    }
}

extension Tensor {
    /// A bias rounded onto its int32 grid, channel c (last axis) at `scales[c]` (s_in · s_w[c]):
    /// y = s_c · round(x / s_c), the division in float32, ties away from zero — the bias the int8
    /// model adds. The gradient passes unchanged (int32 does not clamp at bias magnitudes).
    public func fakeQuantizedBias(scales: [Float]) -> Tensor {
        precondition(scales.count == shape.last!, "one bias scale per channel")
        let c = scales.count
        var y = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let s = scales[i % c]
            y[i] = Float(Double(s) * Double((data[i] / s).rounded(.toNearestOrAwayFromZero)))
        }
        return Tensor(shape: shape, data: y, parents: [self]) { t in self.accumulate(t.takeGradient()) }
    }
}

/// The range of an activation seen during training: the first batch's min and max, then a moving
/// average of each batch's (m ← d·m + (1 − d)·batch), until `freeze()`. Its int8 parameters are
/// nudged so that 0 is exactly representable (padding and ReLU's floor stay exact).
public struct ActivationRange: Sendable, Codable, Equatable {
    public private(set) var min: Float
    public private(set) var max: Float
    public private(set) var batches: Int
    public private(set) var isFrozen: Bool
    /// The moving average's decay d.
    public var decay: Float

    public init(decay: Float = 0.99) {
        (min, max, batches, isFrozen, self.decay) = (0, 0, 0, false, decay)
    }

    /// A given range: frozen (a converted model's, a test's) or, with `frozen: false`, the start
    /// of a moving range (calibrated on representative windows before quantization-aware training).
    public init(min: Float, max: Float, frozen: Bool = true, decay: Float = 0.99) {
        (self.min, self.max, batches, isFrozen, self.decay) = (min, max, 1, frozen, decay)
    }

    /// Takes a batch's extremes into the range (nothing once frozen; non-finite values are ignored).
    public mutating func observe(_ values: [Float]) {
        let (lo, hi) = Self.extremes(values)
        observe(min: lo, max: hi)
    }

    /// Takes a batch's extremes (already reduced, e.g. over the workers of a step) into the range;
    /// an empty batch (lo > hi) or non-finite extremes change nothing.
    public mutating func observe(min lo: Float, max hi: Float) {
        guard !isFrozen, lo.isFinite, hi.isFinite, lo <= hi else { return }
        if batches == 0 { (min, max) = (lo, hi) } else {
            min = decay * min + (1 - decay) * lo
            max = decay * max + (1 - decay) * hi
        }
        batches += 1
    }

    /// Widens the range to include a batch's extremes (post-training calibration: the whole
    /// representative set's min and max, as the TensorFlow Lite converter takes them).
    public mutating func include(min lo: Float, max hi: Float) {
        guard !isFrozen, lo.isFinite, hi.isFinite, lo <= hi else { return }
        if batches == 0 { (min, max) = (lo, hi) } else { (min, max) = (Swift.min(min, lo), Swift.max(max, hi)) }
        batches += 1
    }

    /// The finite minimum and maximum of `values` ((+∞, −∞) when there are none).
    public static func extremes(_ values: [Float]) -> (min: Float, max: Float) {
        var lo = Float.infinity, hi = -Float.infinity
        values.withUnsafeBufferPointer { p in
            for v in p where v.isFinite { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        }
        return (lo, hi)
    }

    public mutating func freeze() { isFrozen = true }

    /// int8 scale and zero point: the range widened to include 0, s = (max − min) / 255,
    /// z = clamp(round(−128 − min / s), −128, 127), so that q = −128 … 127 spans
    /// [s·(−128 − z), s·(127 − z)] ⊇ the range (up to the nudge) and 0 maps to z exactly. An empty
    /// or zero-width range gets s = 1 / 255 around 0.
    public var quantization: (scale: Float, zeroPoint: Int32) {
        let lo = Swift.min(min, 0), hi = Swift.max(max, 0)
        guard hi - lo > 0, (hi - lo).isFinite else { return (1 / 255, -128) }
        let scale = (hi - lo) / 255
        let z = (-128 - lo / scale).rounded(.toNearestOrAwayFromZero)
        return (scale, Int32(Swift.max(-128, Swift.min(127, z))))
    }
}
