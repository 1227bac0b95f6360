import Foundation
import Quant
import Support

extension KernelCase {
    /// A random, valid call of `op`, small enough for the verification firmware's 72 KB arena.
    /// Data and parameters reach the edges on purpose: int8 extremes, zero points across the range,
    /// multipliers from tiny to > 1 (positive shifts), every activation, SAME and VALID, strides 1–3.
    public static func random(_ op: Op, using g: inout SplitMix64) throws -> KernelCase {
        func int8s(_ n: Int, symmetric: Bool = false) -> [Int8] {
            (0..<n).map { _ in
                switch Int.random(in: 0..<16, using: &g) {
                case 0: return symmetric ? -127 : -128
                case 1: return 127
                default: return Int8.random(in: (symmetric ? -127 : -128)...127, using: &g)
                }
            }
        }
        func zeroPoint() -> Int32 { Bool.random(using: &g) ? 0 : Int32.random(in: -128...127, using: &g) }
        func scale(_ lo: Float, _ hi: Float) -> Float { lo * Float(pow(Double(hi / lo), Double.random(in: 0...1, using: &g))) }
        let activation = Activation.allCases.randomElement(using: &g)!
        func window(_ s: Shape4, kh: Int, kw: Int) -> WindowParams {
            var padding = Padding.allCases.randomElement(using: &g)!
            if kh > s.h || kw > s.w { padding = .same }
            return WindowParams(kernelH: kh, kernelW: kw, strideH: Int.random(in: 1...3, using: &g),
                                strideW: Int.random(in: 1...2, using: &g), padding: padding)
        }
        switch op {
        case .conv, .depthwise:
            // One input channel a quarter of the time (the first-layer conv path), and up to 40
            // filters a quarter of the time (past the kernels' blocks of 16 output channels).
            // Depthwise: half the cases have channels in fours and a 3×3 filter, the kernels' own path
            // for whole windows (DSP cores), with borders wherever the padding puts them.
            let dwFours = op == .depthwise && Bool.random(using: &g)
            let cin = dwFours ? 4 * Int.random(in: 1...4, using: &g)
                : Int.random(in: 0..<4, using: &g) == 0 ? 1 : Int.random(in: 1...16, using: &g)
            let s = Shape4(Int.random(in: 1...2, using: &g), Int.random(in: 1...24, using: &g), Int.random(in: 1...9, using: &g), cin)
            let kh = dwFours ? 3 : Int.random(in: 1...7, using: &g), kw = dwFours ? 3 : Int.random(in: 1...min(9, s.w + 1), using: &g)
            let cout = op == .conv ? Int.random(in: 1...(Int.random(in: 0..<4, using: &g) == 0 ? 40 : 16), using: &g) : s.c
            let f = op == .conv ? Shape4(cout, kh, kw, s.c) : Shape4(1, kh, kw, s.c)
            let inScale = scale(0.002, 0.2), outScale = scale(0.005, 0.5)
            let perChannel = Int.random(in: 0..<4, using: &g) > 0
            let weightScales = (0..<(perChannel ? cout : 1)).map { _ in scale(0.0005, 0.05) }
            let c = WindowCase(
                input: int8s(s.count), inputShape: s, inputZeroPoint: zeroPoint(),
                filter: int8s(f.count, symmetric: true), filterShape: f,
                bias: Bool.random(using: &g) ? (0..<cout).map { _ in Int32.random(in: -40_000...40_000, using: &g) } : nil,
                window: window(s, kh: kh, kw: kw),
                requant: try Requantization(inputScale: inScale, weightScales: weightScales, outputScale: outScale,
                                        outputZeroPoint: zeroPoint(), activation: activation))
            if op == .conv {
                var k = c
                k.scratchFree = Bool.random(using: &g)  // both CONV_2D paths, half the cases each
                return .conv(k)
            }
            return .depthwise(c)
        case .fullyConnected:
            let batches = Int.random(in: 1...3, using: &g), depth = Int.random(in: 1...300, using: &g)
            let units = Int.random(in: 1...32, using: &g)
            return .fullyConnected(FCCase(
                input: int8s(batches * depth), batches: batches, depth: depth, inputZeroPoint: zeroPoint(),
                filter: int8s(units * depth, symmetric: true), units: units,
                bias: Bool.random(using: &g) ? (0..<units).map { _ in Int32.random(in: -40_000...40_000, using: &g) } : nil,
                requant: try Requantization(inputScale: scale(0.002, 0.2),
                                            weightScales: (0..<(Bool.random(using: &g) ? units : 1)).map { _ in scale(0.0005, 0.05) },
                                        outputScale: scale(0.005, 0.5), outputZeroPoint: zeroPoint(), activation: activation)))
        case .add:
            let n = Int.random(in: 1...600, using: &g)
            return .add(AddCase(a: int8s(n), b: int8s(n), params: try ReferenceOps.AddParams(
                scale1: scale(0.002, 0.2), zeroPoint1: zeroPoint(), scale2: scale(0.002, 0.2), zeroPoint2: zeroPoint(),
                outputScale: scale(0.004, 0.4), outputZeroPoint: zeroPoint(), activation: activation),
                byTable: Bool.random(using: &g)))  // both ADD paths, half the cases each
        case .averagePool, .maxPool:
            let s = Shape4(Int.random(in: 1...2, using: &g), Int.random(in: 1...32, using: &g),
                           Int.random(in: 1...9, using: &g), Int.random(in: 1...16, using: &g))
            let w = window(s, kh: Int.random(in: 1...min(8, s.h + 1), using: &g), kw: Int.random(in: 1...min(4, s.w + 1), using: &g))
            let range = activation.range(scale: scale(0.01, 0.1), zeroPoint: zeroPoint())
            let c = PoolCase(input: int8s(s.count), shape: s, window: w, activationMin: range.min, activationMax: range.max)
            return op == .averagePool ? .averagePool(c) : .maxPool(c)
        case .mean:
            let s = Shape4(Int.random(in: 1...2, using: &g), Int.random(in: 1...32, using: &g),
                           Int.random(in: 1...9, using: &g), Int.random(in: 1...32, using: &g))
            let inScale = scale(0.01, 0.1)
            return .mean(MeanCase(input: int8s(s.count), shape: s, params: try MeanParams(
                inputScale: inScale, inputZeroPoint: zeroPoint(), outputScale: inScale * scale(0.3, 3), outputZeroPoint: zeroPoint())))
        case .softmax:
            // Input scales from fine to coarse enough that the multiplier caps at 2^31 − 1.
            let rows = Int.random(in: 1...4, using: &g), depth = Int.random(in: 1...40, using: &g)
            return .softmax(SoftmaxCase(input: int8s(rows * depth), rows: rows, depth: depth,
                                        params: try SoftmaxParams(inputScale: scale(0.002, 40), beta: Bool.random(using: &g) ? 1 : scale(0.5, 2))))
        case .quantize:
            // Values around the int8 grid, exact half steps (rounding ties), zeros and far outliers.
            let s = scale(0.001, 1), n = Int.random(in: 1...300, using: &g)
            let input: [Float] = (0..<n).map { _ in
                switch Int.random(in: 0..<8, using: &g) {
                case 0: return Float(Int.random(in: -300...300, using: &g)) / 2 * s
                case 1: return Bool.random(using: &g) ? 0 : -0.0
                case 2: return Float.random(in: -1e10...1e10, using: &g)
                default: return Float.random(in: -200...200, using: &g) * s
                }
            }
            return .quantize(QuantizeCase(input: input, scale: s, zeroPoint: zeroPoint()))
        case .dequantize:
            let n = Int.random(in: 1...300, using: &g)
            return .dequantize(DequantizeCase(input: int8s(n), scale: scale(1e-4, 10), zeroPoint: zeroPoint()))
        }
    }
}
