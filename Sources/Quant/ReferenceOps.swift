/// NHWC shape of an int8 tensor (batch, height = time, width = sensors, channels).
public struct Shape4: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var n, h, w, c: Int
    public init(_ n: Int, _ h: Int, _ w: Int, _ c: Int) { (self.n, self.h, self.w, self.c) = (n, h, w, c) }
    public var count: Int { n * h * w * c }
    public var description: String { "\(n)x\(h)x\(w)x\(c)" }
    @inline(__always) func offset(_ b: Int, _ y: Int, _ x: Int, _ ch: Int) -> Int { ((b * h + y) * w + x) * c + ch }
}

/// What a CONV_2D / DEPTHWISE_CONV_2D / pooling window needs besides its tensors.
public struct WindowParams: Equatable, Codable, Sendable {
    public var kernelH, kernelW, strideH, strideW: Int
    public var padding: Padding
    public init(kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padding: Padding) {
        (self.kernelH, self.kernelW, self.strideH, self.strideW, self.padding) = (kernelH, kernelW, strideH, strideW, padding)
    }

    public func outputHW(_ input: Shape4) -> (h: Int, w: Int) {
        (padding.outputSize(input: input.h, filter: kernelH, stride: strideH),
         padding.outputSize(input: input.w, filter: kernelW, stride: strideW))
    }

    public func padBefore(_ input: Shape4) -> (h: Int, w: Int) {
        (padding.before(input: input.h, filter: kernelH, stride: strideH),
         padding.before(input: input.w, filter: kernelW, stride: strideW))
    }
}

/// Requantization of an int32 accumulator to int8: per output channel (or one for the tensor)
/// multiplier and shift, output zero point, activation clamp.
public struct Requantization: Equatable, Codable, Sendable {
    public var multipliers: [Int32]
    public var shifts: [Int]
    public var outputZeroPoint: Int32
    public var activationMin: Int32
    public var activationMax: Int32

    public init(multipliers: [Int32], shifts: [Int], outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32) {
        (self.multipliers, self.shifts, self.outputZeroPoint) = (multipliers, shifts, outputZeroPoint)
        (self.activationMin, self.activationMax) = (activationMin, activationMax)
    }

    /// From real scales: multiplier_c = input_scale · weight_scale_c / output_scale.
    /// Throws when a scale is ≤ 0 or not finite, the zero point is outside int8, there are no weight
    /// scales, or a multiplier needs a left shift beyond 30 (its int32 arithmetic would overflow).
    public init(inputScale: Float, weightScales: [Float], outputScale: Float, outputZeroPoint: Int32, activation: Activation) throws {
        try QuantCheck.scale(inputScale, "input scale")
        try QuantCheck.scale(outputScale, "output scale")
        try QuantCheck.zeroPoint(outputZeroPoint, "output zero point")
        guard !weightScales.isEmpty else { throw QuantError("no weight scales") }
        for (i, w) in weightScales.enumerated() { try QuantCheck.scale(w, "weight scale[\(i)]") }
        let q = try weightScales.map { try QuantCheck.multiplier(Double(inputScale) * Double($0) / Double(outputScale), "input·weight/output scale") }
        let range = activation.range(scale: outputScale, zeroPoint: outputZeroPoint)
        self.init(multipliers: q.map(\.multiplier), shifts: q.map(\.shift), outputZeroPoint: outputZeroPoint,
                  activationMin: range.min, activationMax: range.max)
    }

    @inline(__always) func apply(_ acc: Int32, channel: Int, singleRounding: Bool = false) -> Int8 {
        let i = multipliers.count == 1 ? 0 : channel
        var v = (singleRounding ? FixedPoint.multiplyByQuantizedMultiplierSingleRounding(acc, multipliers[i], shifts[i])
                                : FixedPoint.multiplyByQuantizedMultiplier(acc, multipliers[i], shifts[i])) &+ outputZeroPoint
        v = max(activationMin, min(activationMax, v))
        return Int8(v)
    }
}

/// The int8 operators as TFLite's reference kernels define them — the definition the C kernels
/// are checked against. Weights are symmetric (zero point 0); activations carry a zero point.
public enum ReferenceOps {
    /// One in-bounds filter tap of an output position: filter row/column and input row/column.
    struct Tap { var ky, kx, iy, ix: Int }

    /// Calls `body(b, y, x, taps)` for every output position, with the taps that fall inside the input.
    private static func forEachWindow(_ s: Shape4, _ window: WindowParams, _ body: (Int, Int, Int, [Tap]) -> Void) {
        let (oh, ow) = window.outputHW(s)
        let (ph, pw) = window.padBefore(s)
        var taps: [Tap] = []
        for b in 0..<s.n {
            for y in 0..<oh {
                for x in 0..<ow {
                    taps.removeAll(keepingCapacity: true)
                    for ky in 0..<window.kernelH {
                        let iy = y * window.strideH - ph + ky
                        guard iy >= 0 && iy < s.h else { continue }
                        for kx in 0..<window.kernelW {
                            let ix = x * window.strideW - pw + kx
                            if ix >= 0 && ix < s.w { taps.append(Tap(ky: ky, kx: kx, iy: iy, ix: ix)) }
                        }
                    }
                    body(b, y, x, taps)
                }
            }
        }
    }

    /// CONV_2D. `filter` is OHWI (`filterShape.n` = output channels, `.c` = input channels);
    /// acc = bias[o] + Σ (x − input_zp) · w, then `requant`.
    public static func conv2d(input: [Int8], inputShape s: Shape4, inputZeroPoint: Int32,
                              filter: [Int8], filterShape f: Shape4, bias: [Int32]?,
                              window: WindowParams, requant: Requantization) -> (output: [Int8], shape: Shape4) {
        let (oh, ow) = window.outputHW(s)
        let os = Shape4(s.n, oh, ow, f.n)
        var out = [Int8](repeating: 0, count: os.count)
        forEachWindow(s, window) { b, y, x, taps in
            for o in 0..<f.n {
                var acc: Int32 = bias?[o] ?? 0
                for t in taps {
                    for ci in 0..<s.c {
                        acc &+= (Int32(input[s.offset(b, t.iy, t.ix, ci)]) - inputZeroPoint) &* Int32(filter[f.offset(o, t.ky, t.kx, ci)])
                    }
                }
                out[os.offset(b, y, x, o)] = requant.apply(acc, channel: o)
            }
        }
        return (out, os)
    }

    /// DEPTHWISE_CONV_2D with depth multiplier 1. `filter` is 1HWC.
    public static func depthwiseConv2d(input: [Int8], inputShape s: Shape4, inputZeroPoint: Int32,
                                       filter: [Int8], filterShape f: Shape4, bias: [Int32]?,
                                       window: WindowParams, requant: Requantization) -> (output: [Int8], shape: Shape4) {
        let (oh, ow) = window.outputHW(s)
        let os = Shape4(s.n, oh, ow, s.c)
        var out = [Int8](repeating: 0, count: os.count)
        forEachWindow(s, window) { b, y, x, taps in
            for c in 0..<s.c {
                var acc: Int32 = bias?[c] ?? 0
                for t in taps {
                    acc &+= (Int32(input[s.offset(b, t.iy, t.ix, c)]) - inputZeroPoint) &* Int32(filter[f.offset(0, t.ky, t.kx, c)])
                }
                out[os.offset(b, y, x, c)] = requant.apply(acc, channel: c)
            }
        }
        return (out, os)
    }

    /// FULLY_CONNECTED: `input` is [batches, depth], `filter` [units, depth], requantization per tensor
    /// or per unit. `singleRounding` reproduces LiteRT's reference kernel instead of TFLM's (see
    /// `FixedPoint.multiplyByQuantizedMultiplierSingleRounding`).
    public static func fullyConnected(input: [Int8], batches: Int, depth: Int, inputZeroPoint: Int32,
                                      filter: [Int8], units: Int, bias: [Int32]?, requant: Requantization,
                                      singleRounding: Bool = false) -> [Int8] {
        var out = [Int8](repeating: 0, count: batches * units)
        for b in 0..<batches {
            for u in 0..<units {
                var acc: Int32 = bias?[u] ?? 0
                for d in 0..<depth {
                    acc &+= (Int32(input[b * depth + d]) - inputZeroPoint) &* Int32(filter[u * depth + d])
                }
                out[b * units + u] = requant.apply(acc, channel: u, singleRounding: singleRounding)
            }
        }
        return out
    }

    /// Parameters of int8 ADD (TFLite's scheme: inputs rescaled to a common 2^20-upscaled domain).
    public struct AddParams: Equatable, Codable, Sendable {
        public static let leftShift = 20
        public var input1ZeroPoint, input2ZeroPoint, outputZeroPoint: Int32
        public var input1Multiplier, input2Multiplier, outputMultiplier: Int32
        public var input1Shift, input2Shift, outputShift: Int
        public var activationMin, activationMax: Int32

        /// Input 1's (`input` 0) or input 2's (1) term for the int8 value `x`: (x − zp) · 2^20
        /// rescaled by the input's multiplier and shift, what is summed before the output's
        /// requantization.
        public func rescaledTerm(_ x: Int8, input: Int) -> Int32 {
            let (zp, m, sh) = input == 0 ? (input1ZeroPoint, input1Multiplier, input1Shift) : (input2ZeroPoint, input2Multiplier, input2Shift)
            return FixedPoint.multiplyByQuantizedMultiplier((Int32(x) - zp) &* Int32(1 << Self.leftShift), m, sh)
        }

        /// Every term of both inputs, the layout of the kernels' `mn_add_params.rescaled`: input 1's
        /// for x = −128…127, then input 2's.
        public var rescaleTable: [Int32] {
            (0..<2).flatMap { i in (-128...127).map { rescaledTerm(Int8($0), input: i) } }
        }

        /// twice_max = 2 · max(s1, s2); input multipliers s_i / twice_max; output multiplier
        /// twice_max / (2^20 · s_out).
        /// Throws on a scale ≤ 0 or not finite, a zero point outside int8, or an output multiplier
        /// needing a left shift beyond 30.
        public init(scale1: Float, zeroPoint1: Int32, scale2: Float, zeroPoint2: Int32,
                    outputScale: Float, outputZeroPoint: Int32, activation: Activation) throws {
            try QuantCheck.scale(scale1, "input 1 scale")
            try QuantCheck.scale(scale2, "input 2 scale")
            try QuantCheck.scale(outputScale, "output scale")
            try QuantCheck.zeroPoint(zeroPoint1, "input 1 zero point")
            try QuantCheck.zeroPoint(zeroPoint2, "input 2 zero point")
            try QuantCheck.zeroPoint(outputZeroPoint, "output zero point")
            let twiceMax = 2 * Double(max(scale1, scale2))
            let m1 = FixedPoint.quantizeMultiplier(Double(scale1) / twiceMax)
            let m2 = FixedPoint.quantizeMultiplier(Double(scale2) / twiceMax)
            let mo = try QuantCheck.multiplier(twiceMax / (Double(1 << AddParams.leftShift) * Double(outputScale)), "ADD output multiplier")
            (input1ZeroPoint, input2ZeroPoint, self.outputZeroPoint) = (zeroPoint1, zeroPoint2, outputZeroPoint)
            (input1Multiplier, input1Shift) = m1
            (input2Multiplier, input2Shift) = m2
            (outputMultiplier, outputShift) = mo
            let range = activation.range(scale: outputScale, zeroPoint: outputZeroPoint)
            (activationMin, activationMax) = range
        }
    }

    /// ADD of two same-shape int8 tensors.
    public static func add(_ a: [Int8], _ b: [Int8], params p: AddParams) -> [Int8] {
        precondition(a.count == b.count, "add needs same-shape inputs")
        return zip(a, b).map { x, y in
            let sx = p.rescaledTerm(x, input: 0), sy = p.rescaledTerm(y, input: 1)
            var v = FixedPoint.multiplyByQuantizedMultiplier(sx &+ sy, p.outputMultiplier, p.outputShift) &+ p.outputZeroPoint
            v = max(p.activationMin, min(p.activationMax, v))
            return Int8(v)
        }
    }

    /// AVERAGE_POOL_2D (same scale and zero point in and out): the in-bounds window sum divided by
    /// the in-bounds count, rounded half away from zero, clamped.
    public static func averagePool(input: [Int8], shape s: Shape4, window: WindowParams,
                                   activationMin: Int32 = -128, activationMax: Int32 = 127) -> (output: [Int8], shape: Shape4) {
        pool(input: input, shape: s, window: window) { values in
            let sum = values.reduce(Int32(0)) { $0 + Int32($1) }
            let n = Int32(values.count)
            let avg = sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n
            return Int8(max(activationMin, min(activationMax, avg)))
        }
    }

    /// MAX_POOL_2D over the in-bounds window, clamped.
    public static func maxPool(input: [Int8], shape s: Shape4, window: WindowParams,
                               activationMin: Int32 = -128, activationMax: Int32 = 127) -> (output: [Int8], shape: Shape4) {
        pool(input: input, shape: s, window: window) { values in
            Int8(max(activationMin, min(activationMax, Int32(values.max()!))))
        }
    }

    private static func pool(input: [Int8], shape s: Shape4, window: WindowParams,
                             reduce: ([Int8]) -> Int8) -> (output: [Int8], shape: Shape4) {
        let (oh, ow) = window.outputHW(s)
        let os = Shape4(s.n, oh, ow, s.c)
        var out = [Int8](repeating: 0, count: os.count)
        forEachWindow(s, window) { b, y, x, taps in
            for c in 0..<s.c {
                let values = taps.map { input[s.offset(b, $0.iy, $0.ix, c)] }
                out[os.offset(b, y, x, c)] = values.isEmpty ? 0 : reduce(values)
            }
        }
        return (out, os)
    }
}
