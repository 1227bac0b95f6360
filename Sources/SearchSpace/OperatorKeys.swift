import Graph

/// What an operator's latency depends on, as text: the op, its input shape and its parameters
/// (never the weights or the quantization: the kernels' timing does not depend on them). The keys
/// of a lowered architecture are all in `operatorKeys()` of its space — the lookup table's rows.
public struct OperatorKey: Hashable, Codable, Comparable, Sendable, CustomStringConvertible {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var description: String { text }
    public static func < (a: OperatorKey, b: OperatorKey) -> Bool { a.text < b.text }

    /// The key of `node` on inputs of `shapes` (nil for ops that cost nothing: dropout, reshape).
    public static func of(_ node: Node, inputs shapes: [[Int]]) -> OperatorKey? {
        let input = shapes[0].map(String.init).joined(separator: "x")
        switch node.op {
        case .conv2d:
            let w = node.window!
            return OperatorKey("conv2d in=\(input) k=\(w.kernelH)x\(w.kernelW) s=\(w.strideH)x\(w.strideW) \(w.padding.rawValue) f=\(node.filters!)")
        case .add: return OperatorKey("add \(input)")
        case .mean: return OperatorKey("mean \(input)")
        case .softmax: return OperatorKey("softmax \(input)")
        case .dense: return OperatorKey("dense in=\(input) u=\(node.units!)")
        case .depthwiseConv2d, .averagePool2d, .maxPool2d:
            let w = node.window!
            return OperatorKey("\(node.op.rawValue) in=\(input) k=\(w.kernelH)x\(w.kernelW) s=\(w.strideH)x\(w.strideW) \(w.padding.rawValue)")
        case .dropout, .reshape, .quantize, .dequantize: return nil
        }
    }
}

extension Graph {
    /// The operator keys of every costed node, in node order.
    public func operatorKeys() throws -> [OperatorKey] {
        let shapes = try inferShapes()
        return nodes.compactMap { OperatorKey.of($0, inputs: $0.inputs.map { shapes[$0]! }) }
    }
}

extension SearchSpace {
    /// Every operator configuration any architecture of the space lowers to: per cell position, every
    /// input-channel count that can reach it times every choice of the cell, built by the same
    /// functions the lowering uses.
    public func operatorKeys() -> Set<OperatorKey> { Set(operatorSpecs().keys) }

    /// Each operator configuration with a node that has it and that node's input shapes (what the
    /// characterization builds a kernel call from).
    public func operatorSpecs() -> [OperatorKey: (node: Node, inputs: [[Int]])] {
        var keys: [OperatorKey: (node: Node, inputs: [[Int]])] = [:]
        func collect(_ nodes: [Node], input: [Int]) {
            var shapes: [String: [Int]] = ["in": input]
            for n in nodes {
                let ins = n.inputs.map { shapes[$0]! }
                if let k = OperatorKey.of(n, inputs: ins), keys[k] == nil { keys[k] = (n, ins) }
                shapes[n.name] = try? n.outputShape(inputs: ins)
            }
        }
        var t = time
        var channels = [1]
        for i in 0..<timeReduceCells {
            for c in channels { for k in Self.kernels { for f in trFilterChoices {
                collect([timeReduceNode(i, .init(kernel: k, filters: f), input: "in")], input: [t, sensors, c])
            } } }
            t = (t + 1) / 2
            channels = trFilterChoices
        }
        var width = sensors
        for j in 0..<sensorFusionCells {
            for c in channels { for b in sfFilterChoices { for f in sfFilterChoices { for bits in 1..<16 {
                let cell = Architecture.SensorFusion(bottleneckFilters: b, branches: (0..<3).map { bits >> $0 & 1 == 1 }, filters: f, residual: bits & 8 != 0)
                collect(sensorFusionNodes(j, cell, input: "in", width: width).nodes, input: [t, width, c])
            } } } }
            if isStride2(sensorCell: j) { width = (width + 1) / 2 }
            channels = sfFilterChoices
        }
        for c in channels { collect(outputNodes(input: "in"), input: [t, width, c]) }
        return keys
    }
}
