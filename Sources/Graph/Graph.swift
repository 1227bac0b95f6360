import Quant

/// The network description every stage shares (training, search, deploy): named values flowing
/// through operator nodes, shapes without the batch dimension (NHWC: time, sensors, channels).
///
/// JSON form:
/// ```json
/// {"name": "tr3", "inputs": [{"name": "x", "shape": [128, 9, 1]}],
///  "nodes": [{"name": "tr1", "op": "conv2d", "inputs": ["x"], "filters": 16,
///             "kernel": [5, 1], "stride": [2, 1], "activation": "RELU"}, …],
///  "outputs": ["probs"]}
/// ```
public struct Graph: Codable, Sendable, Equatable {
    public var name: String?
    public var inputs: [Input]
    public var nodes: [Node]
    public var outputs: [String]

    public init(name: String? = nil, inputs: [Input], nodes: [Node], outputs: [String]) {
        (self.name, self.inputs, self.nodes, self.outputs) = (name, inputs, nodes, outputs)
    }

    public struct Input: Codable, Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public init(name: String, shape: [Int]) { (self.name, self.shape) = (name, shape) }
    }

    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }
}

/// The operators a graph can hold. Raw values are the JSON `op` names.
public enum OpKind: String, Codable, Sendable, CaseIterable {
    /// 2-D convolution over (time, sensors); filters OHWI.
    case conv2d
    /// Depthwise 2-D convolution, depth multiplier 1; filter 1HWC.
    case depthwiseConv2d = "depthwise_conv2d"
    /// Fully connected over the whole (flattened) input; output `[units]`.
    case dense
    /// Element-wise sum of two same-shape values.
    case add
    case averagePool2d = "average_pool2d"
    case maxPool2d = "max_pool2d"
    /// Mean over time and sensors (global average pooling); output `[C]` or `[1, 1, C]` with `keep_dims`.
    case mean
    /// Softmax over the last axis.
    case softmax
    /// New shape for the same elements (one entry may be −1).
    case reshape
    /// Training-only; identity at inference (never exported).
    case dropout
    /// float32 → int8 at a model edge (identity in a float graph).
    case quantize
    /// int8 → float32 at a model edge (identity in a float graph).
    case dequantize
}

/// One operator: its kind, input value names, and the attributes its kind uses (others stay nil).
/// The node's output value carries the node's name.
public struct Node: Codable, Sendable, Equatable {
    public var name: String
    public var op: OpKind
    public var inputs: [String]
    /// conv2d: output channels.
    public var filters: Int?
    /// conv2d / depthwise_conv2d: [kh, kw].
    public var kernel: [Int]?
    /// average/max_pool2d: window [kh, kw].
    public var pool: [Int]?
    /// Window ops: [sh, sw], default [1, 1].
    public var stride: [Int]?
    /// Window ops: default SAME.
    public var padding: Padding?
    /// conv2d / depthwise / dense / add / pools: fused activation, default NONE.
    public var activation: Activation?
    /// conv2d / depthwise / dense: with a bias (default true).
    public var bias: Bool?
    /// dense: output units.
    public var units: Int?
    /// mean: keep the reduced axes as 1s (default false).
    public var keepDims: Bool?
    /// softmax: β (default 1).
    public var beta: Float?
    /// reshape: the new shape without batch.
    public var shape: [Int]?
    /// dropout: drop probability.
    public var rate: Float?

    enum CodingKeys: String, CodingKey {
        case name, op, inputs, filters, kernel, pool, stride, padding, activation, bias, units
        case keepDims = "keep_dims", beta, shape, rate
    }

    public init(name: String, op: OpKind, inputs: [String], filters: Int? = nil, kernel: [Int]? = nil, pool: [Int]? = nil,
                stride: [Int]? = nil, padding: Padding? = nil, activation: Activation? = nil, bias: Bool? = nil,
                units: Int? = nil, keepDims: Bool? = nil, beta: Float? = nil, shape: [Int]? = nil, rate: Float? = nil) {
        (self.name, self.op, self.inputs, self.filters, self.kernel, self.pool) = (name, op, inputs, filters, kernel, pool)
        (self.stride, self.padding, self.activation, self.bias, self.units) = (stride, padding, activation, bias, units)
        (self.keepDims, self.beta, self.shape, self.rate) = (keepDims, beta, shape, rate)
    }

    /// The window of a conv / depthwise / pooling node with defaults applied.
    public var window: WindowParams? {
        guard let k = (op == .averagePool2d || op == .maxPool2d) ? pool : kernel, k.count == 2 else { return nil }
        let s = stride ?? [1, 1]
        guard s.count == 2 else { return nil }
        return WindowParams(kernelH: k[0], kernelW: k[1], strideH: s[0], strideW: s[1], padding: padding ?? .same)
    }

    public var fusedActivation: Activation { activation ?? .none }
    public var hasBias: Bool { bias ?? true }
}

