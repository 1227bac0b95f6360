import Quant

/// The int8 form of a `Graph`: the quantization of every value and the constant tensors of every
/// weighted node, with TFLite's int8 conventions (per-channel symmetric weights, asymmetric int8
/// activations, int32 biases at scale s_in · s_w). JSON-serializable; the `.tflite` writer and
/// reader, the C code generator and the reference interpreter all read this one description.
public struct QuantizedModel: Codable, Sendable, Equatable {
    public var graph: Graph
    /// Quantization of every graph input and node output (dropout outputs included; they equal their input's).
    public var values: [String: ValueQuantization]
    /// Filter and bias of each conv2d / depthwise_conv2d / dense node, by node name.
    public var weights: [String: NodeWeights]
    /// For a model read from a `.tflite`: its activation values in the file's tensor order. TFLM's
    /// planner breaks ties between equal-size buffers by that order, so the memory planner follows it
    /// to reproduce TFLM's arena; nil means graph order (inputs, then node outputs).
    public var tensorOrder: [String]?
    /// What the input expects (window, channels, the training split's normalization, class names);
    /// nil for a model that did not come from micronas training (a converter-written `.tflite`).
    public var preprocessing: Preprocessing?

    enum CodingKeys: String, CodingKey { case graph, values, weights, tensorOrder = "tensor_order", preprocessing }

    public init(graph: Graph, values: [String: ValueQuantization], weights: [String: NodeWeights], tensorOrder: [String]? = nil,
                preprocessing: Preprocessing? = nil) {
        (self.graph, self.values, self.weights, self.tensorOrder, self.preprocessing) = (graph, values, weights, tensorOrder, preprocessing)
    }
}

/// The transform a model's input expects, carried with the model (the quantized JSON's
/// `preprocessing`, the `.tflite`'s `micronas_preprocessing` metadata) so that no later step can
/// apply a different one: windows of `window` samples of `channels` (in this order), each channel
/// z-scored with the training split's `mean` and `std`, then quantized with the input's scale and
/// zero point; the output's entries are `classes`.
public struct Preprocessing: Codable, Sendable, Equatable {
    public var window: Int
    public var channels: [String]
    public var mean: [Float]
    public var std: [Float]
    public var classes: [String]
    /// Where the statistics came from (dataset name, split), for people reading the file.
    public var source: String?

    public init(window: Int, channels: [String], mean: [Float], std: [Float], classes: [String], source: String? = nil) {
        (self.window, self.channels, self.mean, self.std, self.classes, self.source) = (window, channels, mean, std, classes, source)
    }

    /// The `.tflite` metadata entry's name.
    public static let metadataName = "micronas_preprocessing"

    /// Checks the fields against each other and against the model's input shape [T, S] or [T, S, 1].
    public func validate(inputShape: [Int]) throws {
        guard window >= 1, !channels.isEmpty else { throw GraphError("preprocessing: window \(window) and \(channels.count) channels must be ≥ 1") }
        guard mean.count == channels.count, std.count == channels.count else {
            throw GraphError("preprocessing: \(channels.count) channels but \(mean.count) means and \(std.count) standard deviations")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw GraphError("preprocessing: means must be finite and standard deviations finite and > 0")
        }
        guard inputShape.count >= 2, inputShape[0] == window, inputShape[1] == channels.count, inputShape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
            throw GraphError("preprocessing: windows of \(window) × \(channels.count) do not match the model input \(inputShape)")
        }
    }
}

public enum ElementType: String, Codable, Sendable {
    case int8, float32

    public var isFloat: Bool { self == .float32 }
    public var byteSize: Int { self == .float32 ? 4 : 1 }
}

/// Element type of a value and, for int8, `real = scale · (q − zero_point)`.
public struct ValueQuantization: Codable, Sendable, Equatable {
    public var type: ElementType
    public var scale: Float
    public var zeroPoint: Int32

    enum CodingKeys: String, CodingKey { case type, scale, zeroPoint = "zero_point" }

    public init(type: ElementType = .int8, scale: Float, zeroPoint: Int32) {
        (self.type, self.scale, self.zeroPoint) = (type, scale, zeroPoint)
    }

    public static let float32 = ValueQuantization(type: .float32, scale: 0, zeroPoint: 0)
    /// TFLite's fixed int8 softmax output.
    public static let softmaxOutput = ValueQuantization(scale: 1.0 / 256, zeroPoint: -128)
}

/// Constant tensors of a weighted node. Filter layouts: conv2d OHWI `[filters, kh, kw, cin]`,
/// depthwise `[1, kh, kw, c]`, dense `[units, depth]`. `scales` has one entry (per tensor) or one
/// per output channel (dense: per unit); weight zero points are 0. `bias` (int32, scale s_in · s_w[c]) has one entry
/// per output channel.
public struct NodeWeights: Codable, Sendable, Equatable {
    public var filter: [Int8]
    public var scales: [Float]
    public var bias: [Int32]?

    public init(filter: [Int8], scales: [Float], bias: [Int32]?) { (self.filter, self.scales, self.bias) = (filter, scales, bias) }
}

extension QuantizedModel {
    /// The filter shape of a weighted node as TFLite stores it.
    public static func filterShape(_ node: Node, input: [Int], output: [Int]) -> [Int] {
        switch node.op {
        case .conv2d: return [output[2], node.kernel![0], node.kernel![1], input[2]]
        case .depthwiseConv2d: return [1, node.kernel![0], node.kernel![1], input[2]]
        case .dense: return [output[0], input.reduce(1, *)]
        default: return []
        }
    }

    /// Checks that every value has usable quantization and every weighted node consistent
    /// constants; returns the shapes. Errors name the node/value, the field and the cause.
    @discardableResult
    public func validate() throws -> [String: [Int]] {
        let shapes = try graph.inferShapes()
        func q(_ name: String) throws -> ValueQuantization {
            guard let v = values[name] else { throw GraphError("value '\(name)': no quantization given") }
            if v.type == .int8 {
                guard v.scale.isFinite && v.scale > 0 else { throw GraphError("value '\(name)': scale must be finite and > 0, got \(v.scale)") }
                guard (-128...127).contains(v.zeroPoint) else { throw GraphError("value '\(name)': zero point \(v.zeroPoint) is outside int8") }
            }
            return v
        }
        for input in graph.inputs { _ = try q(input.name) }
        for node in graph.nodes {
            let out = try q(node.name)
            let ins = try node.inputs.map(q)
            let fail = { (m: String) in GraphError("node '\(node.name)' (\(node.op.rawValue)): \(m)") }
            switch node.op {
            case .quantize:
                guard ins[0].type == .float32, out.type == .int8 else { throw fail("must map a float32 value to int8") }
            case .dequantize:
                guard ins[0].type == .int8, out.type == .float32 else { throw fail("must map an int8 value to float32") }
            default:
                for (name, v) in zip(node.inputs, ins) where v.type != .int8 {
                    throw fail("input '\(name)' is \(v.type.rawValue); this op needs int8 (float model where int8 is needed)")
                }
                guard out.type == .int8 else { throw fail("output is \(out.type.rawValue); this op needs int8") }
            }
            switch node.op {
            case .averagePool2d, .maxPool2d, .reshape, .dropout:
                guard ins[0] == out else {
                    throw fail("output quantization (scale \(out.scale), zero point \(out.zeroPoint)) must equal the input's (scale \(ins[0].scale), zero point \(ins[0].zeroPoint))")
                }
            case .softmax:
                guard out == .softmaxOutput else {
                    throw fail("int8 softmax output must have scale 1/256 and zero point -128, got scale \(out.scale), zero point \(out.zeroPoint)")
                }
            default: break
            }
            guard [.conv2d, .depthwiseConv2d, .dense].contains(node.op) else {
                if weights[node.name] != nil { throw fail("has weights but takes none") }
                continue
            }
            guard let w = weights[node.name] else { throw fail("no weights given") }
            let fshape = Self.filterShape(node, input: shapes[node.inputs[0]]!, output: shapes[node.name]!)
            let channels = node.op == .dense ? fshape[0] : fshape[node.op == .conv2d ? 0 : 3]
            guard let needed = Graph.elementCount(fshape) else { throw fail("filter shape \(fshape) is too large") }
            guard w.filter.count == needed else {
                throw fail("filter has \(w.filter.count) values, shape \(fshape) needs \(needed)")
            }
            guard w.scales.count == 1 || w.scales.count == channels else {
                throw fail("filter needs 1 or \(channels) scales, got \(w.scales.count)")
            }
            for (i, s) in w.scales.enumerated() where !(s.isFinite && s > 0) {
                throw fail("filter scale[\(i)] must be finite and > 0, got \(s)")
            }
            if node.hasBias {
                guard let b = w.bias else { throw fail("bias expected (\"bias\": true) but none given") }
                guard b.count == channels else { throw fail("bias has \(b.count) values, needs \(channels)") }
            } else if w.bias != nil {
                throw fail("bias given but the node says \"bias\": false")
            }
        }
        for o in graph.outputs { _ = try q(o) }
        return shapes
    }
}
