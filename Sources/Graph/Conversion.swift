import Quant

/// A weighted node's trained float parameters in the training layout: conv2d filters HWIO
/// `[kh, kw, cin, cout]`, dense weights `[D, U]` (output channel on the last axis in both).
public struct FloatParameters: Sendable, Equatable {
    public var filter: [Float]
    public var filterShape: [Int]
    public var bias: [Float]?

    public init(filter: [Float], filterShape: [Int], bias: [Float]?) { (self.filter, self.filterShape, self.bias) = (filter, filterShape, bias) }
}

extension QuantizedModel {
    /// Symmetric per-channel int8 weight scales, the channel on the last axis: max|w_c| / 127 (1 for
    /// an all-zero channel). The same numbers `Tensor.symmetricChannelScales` gives the fake-quantized
    /// forward, so the converted model multiplies by exactly the weights training saw.
    public static func symmetricScales(_ filter: [Float], channels: Int) -> [Float] {
        var m = [Float](repeating: 0, count: channels)
        for i in 0..<filter.count { m[i % channels] = max(m[i % channels], abs(filter[i])) }
        return m.map { $0 > 0 ? $0 / 127 : 1 }
    }

    /// Float → int8 conversion (pure): a trained float graph, its parameters and the quantization of
    /// every value that requantizes — the graph input and the outputs of conv2d, dense, add and mean
    /// (from activation ranges tracked in training, or observed on representative windows) — give
    /// the int8 model TFLite would run: filters per output channel, symmetric, narrow range
    /// [−127, 127] (q = round(w / s_c), ties away from zero, division in float32); int32 biases at
    /// s_in · s_w[c]; pools, reshape and dropout keep their input's quantization; softmax outputs
    /// 1/256, −128. Conv2d filters are transposed HWIO → OHWI, dense weights [D, U] → [U, D].
    /// Errors name the node or value and the cause.
    public static func converting(_ graph: Graph, parameters: [String: FloatParameters], activations: [String: ValueQuantization],
                                  preprocessing: Preprocessing? = nil) throws -> QuantizedModel {
        let shapes = try graph.inferShapes()
        var values: [String: ValueQuantization] = [:]
        var weights: [String: NodeWeights] = [:]
        func given(_ name: String) throws -> ValueQuantization {
            guard let q = activations[name] else { throw GraphError("value '\(name)': no activation range (the network was not calibrated)") }
            guard q.type == .int8, q.scale.isFinite, q.scale > 0, (-128...127).contains(q.zeroPoint) else {
                throw GraphError("value '\(name)': activation quantization scale \(q.scale), zero point \(q.zeroPoint) is not usable int8")
            }
            return q
        }
        for input in graph.inputs { values[input.name] = try given(input.name) }
        for node in graph.nodes {
            let fail = { (m: String) in GraphError("node '\(node.name)' (\(node.op.rawValue)): \(m)") }
            guard let inQ = values[node.inputs.first ?? ""] else { throw fail("input has no quantization") }
            switch node.op {
            case .conv2d, .dense:
                guard let p = parameters[node.name] else { throw fail("no trained parameters") }
                let input = shapes[node.inputs[0]]!, output = shapes[node.name]!
                let target = filterShape(node, input: input, output: output)
                let channels = target[0]
                let depth = target.dropFirst().reduce(1, *)
                guard p.filter.count == channels * depth, p.filterShape.last == channels, p.filterShape.reduce(1, *) == p.filter.count else {
                    throw fail("trained filter \(p.filterShape) (\(p.filter.count) values) does not match \(target)")
                }
                guard p.filter.allSatisfy(\.isFinite), p.bias?.allSatisfy(\.isFinite) ?? true else { throw fail("parameters hold NaN or infinite values") }
                let scales = symmetricScales(p.filter, channels: channels)
                // Training layouts keep the channel last, so element (k, c) sits at k · channels + c
                // (k runs over h, w, i for conv2d and over the flattened input for dense): the OHWI /
                // [U, D] filter is the transpose.
                var filter = [Int8](repeating: 0, count: p.filter.count)
                for k in 0..<depth {
                    for c in 0..<channels {
                        let q = (p.filter[k * channels + c] / scales[c]).rounded(.toNearestOrAwayFromZero)
                        filter[c * depth + k] = Int8(max(-127, min(127, q)))
                    }
                }
                var bias: [Int32]? = nil
                if node.hasBias {
                    guard let b = p.bias, b.count == channels else { throw fail("needs \(channels) trained biases, got \(p.bias?.count ?? 0)") }
                    // q = round(b / (s_in · s_w)) with the product and the division in float32, as
                    // `Tensor.fakeQuantizedBias` rounds it in training.
                    bias = (0..<channels).map { c in
                        let q = (b[c] / (inQ.scale * scales[c])).rounded(.toNearestOrAwayFromZero)
                        return Int32(max(-2_147_483_647, min(2_147_483_647, Double(q))))
                    }
                } else if p.bias != nil {
                    throw fail("has a trained bias but the node says \"bias\": false")
                }
                weights[node.name] = NodeWeights(filter: filter, scales: scales, bias: bias)
                values[node.name] = try given(node.name)
            case .add, .mean:
                values[node.name] = try given(node.name)
            case .softmax:
                values[node.name] = .softmaxOutput
            case .averagePool2d, .maxPool2d, .reshape, .dropout:
                values[node.name] = inQ
            case .depthwiseConv2d, .quantize, .dequantize:
                throw fail("not convertible: micronas trains and converts conv2d, dense, add, mean, softmax, pools, reshape and dropout")
            }
        }
        let model = QuantizedModel(graph: graph, values: values, weights: weights, preprocessing: preprocessing)
        try model.validate()
        if let p = preprocessing, let input = graph.inputs.first { try p.validate(inputShape: input.shape) }
        return model
    }
}
