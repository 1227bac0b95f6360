import Foundation
import Graph
import Support
import Tensor

/// A `Graph` with float parameters: conv2d filters HWIO [kh, kw, cin, cout], dense weights [D, U],
/// biases; He-uniform initialised from a seed. Trainable ops: conv2d, dense, add, mean, softmax,
/// reshape, dropout, quantize/dequantize (identity); fused NONE/RELU/RELU6.
public final class GraphNetwork {
    public let graph: Graph
    public let shapes: [String: [Int]]
    public private(set) var weights: [String: Tensor] = [:]
    public private(set) var biases: [String: Tensor] = [:]
    /// The values the int8 model requantizes — the graph input and every conv2d, dense, add and
    /// mean output (after its fused activation) — in graph order: where fake quantization sits.
    public let quantizationPoints: [String]
    /// For every value, the quantization point whose grid it is on (dropout, reshape and pools keep
    /// their input's quantization).
    let quantizationSource: [String: String]
    /// When set (one entry per quantization point), `forward` computes what the int8 model computes:
    /// weights fake-quantized per output channel, every quantization point fake-quantized with its
    /// entry, the softmax output onto TFLite's fixed 1/256, −128 grid (quantization-aware training,
    /// and the fake-quant prediction of a converted model).
    public var fakeQuantization: [String: ValueQuantization]?

    public init(_ graph: Graph, seed: UInt64) throws {
        self.graph = graph
        shapes = try graph.inferShapes()
        (quantizationPoints, quantizationSource) = Self.points(graph)
        guard graph.inputs.count == 1, graph.outputs.count == 1 else { throw GraphError("training needs one input and one output") }
        var g = SplitMix64(seed: seed)
        for node in graph.nodes {
            let input = shapes[node.inputs.first ?? ""] ?? []
            switch node.op {
            case .conv2d:
                guard input.count == 3 else { throw GraphError("node '\(node.name)' (conv2d): input must be [time, sensors, channels], got \(input)") }
                let k = node.kernel!
                weights[node.name] = heUniform([k[0], k[1], input[2], node.filters!], fanIn: k[0] * k[1] * input[2], using: &g)
                if node.hasBias { biases[node.name] = Tensor.zeros([node.filters!], requiresGrad: true) }
            case .dense:
                let d = input.reduce(1, *)
                weights[node.name] = heUniform([d, node.units!], fanIn: d, using: &g)
                if node.hasBias { biases[node.name] = Tensor.zeros([node.units!], requiresGrad: true) }
            case .depthwiseConv2d, .averagePool2d, .maxPool2d:
                throw GraphError("node '\(node.name)': \(node.op.rawValue) is not trainable yet (conv2d, dense, add, mean, softmax, reshape, dropout are)")
            default: break
            }
        }
    }

    private init(graph: Graph, shapes: [String: [Int]], weights: [String: Tensor], biases: [String: Tensor]) {
        (self.graph, self.shapes, self.weights, self.biases) = (graph, shapes, weights, biases)
        (quantizationPoints, quantizationSource) = Self.points(graph)
    }

    /// The ops whose output the int8 model requantizes.
    static let requantizing: Set<OpKind> = [.conv2d, .dense, .add, .mean]

    /// The quantization points, and for every value the point whose grid it is on.
    static func points(_ graph: Graph) -> ([String], [String: String]) {
        let points = graph.inputs.map(\.name) + graph.nodes.filter { requantizing.contains($0.op) }.map(\.name)
        var source: [String: String] = [:]
        for p in points { source[p] = p }
        for node in graph.nodes where [.dropout, .reshape, .averagePool2d, .maxPool2d].contains(node.op) {
            source[node.name] = source[node.inputs[0]]
        }
        return (points, source)
    }

    /// A copy with its own parameter tensors (same values, own gradients): what a worker thread
    /// differentiates while another works on the other half of the batch.
    public func replica() -> GraphNetwork {
        func copy(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, data: t.data, requiresGrad: true) }
        let r = GraphNetwork(graph: graph, shapes: shapes, weights: weights.mapValues(copy), biases: biases.mapValues(copy))
        r.fakeQuantization = fakeQuantization
        return r
    }

    /// Every trainable tensor, in node order (weight, then bias).
    public var parameters: [Tensor] {
        graph.nodes.flatMap { n in [weights[n.name], biases[n.name]].compactMap { $0 } }
    }

    /// The graph's output for a batch `x` [N] + input shape. With `logits`, a final softmax is left
    /// out (training uses log-softmax + NLL on its input). Dropout applies only when `generator` is given.
    /// `observe` sees every quantization point's float value before it is fake-quantized (range tracking).
    public func forward(_ x: Tensor, logits: Bool = false, dropout generator: UnsafeMutablePointer<SplitMix64>? = nil,
                        observe: ((String, Tensor) -> Void)? = nil) -> Tensor {
        let fq = fakeQuantization
        func point(_ name: String, _ t: Tensor) -> Tensor {
            observe?(name, t)
            guard let q = fq?[name] else { return t }
            return t.fakeQuantized(scale: q.scale, zeroPoint: q.zeroPoint)
        }
        // Weights per output channel; the int8 model's bias is int32 at s_in · s_w[c]: round it there
        // too (the channel scales computed once for both).
        func parameters(_ node: Node) -> (weight: Tensor, bias: Tensor?) {
            let w = weights[node.name]!, b = biases[node.name]
            guard fq != nil else { return (w, b) }
            let scales = w.symmetricChannelScales
            guard let b, let source = quantizationSource[node.inputs[0]], let inQ = fq?[source] else { return (w.fakeQuantizedPerChannel(scales: scales), b) }
            return (w.fakeQuantizedPerChannel(scales: scales), b.fakeQuantizedBias(scales: scales.map { inQ.scale * $0 }))
        }
        var values: [String: Tensor] = [graph.inputs[0].name: point(graph.inputs[0].name, x)]
        let n = x.shape[0]
        let last = graph.outputs[0]
        for node in graph.nodes {
            let a = values[node.inputs[0]]!
            var y: Tensor
            switch node.op {
            case .conv2d:
                let s = node.stride ?? [1, 1]
                let (w, b) = parameters(node)
                y = a.conv2d(w, bias: b, stride: (s[0], s[1]), same: (node.padding ?? .same) == .same,
                             relu: node.fusedActivation == .relu)
            case .dense:
                let (w, b) = parameters(node)
                y = a.reshaped([n, a.count / n]).dense(w, bias: b)
            case .add:
                y = a + values[node.inputs[1]]!
            case .mean:
                y = a.meanHW()
                if node.keepDims == true { y = y.reshaped([n, 1, 1, y.shape[1]]) }
            case .softmax:
                if logits && node.name == last { y = a } else {
                    y = a.scaled(by: node.beta ?? 1).softmax()
                    if fq != nil {
                        let q = ValueQuantization.softmaxOutput
                        y = y.fakeQuantized(scale: q.scale, zeroPoint: q.zeroPoint)
                    }
                }
            case .reshape:
                y = a.reshaped([n] + shapes[node.name]!)
            case .dropout:
                if let g = generator { y = a.dropout(rate: node.rate ?? 0, using: &g.pointee) } else { y = a }
            case .quantize, .dequantize:
                y = a
            case .depthwiseConv2d, .averagePool2d, .maxPool2d:
                preconditionFailure("rejected in init")
            }
            switch node.fusedActivation {
            case .relu where [.dense, .add].contains(node.op): y = y.relu()
            case .relu6 where [.conv2d, .dense, .add].contains(node.op): y = y.relu6()
            default: break
            }
            if Self.requantizing.contains(node.op) { y = point(node.name, y) }
            values[node.name] = y
        }
        return values[last]!
    }
}
