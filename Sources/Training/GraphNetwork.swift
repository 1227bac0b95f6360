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

    public init(_ graph: Graph, seed: UInt64) throws {
        self.graph = graph
        shapes = try graph.inferShapes()
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
    }

    /// A copy with its own parameter tensors (same values, own gradients): what a worker thread
    /// differentiates while another works on the other half of the batch.
    public func replica() -> GraphNetwork {
        func copy(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, data: t.data, requiresGrad: true) }
        return GraphNetwork(graph: graph, shapes: shapes, weights: weights.mapValues(copy), biases: biases.mapValues(copy))
    }

    /// Every trainable tensor, in node order (weight, then bias).
    public var parameters: [Tensor] {
        graph.nodes.flatMap { n in [weights[n.name], biases[n.name]].compactMap { $0 } }
    }

    /// The graph's output for a batch `x` [N] + input shape. With `logits`, a final softmax is left
    /// out (training uses log-softmax + NLL on its input). Dropout applies only when `generator` is given.
    public func forward(_ x: Tensor, logits: Bool = false, dropout generator: UnsafeMutablePointer<SplitMix64>? = nil) -> Tensor {
        var values: [String: Tensor] = [graph.inputs[0].name: x]
        let n = x.shape[0]
        let last = graph.outputs[0]
        for node in graph.nodes {
            let a = values[node.inputs[0]]!
            var y: Tensor
            switch node.op {
            case .conv2d:
                let s = node.stride ?? [1, 1]
                y = a.conv2d(weights[node.name]!, bias: biases[node.name], stride: (s[0], s[1]), same: (node.padding ?? .same) == .same,
                             relu: node.fusedActivation == .relu)
            case .dense:
                y = a.reshaped([n, a.count / n]).dense(weights[node.name]!, bias: biases[node.name])
            case .add:
                y = a + values[node.inputs[1]]!
            case .mean:
                y = a.meanHW()
                if node.keepDims == true { y = y.reshaped([n, 1, 1, y.shape[1]]) }
            case .softmax:
                y = (logits && node.name == last) ? a : a.scaled(by: node.beta ?? 1).softmax()
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
            values[node.name] = y
        }
        return values[last]!
    }
}
