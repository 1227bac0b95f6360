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
            nodes.append(Node(name: "tr\(i)", op: .conv2d, inputs: [current], filters: c.filters, kernel: [c.kernel, 1], stride: [2, 1],
                              padding: .same, activation: .relu))
            current = "tr\(i)"
            drop(current)
        }
        for (j, c) in a.sensorFusion.enumerated() where !c.identity {
            let s = isStride2(sensorCell: j) ? 2 : 1
            let cellInput = current
            nodes.append(Node(name: "sf\(j)_b", op: .conv2d, inputs: [cellInput], filters: c.bottleneckFilters, kernel: [1, width],
                              stride: [1, s], padding: .same, activation: .relu))
            var terms: [String] = []
            for (k, on) in zip(Self.kernels, c.branches) where on {
                nodes.append(Node(name: "sf\(j)_k\(k)", op: .conv2d, inputs: ["sf\(j)_b"], filters: c.filters, kernel: [k, 1],
                                  padding: .same, activation: Activation.none))
                terms.append("sf\(j)_k\(k)")
            }
            if c.residual {
                nodes.append(Node(name: "sf\(j)_res", op: .conv2d, inputs: [cellInput], filters: c.filters, kernel: [1, s], stride: [1, s],
                                  padding: .same, activation: Activation.none))
                terms.append("sf\(j)_res")
            }
            if terms.count == 1 {
                let k = nodes.lastIndex { $0.name == terms[0] }!
                nodes[k].activation = .relu
                current = terms[0]
            } else {
                var sum = terms[0]
                for (t, term) in terms.dropFirst().enumerated() {
                    let name = t == terms.count - 2 ? "sf\(j)" : "sf\(j)_sum\(t)"
                    nodes.append(Node(name: name, op: .add, inputs: [sum, term], activation: t == terms.count - 2 ? .relu : Activation.none))
                    sum = name
                }
                current = sum
            }
            width = (width + s - 1) / s
            drop("sf\(j)")
        }
        nodes.append(Node(name: "out", op: .conv2d, inputs: [current], filters: classes, kernel: [1, 1], padding: .same))
        nodes.append(Node(name: "gap", op: .mean, inputs: ["out"]))
        nodes.append(Node(name: "probs", op: .softmax, inputs: ["gap"]))
        let g = Graph(name: "micronas-\(time)x\(sensors)", inputs: [.init(name: "window", shape: [time, sensors, 1])], nodes: nodes, outputs: ["probs"])
        _ = try g.inferShapes()
        return g
    }
}
