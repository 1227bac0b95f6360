import Graph
import Kernels
import Quant

/// A model's nodes as kernel calls: every parameter the C kernels take, derived once from the
/// model's scales the way TFLM's Prepare functions derive them (QuantizeMultiplier in double,
/// activation clamps from the output quantization). The reference interpreter, the C code
/// generator and the memory planner all read this.
public struct LoweredModel: Sendable {
    public var model: QuantizedModel
    public var shapes: [String: [Int]]
    public var ops: [LoweredOp]
    /// Graph input and output values (dropout aliases resolved).
    public var inputs: [String]
    public var outputs: [String]

    public init(_ model: QuantizedModel) throws {
        let shapes = try model.validate()
        self.model = model
        self.shapes = shapes
        func resolve(_ name: String) -> String {
            var n = name
            while let node = model.graph.node(named: n), node.op == .dropout { n = node.inputs[0] }
            return n
        }
        inputs = model.graph.inputs.map(\.name)
        outputs = model.graph.outputs.map(resolve)
        ops = try model.graph.nodes.filter { $0.op != .dropout }.enumerated().map { index, node in
            let ins = node.inputs.map(resolve)
            do {
                return LoweredOp(index: index, node: node, inputs: ins, output: node.name,
                                 call: try LoweredOp.call(node, inputs: ins, model: model, shapes: shapes))
            } catch let e as QuantError {
                throw GraphError("node '\(node.name)' (\(node.op.rawValue)): \(e)")
            }
        }
    }

    /// Bytes of a value's tensor (int8: 1 per element, float32: 4).
    public func byteSize(_ value: String) -> Int {
        shapes[value]!.reduce(1, *) * (model.values[value]!.type == .float32 ? 4 : 1)
    }
}

public struct LoweredOp: Sendable {
    public var index: Int
    public var node: Node
    public var inputs: [String]
    public var output: String
    public var call: Call

    /// What runs: the kernel and its parameters (tensors other than weights are bound at run time).
    public enum Call: Sendable {
        case conv(input: Shape4, filter: Shape4, window: WindowParams, inputZeroPoint: Int32, requant: Requantization)
        case depthwise(input: Shape4, filter: Shape4, window: WindowParams, inputZeroPoint: Int32, requant: Requantization)
        case fullyConnected(depth: Int, units: Int, inputZeroPoint: Int32, requant: Requantization)
        case add(count: Int, params: ReferenceOps.AddParams)
        case averagePool(input: Shape4, window: WindowParams, min: Int32, max: Int32)
        case maxPool(input: Shape4, window: WindowParams, min: Int32, max: Int32)
        case mean(input: Shape4, params: MeanParams)
        case softmax(rows: Int, depth: Int, params: SoftmaxParams)
        case quantize(count: Int, scale: Float, zeroPoint: Int32)
        case dequantize(count: Int, scale: Float, zeroPoint: Int32)
        /// RESHAPE: the bytes are copied unchanged.
        case copy(bytes: Int)
    }

    /// Multiply-accumulates of the call (0 for ops without a weight product).
    public var macs: Int {
        switch call {
        case let .conv(input, filter, window, _, _): return KernelCase.convolutionMACs(input: input, filter: filter, window: window, depthwise: false)
        case let .depthwise(input, filter, window, _, _): return KernelCase.convolutionMACs(input: input, filter: filter, window: window, depthwise: true)
        case let .fullyConnected(depth, units, _, _): return depth * units
        default: return 0
        }
    }

    /// TFLite's name of the operator (profile reports).
    public var opName: String {
        switch call {
        case .conv: return "CONV_2D"
        case .depthwise: return "DEPTHWISE_CONV_2D"
        case .fullyConnected: return "FULLY_CONNECTED"
        case .add: return "ADD"
        case .averagePool: return "AVERAGE_POOL_2D"
        case .maxPool: return "MAX_POOL_2D"
        case .mean: return "MEAN"
        case .softmax: return "SOFTMAX"
        case .quantize: return "QUANTIZE"
        case .dequantize: return "DEQUANTIZE"
        case .copy: return "RESHAPE"
        }
    }

    static func shape4(_ s: [Int]) -> Shape4 { Shape4(1, s[0], s[1], s[2]) }

    static func call(_ node: Node, inputs: [String], model: QuantizedModel, shapes: [String: [Int]]) throws -> Call {
        let inQ = model.values[inputs[0]]!, outQ = model.values[node.name]!
        let inShape = shapes[inputs[0]]!, outShape = shapes[node.name]!
        let count = outShape.reduce(1, *)
        switch node.op {
        case .conv2d, .depthwiseConv2d:
            let w = model.weights[node.name]!
            let f = QuantizedModel.filterShape(node, input: inShape, output: outShape)
            let requant = try Requantization(inputScale: inQ.scale, weightScales: w.scales, outputScale: outQ.scale,
                                             outputZeroPoint: outQ.zeroPoint, activation: node.fusedActivation)
            let fs = Shape4(f[0], f[1], f[2], f[3])
            return node.op == .conv2d
                ? .conv(input: shape4(inShape), filter: fs, window: node.window!, inputZeroPoint: inQ.zeroPoint, requant: requant)
                : .depthwise(input: shape4(inShape), filter: fs, window: node.window!, inputZeroPoint: inQ.zeroPoint, requant: requant)
        case .dense:
            let w = model.weights[node.name]!
            let requant = try Requantization(inputScale: inQ.scale, weightScales: w.scales, outputScale: outQ.scale,
                                             outputZeroPoint: outQ.zeroPoint, activation: node.fusedActivation)
            return .fullyConnected(depth: inShape.reduce(1, *), units: outShape[0], inputZeroPoint: inQ.zeroPoint, requant: requant)
        case .add:
            let in2 = model.values[inputs[1]]!
            return .add(count: count, params: try ReferenceOps.AddParams(
                scale1: inQ.scale, zeroPoint1: inQ.zeroPoint, scale2: in2.scale, zeroPoint2: in2.zeroPoint,
                outputScale: outQ.scale, outputZeroPoint: outQ.zeroPoint, activation: node.fusedActivation))
        case .averagePool2d, .maxPool2d:
            let r = node.fusedActivation.range(scale: outQ.scale, zeroPoint: outQ.zeroPoint)
            return node.op == .averagePool2d
                ? .averagePool(input: shape4(inShape), window: node.window!, min: r.min, max: r.max)
                : .maxPool(input: shape4(inShape), window: node.window!, min: r.min, max: r.max)
        case .mean:
            return .mean(input: shape4(inShape), params: try MeanParams(inputScale: inQ.scale, inputZeroPoint: inQ.zeroPoint,
                                                                         outputScale: outQ.scale, outputZeroPoint: outQ.zeroPoint))
        case .softmax:
            let depth = inShape.last!
            return .softmax(rows: count / depth, depth: depth, params: try SoftmaxParams(inputScale: inQ.scale, beta: node.beta ?? 1))
        case .quantize:
            return .quantize(count: count, scale: outQ.scale, zeroPoint: outQ.zeroPoint)
        case .dequantize:
            return .dequantize(count: count, scale: inQ.scale, zeroPoint: inQ.zeroPoint)
        case .reshape:
            return .copy(bytes: count * (outQ.type == .float32 ? 4 : 1))
        case .dropout:
            throw GraphError("node '\(node.name)': dropout is not lowered")
        }
    }

    /// This call on concrete input bytes, as a kernel case (nil for a copy).
    public func kernelCase(inputs data: [[UInt8]], weights: NodeWeights?) -> KernelCase? {
        let x = data[0].map { Int8(bitPattern: $0) }
        switch call {
        case let .conv(input, filter, window, zp, requant):
            return .conv(.init(input: x, inputShape: input, inputZeroPoint: zp, filter: weights!.filter, filterShape: filter,
                               bias: weights!.bias, window: window, requant: requant))
        case let .depthwise(input, filter, window, zp, requant):
            return .depthwise(.init(input: x, inputShape: input, inputZeroPoint: zp, filter: weights!.filter, filterShape: filter,
                                    bias: weights!.bias, window: window, requant: requant))
        case let .fullyConnected(depth, units, zp, requant):
            return .fullyConnected(.init(input: x, batches: 1, depth: depth, inputZeroPoint: zp, filter: weights!.filter,
                                         units: units, bias: weights!.bias, requant: requant))
        case let .add(_, params):
            return .add(.init(a: x, b: data[1].map { Int8(bitPattern: $0) }, params: params))
        case let .averagePool(input, window, lo, hi):
            return .averagePool(.init(input: x, shape: input, window: window, activationMin: lo, activationMax: hi))
        case let .maxPool(input, window, lo, hi):
            return .maxPool(.init(input: x, shape: input, window: window, activationMin: lo, activationMax: hi))
        case let .mean(input, params):
            return .mean(.init(input: x, shape: input, params: params))
        case let .softmax(rows, depth, params):
            return .softmax(.init(input: x, rows: rows, depth: depth, params: params))
        case let .quantize(count, scale, zp):
            let floats = (0..<count).map { i in
                Float(bitPattern: UInt32(data[0][4 * i]) | UInt32(data[0][4 * i + 1]) << 8 | UInt32(data[0][4 * i + 2]) << 16 | UInt32(data[0][4 * i + 3]) << 24)
            }
            return .quantize(.init(input: floats, scale: scale, zeroPoint: zp))
        case let .dequantize(_, scale, zp):
            return .dequantize(.init(input: x, scale: scale, zeroPoint: zp))
        case .copy:
            return nil
        }
    }
}

