import Graph
import Quant

extension SearchSpace {
    /// The architecture as a `Graph` (NHWC, input [T, S, 1]):
    /// - Time-Reduce cell i: `tr{i}` CONV (k×1), stride 2×1, SAME, ReLU.
    /// - Sensor-Fusion cell j (skipped when identity): bottleneck `sf{j}_b` CONV (1×S_in), stride 1×s
    ///   (s = 2 for halving cells), ReLU; branches `sf{j}_k{k}` CONV (k×1) on the bottleneck; the
    ///   residual projection `sf{j}_res` CONV (1×1), or (1×2) stride 2 in halving cells, on the cell's
    ///   input; all present terms summed by ADD nodes, ReLU on the last (on the conv when alone).
    /// - Output: `out` CONV 1×1 to the classes, `gap` MEAN, `probs` SOFTMAX.
    /// With `dropout`, a DROPOUT node (0.3) follows every cell (training only; not exported).
    public func graph(for a: Architecture, dropout: Bool = false) throws -> Graph {
        try validate(a)
        var nodes: [Node] = []
        var current = "window"
        var width = sensors
        func drop(_ name: String) {
            guard dropout else { return }
            nodes.append(Node(name: "\(name)_drop", op: .dropout, inputs: [current], rate: 0.3))
            current = "\(name)_drop"
        }
        for (i, c) in a.timeReduce.enumerated() {
            nodes.append(timeReduceNode(i, c, input: current))
            current = "tr\(i)"
            drop(current)
        }
        for (j, c) in a.sensorFusion.enumerated() where !c.identity {
            let cell = sensorFusionNodes(j, c, input: current, width: width)
            nodes += cell.nodes
            current = cell.output
            width = (width + cell.stride - 1) / cell.stride
            drop("sf\(j)")
        }
        nodes += outputNodes(input: current)
        let g = Graph(name: "micronas-\(time)x\(sensors)", inputs: [.init(name: "window", shape: [time, sensors, 1])], nodes: nodes, outputs: ["probs"])
        _ = try g.inferShapes()
        return g
    }

    /// Time-Reduce cell `i`: CONV (k×1), stride 2×1, SAME, ReLU.
    public func timeReduceNode(_ i: Int, _ c: Architecture.TimeReduce, input: String) -> Node {
        Node(name: "tr\(i)", op: .conv2d, inputs: [input], filters: c.filters, kernel: [c.kernel, 1], stride: [2, 1], padding: .same, activation: .relu)
    }

    /// Sensor-Fusion cell `j` (not identity) on an input `width` sensors wide: its nodes, output and sensor stride.
    public func sensorFusionNodes(_ j: Int, _ c: Architecture.SensorFusion, input: String, width: Int) -> (nodes: [Node], output: String, stride: Int) {
        let s = isStride2(sensorCell: j) ? 2 : 1
        var nodes = [Node(name: "sf\(j)_b", op: .conv2d, inputs: [input], filters: c.bottleneckFilters, kernel: [1, width],
                          stride: [1, s], padding: .same, activation: .relu)]
        var terms: [String] = []
        for (k, on) in zip(Self.kernels, c.branches) where on {
            nodes.append(Node(name: "sf\(j)_k\(k)", op: .conv2d, inputs: ["sf\(j)_b"], filters: c.filters, kernel: [k, 1],
                              padding: .same, activation: Activation.none))
            terms.append("sf\(j)_k\(k)")
        }
        if c.residual {
            nodes.append(Node(name: "sf\(j)_res", op: .conv2d, inputs: [input], filters: c.filters, kernel: [1, s], stride: [1, s],
                              padding: .same, activation: Activation.none))
            terms.append("sf\(j)_res")
        }
        if terms.count == 1 {
            let k = nodes.lastIndex { $0.name == terms[0] }!
            nodes[k].activation = .relu
            return (nodes, terms[0], s)
        }
        var sum = terms[0]
        for (t, term) in terms.dropFirst().enumerated() {
            let name = t == terms.count - 2 ? "sf\(j)" : "sf\(j)_sum\(t)"
            nodes.append(Node(name: name, op: .add, inputs: [sum, term], activation: t == terms.count - 2 ? .relu : Activation.none))
            sum = name
        }
        return (nodes, sum, s)
    }

    /// Output cell: CONV 1×1 to the classes, MEAN, SOFTMAX.
    public func outputNodes(input: String) -> [Node] {
        [Node(name: "out", op: .conv2d, inputs: [input], filters: classes, kernel: [1, 1], padding: .same),
         Node(name: "gap", op: .mean, inputs: ["out"]),
         Node(name: "probs", op: .softmax, inputs: ["gap"])]
    }
}
