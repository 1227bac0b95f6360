import Foundation

/// The fixed-point arithmetic of TensorFlow Lite's int8 quantization (the default "double rounding"
/// build of LiteRT and TFLM). Every executor — the C kernels on the host and on the emulated boards,
/// and the exported `.tflite` under TFLM — must reproduce these functions bit for bit.
public enum FixedPoint {
    /// A real multiplier `m` as `multiplier · 2^(shift − 31)` with `multiplier` in [2^30, 2^31).
    ///
    /// `m = q · 2^e` with `q ∈ [0.5, 1)` (frexp); `multiplier = round(q · 2^31)` rounding half away
    /// from zero; if that rounds up to 2^31 it is halved and `e` incremented; `shift = e`. A multiplier
    /// below 2^-31 (`e < −31`) becomes `(0, 0)`. `m = 0` gives `(0, 0)`.
    /// Precondition: `m` finite and ≥ 0 (the callers validate scales first).
    public static func quantizeMultiplier(_ m: Double) -> (multiplier: Int32, shift: Int) {
        precondition(m.isFinite && m >= 0, "quantizeMultiplier needs a finite, non-negative multiplier")
        if m == 0 { return (0, 0) }
        let (q, e) = frexpParts(m)
        var fixed = (q * Double(1 << 31)).rounded(.toNearestOrAwayFromZero)
        var shift = e
        if fixed == Double(1 << 31) {
            fixed /= 2
            shift += 1
        }
        if shift < -31 { return (0, 0) }
        return (Int32(fixed), shift)
    }

    /// frexp: `m = q · 2^e`, `0.5 ≤ q < 1`.
    static func frexpParts(_ m: Double) -> (Double, Int) {
        let e = Int(m.exponent) + 1
        return (m.significand / 2, e)
    }

    /// `a · b / 2^31` rounded, saturated: the high 32 bits of the doubled 64-bit product, with a nudge
    /// of +2^30 for a non-negative product and 1 − 2^30 for a negative one before C division by 2^31
    /// (which truncates toward zero) — so ties round toward +∞ (0.5 → 1, −0.5 → 0). The one overflow,
    /// `INT32_MIN · INT32_MIN`, saturates to `INT32_MAX`.
    @inline(__always)
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == b && a == .min { return .max }
        let ab = Int64(a) * Int64(b)
        let nudge: Int64 = ab >= 0 ? 1 << 30 : 1 - (1 << 30)
        return Int32(truncatingIfNeeded: (ab + nudge) / (1 << 31))
    }

    /// `x / 2^exponent` rounded to nearest, ties away from zero: `(x >> e) + (remainder > threshold)`
    /// with `mask = 2^e − 1`, `remainder = x & mask`, `threshold = mask >> 1` (+1 when x < 0).
    /// Precondition: 0 ≤ exponent ≤ 31.
    @inline(__always)
    public static func roundingDivideByPOT(_ x: Int32, _ exponent: Int) -> Int32 {
        precondition(exponent >= 0 && exponent <= 31, "roundingDivideByPOT exponent out of [0, 31]")
        let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
    }

    /// `x · multiplier · 2^(shift − 31)`, TFLite's double-rounding form:
    /// `RDBPOT(SRDHM(x · 2^max(shift, 0), multiplier), max(−shift, 0))`. The left shift is an int32
    /// multiplication that wraps like the two's-complement C code.
    /// The "single rounding" form (TFLite's `TFLITE_SINGLE_ROUNDING` build): one 64-bit product
    /// rounded half up, `(x · multiplier + 2^(30 − shift)) >> (31 − shift)`, clamped to int32.
    /// LiteRT's int8 FULLY_CONNECTED reference kernel computes this way (measured: it differs from
    /// TFLM's double rounding by 1 LSB on ties); micronas uses it only to explain such differences.
    public static func multiplyByQuantizedMultiplierSingleRounding(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        let total = Int64(31 - shift)
        let result = (Int64(x) * Int64(multiplier) + (Int64(1) << (total - 1))) >> total
        return Int32(clamping: result)
    }

    @inline(__always)
    public static func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        let left = shift > 0 ? shift : 0
        let right = shift > 0 ? 0 : -shift
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x &* Int32(truncatingIfNeeded: 1 << left), multiplier), right)
    }
}

/// Fused activation of an int8 op, applied as a clamp in the output's quantized domain.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case none = "NONE", relu = "RELU", relu6 = "RELU6"

    /// `[min, max]` in int8 for an output with `scale` and `zeroPoint`: NONE = [−128, 127];
    /// RELU = [max(−128, zp), 127]; RELU6 = [max(−128, zp), min(127, zp + round(6 / scale))].
    public func range(scale: Float, zeroPoint: Int32) -> (min: Int32, max: Int32) {
        // zero_point + (int32)round(f / scale), in float as TFLite computes it.
        let quantize = { (x: Float) -> Int32 in
            let q = (x / scale).rounded(.toNearestOrAwayFromZero)
            return zeroPoint + Int32(max(-1e9, min(1e9, q)))
        }
        switch self {
        case .none: return (-128, 127)
        case .relu: return (max(-128, quantize(0)), 127)
        case .relu6: return (max(-128, quantize(0)), min(127, quantize(6)))
        }
    }
}

/// SAME / VALID padding as TFLite computes it.
public enum Padding: String, Codable, Sendable, CaseIterable {
    case same = "SAME", valid = "VALID"

    /// Output length for input length `n`, filter `k`, stride `s` (dilation 1):
    /// SAME = ⌈n / s⌉, VALID = ⌊(n − k + s) / s⌋ (0 if the filter does not fit).
    public func outputSize(input n: Int, filter k: Int, stride s: Int) -> Int {
        switch self {
        case .same: return (n + s - 1) / s
        case .valid: return max(0, (n - k + s) / s)
        }
    }

    /// Padding before the first element: `max(0, (out − 1) · s + k − n) / 2` (the odd pixel goes after).
    public func before(input n: Int, filter k: Int, stride s: Int) -> Int {
        let out = outputSize(input: n, filter: k, stride: s)
        return max(0, (out - 1) * s + k - n) / 2
    }
}
