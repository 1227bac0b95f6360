import Foundation

// MEAN, SOFTMAX, QUANTIZE and DEQUANTIZE as TFLM's reference kernels compute them (the output cell and
// the model edges). SOFTMAX uses gemmlowp-style fixed point: `FixedPointQ` below.

/// Fixed-point values in an int32 with `k` integer bits (Qk.(31−k)), the arithmetic TFLM's int8
/// softmax is written in. Products are `saturatingRoundingDoublingHighMul` of the raw values (integer
/// bits add up); sums wrap like the C code's int32 additions.
enum FixedPointQ {
    /// `x · 2^e`: for `e > 0` a left shift saturating to the int32 range (|x| beyond
    /// `2^(31−e) − 1` saturates); for `e < 0` `roundingDivideByPOT(x, −e)`.
    static func saturatingRoundingMultiplyByPOT(_ x: Int32, _ e: Int) -> Int32 {
        if e == 0 { return x }
        if e < 0 { return FixedPoint.roundingDivideByPOT(x, -e) }
        let threshold = Int32((1 << (31 - e)) - 1)
        if x > threshold { return .max }
        if x < -threshold { return .min }
        return x << Int32(e)
    }

    /// Changes the integer bits of `x` from `from` to `to`, keeping its value (saturating/rounding).
    static func rescale(_ x: Int32, from: Int, to: Int) -> Int32 { saturatingRoundingMultiplyByPOT(x, from - to) }

    static func mul(_ a: Int32, _ b: Int32) -> Int32 { FixedPoint.saturatingRoundingDoublingHighMul(a, b) }

    /// `(a + b) / 2` rounded half away from zero, in 64 bits.
    static func roundingHalfSum(_ a: Int32, _ b: Int32) -> Int32 {
        let sum = Int64(a) + Int64(b)
        return Int32((sum + (sum >= 0 ? 1 : -1)) / 2)
    }

    /// exp(a) for a Q0.31 `a` in [−1/4, 0): the Taylor series around −1/8 to the 4th power,
    /// `e^(−1/8) · (1 + x + x²/2 + x³/6 + x⁴/24)` with `x = a + 1/8`.
    /// Constants (raw Q0.31): e^(−1/8) = 1895147668, 1/3 = 715827883, 1/8 = 2^28.
    static func expOnInterval(_ a: Int32) -> Int32 {
        let constantTerm: Int32 = 1_895_147_668, oneThird: Int32 = 715_827_883
        let x = a &+ (1 << 28)
        let x2 = mul(x, x), x3 = mul(x2, x), x4 = mul(x2, x2)
        let x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2)
        let poly = saturatingRoundingMultiplyByPOT(mul(x4Over4 &+ x3, oneThird) &+ x2, -1)
        return constantTerm &+ mul(constantTerm, x &+ poly)
    }

    /// exp(a) as Q0.31 for a Qk.(31−k) value `a ≤ 0`: `a mod 1/4 − 1/4` through `expOnInterval`, then
    /// one multiplication by e^(−2^j) for every set bit 2^j (j = −2 … 4, below k) of the remainder.
    /// exp(0) is the Q0.31 maximum.
    static func expOnNegativeValues(_ a: Int32, integerBits k: Int) -> Int32 {
        let fractionalBits = 31 - k
        let oneQuarter = Int32(1) << Int32(fractionalBits - 2)
        let aModQuarterMinusQuarter = (a & (oneQuarter - 1)) &- oneQuarter
        var result = expOnInterval(rescale(aModQuarterMinusQuarter, from: k, to: 0))
        let remainder = aModQuarterMinusQuarter &- a
        // e^(−2^j) in Q0.31 for j = −2 … 4.
        let barrel: [(exponent: Int, multiplier: Int32)] = [
            (-2, 1_672_461_947), (-1, 1_302_514_674), (0, 790_015_084), (1, 290_630_308),
            (2, 39_332_535), (3, 720_401), (4, 242),
        ]
        for (j, m) in barrel where k > j {
            if remainder & (Int32(1) << Int32(fractionalBits + j)) != 0 { result = mul(result, m) }
        }
        if k > 5 {
            // Below −32 the result is 0.
            let clamp = -(Int32(1) << Int32(36 - k))
            if a < clamp { result = 0 }
        }
        return a == 0 ? .max : result
    }

    /// 1 / (1 + a) for a Q0.31 `a` in [0, 1), Q0.31: Newton–Raphson on the half denominator
    /// d = (1 + a) / 2 in Q2.29, starting from 48/17 − 32/17 · d, three iterations
    /// `x ← x + x · (1 − d · x)`, result x / 2.
    static func oneOverOnePlusX(_ a: Int32) -> Int32 {
        let halfDenominator = roundingHalfSum(a, .max)
        let c48Over17: Int32 = 1_515_870_810, cMinus32Over17: Int32 = -1_010_580_540
        let oneQ2: Int32 = 1 << 29
        var x = c48Over17 &+ mul(halfDenominator, cMinus32Over17)
        for _ in 0..<3 {
            let oneMinusDX = oneQ2 &- mul(halfDenominator, x)
            x = x &+ rescale(mul(x, oneMinusDX), from: 4, to: 2)
        }
        return rescale(x, from: 1, to: 0)
    }

    /// 1 / x for a positive Qk value `x`, as a Q0.31 scale and the number of bits `x` has above 1:
    /// x = 2^bits · (1 + f), result 1 / (1 + f).
    static func reciprocal(_ x: Int32, integerBits k: Int) -> (scale: Int32, bitsOverUnit: Int) {
        let headroomPlusOne = UInt32(bitPattern: x).leadingZeroBitCount
        let shiftedMinusOne = Int32(bitPattern: (UInt32(bitPattern: x) << UInt32(headroomPlusOne)) &- (1 << 31))
        return (oneOverOnePlusX(shiftedMinusOne), k - headroomPlusOne)
    }
}

/// Parameters of int8 SOFTMAX with TFLite's fixed output quantization (scale 1/256, zero point −128).
public struct SoftmaxParams: Equatable, Codable, Sendable {
    /// The exp() input format Q5.26.
    public static let scaledDiffIntegerBits = 5
    /// The sum of exps format Q12.19.
    public static let accumulationIntegerBits = 12
    public var inputMultiplier: Int32
    public var inputLeftShift: Int
    /// Differences `x − max` below this contribute 0 (their exp is below Q5.26's reach).
    public var diffMin: Int32

    public init(inputMultiplier: Int32, inputLeftShift: Int, diffMin: Int32) {
        (self.inputMultiplier, self.inputLeftShift, self.diffMin) = (inputMultiplier, inputLeftShift, diffMin)
    }

    /// TFLM's preparation: `real = min(β · s_in · 2^(31−5), 2^31 − 1)` quantized (shift must be ≥ 0);
    /// `diffMin = −⌊(2^5 − 1) · 2^(31−5) / 2^shift⌋`. Throws on a bad scale or β, and when the shift
    /// would be negative (β · s_in < 2^−27), which TFLM rejects too.
    public init(inputScale: Float, beta: Float = 1) throws {
        try QuantCheck.scale(inputScale, "SOFTMAX input scale")
        guard beta.isFinite && beta > 0 else { throw QuantError("SOFTMAX beta must be finite and > 0, got \(beta)") }
        let k = SoftmaxParams.scaledDiffIntegerBits
        let real = min(Double(beta) * Double(inputScale) * Double(1 << (31 - k)), Double((1 << 31) - 1))
        let (m, shift) = FixedPoint.quantizeMultiplier(real)
        guard shift >= 0, shift <= 31 else {
            throw QuantError("SOFTMAX beta · input scale = \(Double(beta) * Double(inputScale)) is below 2^-27; TFLM cannot represent it")
        }
        let radius = (Double((1 << k) - 1) * Double(1 << (31 - k)) / Double(Int64(1) << Int64(shift))).rounded(.down)
        self.init(inputMultiplier: m, inputLeftShift: shift, diffMin: Int32(-radius))
    }
}

/// MEAN over H and W (keep dims) with its requantization `s_in / s_out`.
public struct MeanParams: Equatable, Codable, Sendable {
    public var inputZeroPoint, outputZeroPoint: Int32
    public var multiplier: Int32
    public var shift: Int

    public init(inputZeroPoint: Int32, outputZeroPoint: Int32, multiplier: Int32, shift: Int) {
        (self.inputZeroPoint, self.outputZeroPoint, self.multiplier, self.shift) = (inputZeroPoint, outputZeroPoint, multiplier, shift)
    }

    /// Throws on a scale ≤ 0 or not finite, a zero point outside int8, or `s_in / s_out ≥ 2^30`.
    public init(inputScale: Float, inputZeroPoint: Int32, outputScale: Float, outputZeroPoint: Int32) throws {
        try QuantCheck.scale(inputScale, "MEAN input scale")
        try QuantCheck.scale(outputScale, "MEAN output scale")
        try QuantCheck.zeroPoint(inputZeroPoint, "MEAN input zero point")
        try QuantCheck.zeroPoint(outputZeroPoint, "MEAN output zero point")
        let q = try QuantCheck.multiplier(Double(inputScale) / Double(outputScale), "MEAN input/output scale")
        self.init(inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint, multiplier: q.multiplier, shift: q.shift)
    }
}

extension ReferenceOps {
    /// SOFTMAX over the last dimension of `rows × depth` int8 values, TFLM's int8 algorithm:
    /// per row, d = x − max; for d ≥ diffMin, e = exp(SRDHM(d · 2^shift, multiplier) as Q5.26) in
    /// Q0.31; sum of e rescaled to Q12.19; out = RDBPOT(SRDHM(1/sum scale, e), bitsOverUnit + 23)
    /// − 128, clamped; d < diffMin gives −128.
    public static func softmax(_ input: [Int8], rows: Int, depth: Int, params p: SoftmaxParams) -> [Int8] {
        precondition(input.count == rows * depth, "softmax input is not rows × depth")
        let k = SoftmaxParams.scaledDiffIntegerBits
        var out = [Int8](repeating: -128, count: input.count)
        for r in 0..<rows {
            let row = input[(r * depth)..<((r + 1) * depth)]
            let maxValue = Int32(row.max()!)
            func scaledExp(_ x: Int8) -> Int32? {
                let diff = Int32(x) - maxValue
                guard diff >= p.diffMin else { return nil }
                let rescaled = FixedPoint.saturatingRoundingDoublingHighMul(diff &* (Int32(1) << Int32(p.inputLeftShift)), p.inputMultiplier)
                return FixedPointQ.expOnNegativeValues(rescaled, integerBits: k)
            }
            var sum: Int32 = 0
            for x in row { if let e = scaledExp(x) { sum = sum &+ FixedPointQ.rescale(e, from: 0, to: SoftmaxParams.accumulationIntegerBits) } }
            let (scale, bitsOverUnit) = FixedPointQ.reciprocal(sum, integerBits: SoftmaxParams.accumulationIntegerBits)
            let exponent = bitsOverUnit + 31 - 8
            for (i, x) in row.enumerated() {
                guard let e = scaledExp(x) else { continue }
                let unsaturated = FixedPoint.roundingDivideByPOT(FixedPointQ.mul(scale, e), exponent)
                out[r * depth + i] = Int8(max(-128, min(127, unsaturated - 128)))
            }
        }
        return out
    }

    /// MEAN over H and W of an NHWC tensor, output N×1×1×C (TFLM's QuantizedMeanOrSum): the count
    /// n = H·W is folded into the multiplier — s = min(⌊log2 n⌋, 32, 31 + shift),
    /// multiplier' = (multiplier · 2^s) / n (truncated), shift' = shift − s — then per channel
    /// `MBQM(Σx − zp_in · n, multiplier', shift') + zp_out`, clamped.
    public static func mean(_ input: [Int8], shape s: Shape4, params p: MeanParams) -> [Int8] {
        let n = Int64(s.h * s.w)
        var adjust = 63 - UInt64(n).leadingZeroBitCount
        adjust = min(adjust, 32, 31 + p.shift)
        let multiplier = Int32((Int64(p.multiplier) << Int64(adjust)) / n)
        let shift = p.shift - adjust
        var out = [Int8](repeating: 0, count: s.n * s.c)
        for b in 0..<s.n {
            for c in 0..<s.c {
                var sum: Int32 = 0
                for y in 0..<s.h { for x in 0..<s.w { sum &+= Int32(input[s.offset(b, y, x, c)]) } }
                let shifted = Int32(truncatingIfNeeded: Int64(sum) - Int64(p.inputZeroPoint) * n)
                let v = FixedPoint.multiplyByQuantizedMultiplier(shifted, multiplier, shift) &+ p.outputZeroPoint
                out[b * s.c + c] = Int8(max(-128, min(127, v)))
            }
        }
        return out
    }

    /// QUANTIZE float32 → int8: `clamp(round(x / scale) + zp)` with the division in float32 and
    /// rounding half away from zero. Precondition: finite inputs (TFLite leaves others undefined).
    public static func quantize(_ input: [Float], scale: Float, zeroPoint: Int32) -> [Int8] {
        input.map { x in
            let q = (x / scale).rounded(.toNearestOrAwayFromZero)
            let v = Int32(max(-1e9, min(1e9, q))) + zeroPoint
            return Int8(max(-128, min(127, v)))
        }
    }

    /// DEQUANTIZE int8 → float32: `float(double(scale) · (x − zp))`. The product of a float and an
    /// integer of at most 9 bits is exact in double, so this equals the float32 product rounded once.
    public static func dequantize(_ input: [Int8], scale: Float, zeroPoint: Int32) -> [Float] {
        input.map { Float(Double(scale) * Double(Int32($0) - zeroPoint)) }
    }
}

/// Checks shared by every constructor that takes real scales.
enum QuantCheck {
    static func scale(_ s: Float, _ name: String) throws {
        guard s.isFinite && s > 0 else { throw QuantError("\(name) must be finite and > 0, got \(s)") }
    }

    static func zeroPoint(_ z: Int32, _ name: String) throws {
        guard (-128...127).contains(z) else { throw QuantError("\(name) \(z) is outside int8 [-128, 127]") }
    }

    /// `quantizeMultiplier(m)` for a finite m ≥ 0 whose shift stays ≤ 30.
    static func multiplier(_ m: Double, _ name: String) throws -> (multiplier: Int32, shift: Int) {
        guard m.isFinite && m >= 0 else { throw QuantError("\(name) \(m) is not a finite non-negative number") }
        let q = FixedPoint.quantizeMultiplier(m)
        guard q.shift <= 30 else { throw QuantError("\(name) \(m) is too large (needs a left shift of \(q.shift) > 30)") }
        return q
    }
}
