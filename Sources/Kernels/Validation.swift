import Quant

extension KernelCase {
    /// Checks that the call is well formed before anything runs: positive dimensions and strides,
    /// tensors as long as their shapes, matching channel counts, one requantization entry per output
    /// channel (or one for the tensor), zero points and clamps inside int8, shifts inside the range
    /// the fixed-point code handles, finite positive scales.
    public func validate() throws {
        func fail(_ why: String) -> KernelError { .invalidCase(op: op.rawValue, reason: why) }
        func positive(_ s: Shape4, _ name: String) throws {
            guard s.n > 0, s.h > 0, s.w > 0, s.c > 0 else { throw fail("\(name) shape \(s) has a zero or negative dimension") }
        }
        func length(_ count: Int, _ expected: Int, _ name: String) throws {
            guard count == expected else { throw fail("\(name) has \(count) values, its shape needs \(expected)") }
        }
        func zeroPoint(_ z: Int32, _ name: String) throws {
            guard (-128...127).contains(z) else { throw fail("\(name) \(z) is outside int8 [-128, 127]") }
        }
        func clamp(_ lo: Int32, _ hi: Int32) throws {
            guard -128 <= lo, lo <= hi, hi <= 127 else { throw fail("activation range [\(lo), \(hi)] is not inside int8 or is empty") }
        }
        func multiplier(_ m: Int32, _ shift: Int, _ name: String, shifts: ClosedRange<Int> = -31...30) throws {
            guard m >= 0 else { throw fail("\(name) multiplier \(m) is negative") }
            guard shifts.contains(shift) else { throw fail("\(name) shift \(shift) is outside \(shifts)") }
        }
        func scale(_ s: Float) throws {
            guard s.isFinite && s > 0 else { throw fail("scale must be finite and > 0, got \(s)") }
        }
        func window(_ w: WindowParams, _ input: Shape4) throws {
            guard w.kernelH > 0, w.kernelW > 0 else { throw fail("window \(w.kernelH)x\(w.kernelW) has a zero or negative dimension") }
            guard w.strideH > 0, w.strideW > 0 else { throw fail("stride \(w.strideH)x\(w.strideW) must be positive") }
            let (oh, ow) = w.outputHW(input)
            guard oh > 0, ow > 0 else { throw fail("a \(w.kernelH)x\(w.kernelW) VALID window does not fit input \(input)") }
        }
        func requant(_ r: Requantization, channels: Int) throws {
            guard r.multipliers.count == 1 || r.multipliers.count == channels else {
                throw fail("\(r.multipliers.count) requantization multipliers for \(channels) output channels")
            }
            guard r.shifts.count == r.multipliers.count else { throw fail("\(r.shifts.count) shifts for \(r.multipliers.count) multipliers") }
            for (m, s) in zip(r.multipliers, r.shifts) { try multiplier(m, s, "requantization") }
            try zeroPoint(r.outputZeroPoint, "output zero point")
            try clamp(r.activationMin, r.activationMax)
        }

        switch self {
        case .conv(let c), .depthwise(let c):
            try positive(c.inputShape, "input")
            try positive(c.filterShape, "filter")
            try length(c.input.count, c.inputShape.count, "input")
            try length(c.filter.count, c.filterShape.count, "filter")
            guard c.filterShape.c == c.inputShape.c else {
                throw fail("filter has \(c.filterShape.c) input channels, the input has \(c.inputShape.c)")
            }
            if op == .depthwise, c.filterShape.n != 1 { throw fail("depthwise filter must be 1xHxWxC, got \(c.filterShape)") }
            guard c.window.kernelH == c.filterShape.h, c.window.kernelW == c.filterShape.w else {
                throw fail("window \(c.window.kernelH)x\(c.window.kernelW) differs from the filter's \(c.filterShape.h)x\(c.filterShape.w)")
            }
            try window(c.window, c.inputShape)
            try zeroPoint(c.inputZeroPoint, "input zero point")
            let outC = op == .conv ? c.filterShape.n : c.inputShape.c
            if let b = c.bias { try length(b.count, outC, "bias") }
            try requant(c.requant, channels: outC)
        case .fullyConnected(let c):
            guard c.batches > 0, c.depth > 0, c.units > 0 else {
                throw fail("batches \(c.batches), depth \(c.depth), units \(c.units) must all be positive")
            }
            try length(c.input.count, c.batches * c.depth, "input")
            try length(c.filter.count, c.units * c.depth, "filter")
            if let b = c.bias { try length(b.count, c.units, "bias") }
            try zeroPoint(c.inputZeroPoint, "input zero point")
            try requant(c.requant, channels: c.units)
        case .add(let c):
            guard !c.a.isEmpty else { throw fail("empty inputs") }
            guard c.a.count == c.b.count else { throw fail("inputs have \(c.a.count) and \(c.b.count) values; shapes must match") }
            let p = c.params
            try zeroPoint(p.input1ZeroPoint, "input 1 zero point")
            try zeroPoint(p.input2ZeroPoint, "input 2 zero point")
            try zeroPoint(p.outputZeroPoint, "output zero point")
            try multiplier(p.input1Multiplier, p.input1Shift, "input 1", shifts: -31...0)
            try multiplier(p.input2Multiplier, p.input2Shift, "input 2", shifts: -31...0)
            try multiplier(p.outputMultiplier, p.outputShift, "output")
            try clamp(p.activationMin, p.activationMax)
        case .averagePool(let c), .maxPool(let c):
            try positive(c.shape, "input")
            try length(c.input.count, c.shape.count, "input")
            try window(c.window, c.shape)
            try clamp(c.activationMin, c.activationMax)
        case .mean(let c):
            try positive(c.shape, "input")
            try length(c.input.count, c.shape.count, "input")
            try zeroPoint(c.params.inputZeroPoint, "input zero point")
            try zeroPoint(c.params.outputZeroPoint, "output zero point")
            try multiplier(c.params.multiplier, c.params.shift, "MEAN")
        case .softmax(let c):
            guard c.rows > 0, c.depth > 0 else { throw fail("rows \(c.rows) and depth \(c.depth) must be positive") }
            try length(c.input.count, c.rows * c.depth, "input")
            try multiplier(c.params.inputMultiplier, c.params.inputLeftShift, "input", shifts: 0...31)
        case .quantize(let c):
            guard !c.input.isEmpty else { throw fail("empty input") }
            try scale(c.scale)
            try zeroPoint(c.zeroPoint, "zero point")
            if let i = c.input.firstIndex(where: { !$0.isFinite }) { throw fail("input[\(i)] = \(c.input[i]) is not finite") }
        case .dequantize(let c):
            guard !c.input.isEmpty else { throw fail("empty input") }
            try scale(c.scale)
            try zeroPoint(c.zeroPoint, "zero point")
        }
    }
}
