import Quant

extension Graph {
    /// Largest dimension and element count micronas accepts (far beyond any microcontroller model;
    /// they keep size arithmetic on hostile inputs from overflowing).
    public static let maxDimension = 1 << 24
    public static let maxElements = 1 << 31

    /// Product of `shape`, or nil when it exceeds `maxElements` or a dimension is negative.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxElements else { return nil }
            n = p
        }
        return n
    }

    /// The shape (without batch) of every value: graph inputs and node outputs. Nodes must come in
    /// execution order (every input defined above its use). Throws a `GraphError` naming the node,
    /// the field and both shapes when the graph cannot be built.
    public func inferShapes() throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        guard !inputs.isEmpty else { throw GraphError("graph has no inputs") }
        for input in inputs {
            guard shapes[input.name] == nil else { throw GraphError("input '\(input.name)': name used twice") }
            guard !input.shape.isEmpty, input.shape.allSatisfy({ $0 > 0 && $0 <= Graph.maxDimension }), Graph.elementCount(input.shape) != nil else {
                throw GraphError("input '\(input.name)': shape \(input.shape) must have positive dimensions of at most \(Graph.maxDimension) and at most \(Graph.maxElements) elements")
            }
            shapes[input.name] = input.shape
        }
        for node in nodes {
            guard shapes[node.name] == nil else { throw GraphError("node '\(node.name)': name used twice") }
            let ins = try node.inputs.map { name -> [Int] in
                guard let s = shapes[name] else {
                    throw GraphError("node '\(node.name)': input '\(name)' is not a graph input or an earlier node")
                }
                return s
            }
            let out = try node.outputShape(inputs: ins)
            guard out.allSatisfy({ $0 <= Graph.maxDimension }), Graph.elementCount(out) != nil else {
                throw GraphError("node '\(node.name)' (\(node.op.rawValue)): output shape \(out) is too large")
            }
            shapes[node.name] = out
        }
        guard !outputs.isEmpty else { throw GraphError("graph has no outputs") }
        for o in outputs where shapes[o] == nil { throw GraphError("output '\(o)' is not a graph input or node") }
        return shapes
    }
}

extension Node {
    func fail(_ message: String) -> GraphError { GraphError("node '\(name)' (\(op.rawValue)): \(message)") }

    func expectInputs(_ n: Int, _ shapes: [[Int]]) throws {
        guard shapes.count == n else { throw fail("takes \(n) input\(n == 1 ? "" : "s"), got \(shapes.count)") }
    }

    func positive(_ value: Int?, _ field: String) throws -> Int {
        guard let v = value else { throw fail("missing '\(field)'") }
        guard v > 0, v <= Graph.maxDimension else { throw fail("'\(field)' must be in 1...\(Graph.maxDimension), got \(v)") }
        return v
    }

    func validWindow(input s: [Int]) throws -> (WindowParams, h: Int, w: Int) {
        let field = (op == .averagePool2d || op == .maxPool2d) ? "pool" : "kernel"
        guard s.count == 3 else { throw fail("input must be [time, sensors, channels], got \(s)") }
        guard let k = (field == "pool" ? pool : kernel) else { throw fail("missing '\(field)'") }
        guard k.count == 2, k.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else { throw fail("'\(field)' must be two sizes in 1...65536, got \(k)") }
        if let st = stride, st.count != 2 || !st.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) {
            throw fail("'stride' must be two positive steps, got \(st)")
        }
        let w = window!
        let (oh, ow) = w.outputHW(Shape4(1, s[0], s[1], s[2]))
        guard oh > 0, ow > 0 else {
            throw fail("\(field) \(k) with \(w.padding.rawValue) padding does not fit input \(s) (output \(oh)x\(ow))")
        }
        return (w, oh, ow)
    }

    /// Output shape for these input shapes (attribute defaults applied, everything checked).
    public func outputShape(inputs s: [[Int]]) throws -> [Int] {
        switch op {
        case .conv2d:
            try expectInputs(1, s)
            let f = try positive(filters, "filters")
            let (_, oh, ow) = try validWindow(input: s[0])
            return [oh, ow, f]
        case .depthwiseConv2d:
            try expectInputs(1, s)
            let (_, oh, ow) = try validWindow(input: s[0])
            return [oh, ow, s[0][2]]
        case .averagePool2d, .maxPool2d:
            try expectInputs(1, s)
            let (_, oh, ow) = try validWindow(input: s[0])
            return [oh, ow, s[0][2]]
        case .dense:
            try expectInputs(1, s)
            return [try positive(units, "units")]
        case .add:
            try expectInputs(2, s)
            guard s[0] == s[1] else { throw fail("inputs '\(inputs[0])' \(s[0]) and '\(inputs[1])' \(s[1]) differ in shape") }
            return s[0]
        case .mean:
            try expectInputs(1, s)
            guard s[0].count == 3 else { throw fail("input must be [time, sensors, channels], got \(s[0])") }
            return keepDims == true ? [1, 1, s[0][2]] : [s[0][2]]
        case .softmax:
            try expectInputs(1, s)
            if let b = beta, !(b.isFinite && b > 0) { throw fail("'beta' must be finite and > 0, got \(b)") }
            return s[0]
        case .reshape:
            try expectInputs(1, s)
            guard let target = shape, !target.isEmpty else { throw fail("missing 'shape'") }
            let count = s[0].reduce(1, *)
            let unknown = target.filter { $0 == -1 }.count
            guard unknown <= 1, target.allSatisfy({ $0 > 0 || $0 == -1 }) else {
                throw fail("'shape' \(target) must be positive sizes with at most one -1")
            }
            guard let known = Graph.elementCount(target.filter { $0 > 0 }) else { throw fail("'shape' \(target) is too large") }
            if unknown == 1 {
                guard count % known == 0 else { throw fail("cannot reshape \(s[0]) (\(count) elements) to \(target)") }
                return target.map { $0 == -1 ? count / known : $0 }
            }
            guard known == count else { throw fail("cannot reshape \(s[0]) (\(count) elements) to \(target) (\(known) elements)") }
            return target
        case .dropout:
            try expectInputs(1, s)
            if let r = rate, !(r >= 0 && r < 1) { throw fail("'rate' must be in [0, 1), got \(r)") }
            return s[0]
        case .quantize, .dequantize:
            try expectInputs(1, s)
            return s[0]
        }
    }
}
