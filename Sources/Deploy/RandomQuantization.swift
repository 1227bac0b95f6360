import Foundation
import Graph
import Kernels
import Quant
import Support

/// An int8 model for any graph with random weights and plausible scales — what characterization
/// and its validation build when only the architecture matters (latency and memory do not depend
/// on the weight values). Scales follow the accumulator spread, as `RandomModel` does, so
/// activations use the int8 range instead of saturating.
public enum RandomQuantization {
    public static func model(for graph: Graph, seed: UInt64) throws -> QuantizedModel {
        let shapes = try graph.inferShapes()
        var g = SplitMix64(seed: seed)
        var values: [String: ValueQuantization] = [:]
        var weights: [String: NodeWeights] = [:]
        for input in graph.inputs { values[input.name] = ValueQuantization(scale: 0.05, zeroPoint: 0) }
        for node in graph.nodes {
            let inQ = values[node.inputs[0]]!
            switch node.op {
            case .conv2d, .depthwiseConv2d, .dense:
                let input = shapes[node.inputs[0]]!, output = shapes[node.name]!
                let fshape = QuantizedModel.filterShape(node, input: input, output: output)
                let channels = node.op == .depthwiseConv2d ? fshape[3] : fshape[0]
                let scales = (0..<channels).map { _ in Float.random(in: 0.005...0.03, using: &g) }
                let count = fshape.reduce(1, *)
                weights[node.name] = NodeWeights(filter: (0..<count).map { _ in Int8.random(in: -127...127, using: &g) }, scales: scales,
                                                 bias: node.hasBias ? (0..<channels).map { _ in Int32.random(in: -2000...2000, using: &g) } : nil)
                let k = count / channels
                let spread = sqrt(Double(k)) * Double(inQ.scale) * 50 * Double(scales.reduce(0, +) / Float(channels)) * 50
                values[node.name] = ValueQuantization(scale: Float(spread * 4 / 127), zeroPoint: node.fusedActivation == .none ? 0 : -100)
            case .add:
                let other = values[node.inputs[1]]!
                values[node.name] = ValueQuantization(scale: max(inQ.scale, other.scale) * 1.5, zeroPoint: node.fusedActivation == .none ? 0 : -100)
            case .mean:
                values[node.name] = ValueQuantization(scale: inQ.scale, zeroPoint: inQ.zeroPoint)
            case .softmax:
                values[node.name] = .softmaxOutput
            case .averagePool2d, .maxPool2d, .reshape, .dropout:
                values[node.name] = inQ
            case .quantize:
                values[node.name] = ValueQuantization(scale: 0.05, zeroPoint: 0)
            case .dequantize:
                values[node.name] = .float32
            }
        }
        let model = QuantizedModel(graph: graph, values: values, weights: weights)
        try model.validate()
        return model
    }
}
