import Quant

/// One operator call with all its tensors and quantization parameters: what the verification
/// firmware (`kernels/harness/verify.c`) reads, and what the Swift reference (`Quant`) evaluates.
public enum KernelCase: Sendable, CustomStringConvertible {
    case conv(WindowCase)
    case depthwise(WindowCase)
    case fullyConnected(FCCase)
    case add(AddCase)
    case averagePool(PoolCase)
    case maxPool(PoolCase)
    case mean(MeanCase)
    case softmax(SoftmaxCase)
    case quantize(QuantizeCase)
    case dequantize(DequantizeCase)

    public struct WindowCase: Sendable {
        public var input: [Int8], inputShape: Shape4, inputZeroPoint: Int32
        public var filter: [Int8], filterShape: Shape4, bias: [Int32]?
        public var window: WindowParams
        public var requant: Requantization
        /// CONV_2D only: call the kernel without scratch (its scratch-free path, which the memory
        /// planner picks where the im2col columns would raise the arena).
        public var scratchFree = false
        public init(input: [Int8], inputShape: Shape4, inputZeroPoint: Int32, filter: [Int8], filterShape: Shape4, bias: [Int32]?,
                    window: WindowParams, requant: Requantization) {
            (self.input, self.inputShape, self.inputZeroPoint) = (input, inputShape, inputZeroPoint)
            (self.filter, self.filterShape, self.bias, self.window, self.requant) = (filter, filterShape, bias, window, requant)
        }
    }

    public struct FCCase: Sendable {
        public var input: [Int8], batches: Int, depth: Int, inputZeroPoint: Int32
        public var filter: [Int8], units: Int, bias: [Int32]?
        public var requant: Requantization
        public init(input: [Int8], batches: Int, depth: Int, inputZeroPoint: Int32, filter: [Int8], units: Int, bias: [Int32]?,
                    requant: Requantization) {
            (self.input, self.batches, self.depth, self.inputZeroPoint) = (input, batches, depth, inputZeroPoint)
            (self.filter, self.units, self.bias, self.requant) = (filter, units, bias, requant)
        }
    }

    public struct AddCase: Sendable {
        public var a: [Int8], b: [Int8], params: ReferenceOps.AddParams
        /// The kernel given the table of rescaled terms (`mn_add_params.rescaled`, as `micronas export`
        /// writes it), built by `mn_add_s8_rescale_table` outside the timed call; otherwise computed
        /// per element.
        public var byTable: Bool
        public init(a: [Int8], b: [Int8], params: ReferenceOps.AddParams, byTable: Bool = true) {
            (self.a, self.b, self.params, self.byTable) = (a, b, params, byTable)
        }
    }

    public struct PoolCase: Sendable {
        public var input: [Int8], shape: Shape4, window: WindowParams
        public var activationMin: Int32, activationMax: Int32
        public init(input: [Int8], shape: Shape4, window: WindowParams, activationMin: Int32, activationMax: Int32) {
            (self.input, self.shape, self.window, self.activationMin, self.activationMax) = (input, shape, window, activationMin, activationMax)
        }
    }

    /// MEAN over H and W of an NHWC tensor (output N×1×1×C).
    public struct MeanCase: Sendable {
        public var input: [Int8], shape: Shape4, params: MeanParams
        public init(input: [Int8], shape: Shape4, params: MeanParams) { (self.input, self.shape, self.params) = (input, shape, params) }
    }

    /// SOFTMAX over the last dimension (output scale 1/256, zero point −128).
    public struct SoftmaxCase: Sendable {
        public var input: [Int8], rows: Int, depth: Int, params: SoftmaxParams
        public init(input: [Int8], rows: Int, depth: Int, params: SoftmaxParams) {
            (self.input, self.rows, self.depth, self.params) = (input, rows, depth, params)
        }
    }

    /// QUANTIZE float32 → int8.
    public struct QuantizeCase: Sendable {
        public var input: [Float], scale: Float, zeroPoint: Int32
        public init(input: [Float], scale: Float, zeroPoint: Int32) { (self.input, self.scale, self.zeroPoint) = (input, scale, zeroPoint) }
    }

    /// DEQUANTIZE int8 → float32 (the output compared as its little-endian bytes).
    public struct DequantizeCase: Sendable {
        public var input: [Int8], scale: Float, zeroPoint: Int32
        public init(input: [Int8], scale: Float, zeroPoint: Int32) { (self.input, self.scale, self.zeroPoint) = (input, scale, zeroPoint) }
    }

    /// The operators, named as TFLite names its builtins; `code` (1-based position in this list) is
    /// the verification stream's op code, so new operators go at the end (kernels/README.md lists them).
    public enum Op: String, CaseIterable, Sendable {
        case conv = "CONV_2D", depthwise = "DEPTHWISE_CONV_2D", fullyConnected = "FULLY_CONNECTED"
        case add = "ADD", averagePool = "AVERAGE_POOL_2D", maxPool = "MAX_POOL_2D"
        case mean = "MEAN", softmax = "SOFTMAX", quantize = "QUANTIZE", dequantize = "DEQUANTIZE"

        var code: Int32 { Int32(Op.allCases.firstIndex(of: self)! + 1) }
    }

    public var op: Op {
        switch self {
        case .conv: return .conv
        case .depthwise: return .depthwise
        case .fullyConnected: return .fullyConnected
        case .add: return .add
        case .averagePool: return .averagePool
        case .maxPool: return .maxPool
        case .mean: return .mean
        case .softmax: return .softmax
        case .quantize: return .quantize
        case .dequantize: return .dequantize
        }
    }

    /// The call's shapes and window as text (benchmark reports).
    public var parameters: [String: String] {
        switch self {
        case .conv(let c), .depthwise(let c):
            let (oh, ow) = c.window.outputHW(c.inputShape)
            let outC = op == .conv ? c.filterShape.n : c.inputShape.c
            return ["input": "\(c.inputShape)", "filter": "\(c.filterShape)", "output": "\(Shape4(c.inputShape.n, oh, ow, outC))",
                    "stride": "\(c.window.strideH)x\(c.window.strideW)", "padding": c.window.padding.rawValue]
        case .fullyConnected(let c):
            return ["batches": "\(c.batches)", "depth": "\(c.depth)", "units": "\(c.units)"]
        case .add(let c):
            return ["elements": "\(c.a.count)"]
        case .averagePool(let c), .maxPool(let c):
            return ["input": "\(c.shape)", "window": "\(c.window.kernelH)x\(c.window.kernelW)",
                    "stride": "\(c.window.strideH)x\(c.window.strideW)", "padding": c.window.padding.rawValue]
        case .mean(let c):
            return ["input": "\(c.shape)", "axes": "H,W"]
        case .softmax(let c):
            return ["rows": "\(c.rows)", "depth": "\(c.depth)"]
        case .quantize(let c):
            return ["elements": "\(c.input.count)"]
        case .dequantize(let c):
            return ["elements": "\(c.input.count)"]
        }
    }

    /// Multiply-accumulates of the call (0 for ops without a weight product).
    public var macs: Int {
        switch self {
        case .conv(let c): return Self.convolutionMACs(input: c.inputShape, filter: c.filterShape, window: c.window, depthwise: false)
        case .depthwise(let c): return Self.convolutionMACs(input: c.inputShape, filter: c.filterShape, window: c.window, depthwise: true)
        case .fullyConnected(let c): return c.batches * c.depth * c.units
        default: return 0
        }
    }

    /// MACs of a CONV_2D (filter OHWI) or DEPTHWISE_CONV_2D (filter 1HWC) from shapes alone.
    public static func convolutionMACs(input: Shape4, filter: Shape4, window: WindowParams, depthwise: Bool) -> Int {
        let (oh, ow) = window.outputHW(input)
        return input.n * oh * ow * filter.h * filter.w * input.c * (depthwise ? 1 : filter.n)
    }

    public var description: String {
        switch self {
        case .conv(let c), .depthwise(let c):
            let w = c.window
            return "\(op.rawValue) in \(c.inputShape) filter \(c.filterShape) stride \(w.strideH)x\(w.strideW) \(w.padding.rawValue)"
        case .fullyConnected(let c):
            return "\(op.rawValue) \(c.batches)x\(c.depth) -> \(c.units)"
        case .add(let c):
            return "\(op.rawValue) \(c.a.count) elements"
        case .averagePool(let c), .maxPool(let c):
            let w = c.window
            return "\(op.rawValue) in \(c.shape) window \(w.kernelH)x\(w.kernelW) stride \(w.strideH)x\(w.strideW) \(w.padding.rawValue)"
        case .mean(let c): return "\(op.rawValue) over HxW of \(c.shape)"
        case .softmax(let c): return "\(op.rawValue) \(c.rows)x\(c.depth)"
        case .quantize(let c): return "\(op.rawValue) \(c.input.count) elements"
        case .dequantize(let c): return "\(op.rawValue) \(c.input.count) elements"
        }
    }

    /// The Swift reference output.
    public func reference() -> [Int8] {
        switch self {
        case .conv(let c):
            return ReferenceOps.conv2d(input: c.input, inputShape: c.inputShape, inputZeroPoint: c.inputZeroPoint,
                                       filter: c.filter, filterShape: c.filterShape, bias: c.bias,
                                       window: c.window, requant: c.requant).output
        case .depthwise(let c):
            return ReferenceOps.depthwiseConv2d(input: c.input, inputShape: c.inputShape, inputZeroPoint: c.inputZeroPoint,
                                                filter: c.filter, filterShape: c.filterShape, bias: c.bias,
                                                window: c.window, requant: c.requant).output
        case .fullyConnected(let c):
            return ReferenceOps.fullyConnected(input: c.input, batches: c.batches, depth: c.depth, inputZeroPoint: c.inputZeroPoint,
                                               filter: c.filter, units: c.units, bias: c.bias, requant: c.requant)
        case .add(let c):
            return ReferenceOps.add(c.a, c.b, params: c.params)
        case .averagePool(let c):
            return ReferenceOps.averagePool(input: c.input, shape: c.shape, window: c.window,
                                            activationMin: c.activationMin, activationMax: c.activationMax).output
        case .maxPool(let c):
            return ReferenceOps.maxPool(input: c.input, shape: c.shape, window: c.window,
                                        activationMin: c.activationMin, activationMax: c.activationMax).output
        case .mean(let c):
            return ReferenceOps.mean(c.input, shape: c.shape, params: c.params)
        case .softmax(let c):
            return ReferenceOps.softmax(c.input, rows: c.rows, depth: c.depth, params: c.params)
        case .quantize(let c):
            return ReferenceOps.quantize(c.input, scale: c.scale, zeroPoint: c.zeroPoint)
        case .dequantize(let c):
            return ReferenceOps.dequantize(c.input, scale: c.scale, zeroPoint: c.zeroPoint)
                .flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { $0.map { Int8(bitPattern: $0) } } }
        }
    }
}

// MARK: - Stream encoding (the ABI of kernels/harness/verify.c)

/// Little-endian int32 words; int8 arrays padded to 4 bytes.
struct CaseWriter {
    var bytes: [UInt8] = Array("MNK1".utf8)

    /// `warm`: the firmware runs every call twice and reports the cycles of the second run.
    init(warm: Bool = false) { i32(Int32(warm ? 1 : 0)) }

    mutating func i32(_ v: Int32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func i32(_ v: Int) { i32(Int32(v)) }
    mutating func shape(_ s: Shape4) { for v in [s.n, s.h, s.w, s.c] { i32(v) } }
    mutating func int8s(_ a: [Int8]) {
        bytes.append(contentsOf: a.map { UInt8(bitPattern: $0) })
        bytes.append(contentsOf: [UInt8](repeating: 0, count: (4 - a.count % 4) % 4))
    }
    mutating func int32s(_ a: [Int32]) { for v in a { i32(v) } }

    mutating func window(_ w: WindowParams, input: Shape4, inputZeroPoint: Int32, outputZeroPoint: Int32, min: Int32, max: Int32) {
        let pad = w.padBefore(input)
        i32(w.strideH); i32(w.strideW); i32(pad.h); i32(pad.w)
        i32(-inputZeroPoint); i32(outputZeroPoint); i32(min); i32(max)
    }

    /// Op-code bit of an op's second kernel variant: a CONV_2D called without scratch
    /// (`WindowCase.scratchFree`), an ADD given its table (`AddCase.byTable`).
    static let variantFlag: Int32 = 0x100

    mutating func append(_ c: KernelCase) {
        switch c {
        case .conv(let k) where k.scratchFree: i32(c.op.code | Self.variantFlag)
        case .add(let k) where k.byTable: i32(c.op.code | Self.variantFlag)
        default: i32(c.op.code)
        }
        switch c {
        case .conv(let k), .depthwise(let k):
            let (oh, ow) = k.window.outputHW(k.inputShape)
            let outC = c.op == .conv ? k.filterShape.n : k.inputShape.c
            shape(k.inputShape); shape(k.filterShape); shape(Shape4(k.inputShape.n, oh, ow, outC))
            window(k.window, input: k.inputShape, inputZeroPoint: k.inputZeroPoint, outputZeroPoint: k.requant.outputZeroPoint,
                   min: k.requant.activationMin, max: k.requant.activationMax)
            let perChannel = k.requant.multipliers.count > 1
            i32(perChannel ? 1 : 0); i32(k.bias == nil ? 0 : 1)
            int8s(k.input); int8s(k.filter)
            if let b = k.bias { int32s(b) }
            int32s(k.requant.multipliers); int32s(k.requant.shifts.map { Int32($0) })
        case .fullyConnected(let k):
            i32(-k.inputZeroPoint); i32(k.requant.outputZeroPoint); i32(k.requant.activationMin); i32(k.requant.activationMax)
            let perChannel = k.requant.multipliers.count > 1
            i32(k.batches); i32(k.depth); i32(k.units); i32(k.bias == nil ? 0 : 1); i32(perChannel ? 1 : 0)
            int8s(k.input); int8s(k.filter)
            if let b = k.bias { int32s(b) }
            int32s(k.requant.multipliers); int32s(k.requant.shifts.map { Int32($0) })
        case .add(let k):
            let p = k.params
            i32(-p.input1ZeroPoint); i32(-p.input2ZeroPoint); i32(p.outputZeroPoint)
            i32(p.input1Multiplier); i32(p.input2Multiplier); i32(p.outputMultiplier)
            i32(p.input1Shift); i32(p.input2Shift); i32(p.outputShift)
            i32(ReferenceOps.AddParams.leftShift); i32(p.activationMin); i32(p.activationMax)
            i32(k.a.count); int8s(k.a); int8s(k.b)
        case .averagePool(let k), .maxPool(let k):
            let (oh, ow) = k.window.outputHW(k.shape)
            shape(k.shape); shape(Shape4(k.shape.n, oh, ow, k.shape.c))
            window(k.window, input: k.shape, inputZeroPoint: 0, outputZeroPoint: 0, min: k.activationMin, max: k.activationMax)
            i32(k.window.kernelH); i32(k.window.kernelW)
            int8s(k.input)
        case .mean(let k):
            shape(k.shape)
            i32(k.params.inputZeroPoint); i32(k.params.outputZeroPoint); i32(k.params.multiplier); i32(k.params.shift)
            int8s(k.input)
        case .softmax(let k):
            i32(k.rows); i32(k.depth)
            i32(k.params.inputMultiplier); i32(k.params.inputLeftShift); i32(k.params.diffMin)
            int8s(k.input)
        case .quantize(let k):
            i32(k.input.count); i32(Int32(bitPattern: k.scale.bitPattern)); i32(k.zeroPoint)
            int32s(k.input.map { Int32(bitPattern: $0.bitPattern) })
        case .dequantize(let k):
            i32(k.input.count); i32(Int32(bitPattern: k.scale.bitPattern)); i32(k.zeroPoint)
            int8s(k.input)
        }
    }

    mutating func finish() -> [UInt8] {
        i32(Int32(0))
        return bytes
    }
}

/// One case's result from verify.c: its output bytes and the cycles of the kernel call.
struct CaseOutput {
    var output: [Int8]
    var cycles: UInt32
}

/// Splits verify.c's output stream into one output (and cycle count) per case.
func decodeOutputs(_ bytes: [UInt8]) throws -> [CaseOutput] {
    func word(_ i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }
    var outputs: [CaseOutput] = []
    var i = 0
    while i < bytes.count {
        guard i + 8 <= bytes.count else { throw KernelError.malformedOutput("truncated case header at byte \(i)") }
        let n = Int(Int32(bitPattern: word(i)))
        let cycles = word(i + 4)
        i += 8
        guard n >= 0, i + n <= bytes.count else { throw KernelError.malformedOutput("output of \(n) bytes overruns the stream at byte \(i)") }
        outputs.append(CaseOutput(output: bytes[i..<(i + n)].map { Int8(bitPattern: $0) }, cycles: cycles))
        i += n + (4 - n % 4) % 4
    }
    return outputs
}
