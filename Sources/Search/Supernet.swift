import Foundation
import Graph
import SearchSpace
import Support
import Tensor
import Training

/// The MicroNAS supernet over a search space: every architecture of the space is one setting of its
/// decision probabilities, and all of them share one set of weights.
///
/// - Time-Reduce cell i: a (k×1) stride-2 conv per kernel k ∈ {3, 5, 7} at the cell's maximum filter
///   count, ReLU; the cell's output is Σ_k p_k · conv_k(x), masked per channel by
///   m = Σ_j p_j · m_j (FBNetV2; m_j is 1 on the first f_j channels) — MicroNAS Eq. 4.
/// - Sensor-Fusion cell j: the (1×S_in) bottleneck conv (stride 1×s) at f_max, ReLU, masked by its
///   filter group; each (k×1) branch conv on it weighted by its "on" probability, the projection
///   (1×1, or 1×2 stride 2) on the cell input weighted by its "on" probability; their sum, ReLU,
///   masked by the shared filter group. A stride-1 cell's output is p_run · cell + p_skip · input.
/// - Output: 1×1 conv to the classes, global average pooling (logits; softmax is the loss's).
///
/// At one-hot probabilities the supernet computes exactly the lowered architecture with its weights'
/// leading channels (`network(for:)`): masked channels are zero, so the next conv's weights for them
/// do not matter. Dropout (0.3) follows every cell when a generator is given (weight steps).
public final class Supernet {
    public let space: SearchSpace
    /// Parameter names in a fixed order (`<node>.w`, `<node>.b`; nodes named as in the lowering).
    public let names: [String]
    public let parameters: [String: Tensor]
    public static let dropoutRate: Float = 0.3

    /// Channel masks per filter choice (constants).
    let trMasks: [Tensor], sfMasks: [Tensor]

    public init(space: SearchSpace, seed: UInt64) {
        self.space = space
        var g = SplitMix64(seed: seed)
        var names: [String] = [], parameters: [String: Tensor] = [:]
        func conv(_ node: String, _ kh: Int, _ kw: Int, _ cin: Int, _ cout: Int) {
            parameters[node + ".w"] = heUniform([kh, kw, cin, cout], fanIn: kh * kw * cin, using: &g)
            parameters[node + ".b"] = Tensor.zeros([cout], requiresGrad: true)
            names += [node + ".w", node + ".b"]
        }
        let fTR = space.trMaxFilters, fSF = space.sfMaxFilters
        var channels = 1
        for i in 0..<space.timeReduceCells {
            for k in SearchSpace.kernels { conv("tr\(i)_k\(k)", k, 1, channels, fTR) }
            channels = fTR
        }
        var width = space.sensors
        for j in 0..<space.sensorFusionCells {
            let s = space.isStride2(sensorCell: j) ? 2 : 1
            conv("sf\(j)_b", 1, width, channels, fSF)
            for k in SearchSpace.kernels { conv("sf\(j)_k\(k)", k, 1, fSF, fSF) }
            conv("sf\(j)_res", 1, s, channels, fSF)
            channels = fSF
            width = (width + s - 1) / s
        }
        conv("out", 1, 1, channels, space.classes)
        (self.names, self.parameters) = (names, parameters)
        func masks(_ choices: [Int], _ fMax: Int) -> [Tensor] {
            choices.map { f in Tensor(shape: [fMax], data: (0..<fMax).map { $0 < f ? 1 : 0 }) }
        }
        trMasks = masks(space.trFilterChoices, fTR)
        sfMasks = masks(space.sfFilterChoices, fSF)
    }

    /// The parameters in `names` order.
    public var orderedParameters: [Tensor] { names.map { parameters[$0]! } }

    /// Logits [N, classes] of windows `x` [N, T, S, 1] under decision probabilities `p`, with the
    /// given parameter tensors (default: the supernet's own; a worker passes copies, an
    /// architecture step constants). Paths whose probability is below `skipBelow` are left out (their
    /// contribution and its gradient are below that weight); 0 computes every path.
    public func forward(_ x: Tensor, _ p: DecisionProbabilities, parameters given: [String: Tensor]? = nil,
                        dropout generator: UnsafeMutablePointer<SplitMix64>? = nil, skipBelow threshold: Float = 0) -> Tensor {
        let w = given ?? parameters
        // Convs run at the widths the masks can still select: `input` carries only its leading
        // channels (the rest are zero), the output gets `outputs` channels.
        func conv(_ input: Tensor, _ node: String, outputs: Int, stride: (Int, Int) = (1, 1), relu: Bool) -> Tensor {
            let filter = w[node + ".w"]!.filterBlock(inputs: input.shape[3], outputs: outputs)
            return input.conv2d(filter, bias: w[node + ".b"]!.leadingChannels(outputs), stride: stride, same: true, relu: relu)
        }
        func kept(_ q: Tensor) -> [Int] {
            let top = q.data.indices.max { q.data[$0] < q.data[$1] }!
            return q.data.indices.filter { q.data[$0] >= threshold || $0 == top }
        }
        /// The mask over the widest selectable filter count, and that count.
        func mask(_ q: Tensor, _ masks: [Tensor], _ choices: [Int]) -> (Tensor, Int) {
            let k = kept(q)
            let width = k.map { choices[$0] }.max()!
            return (Tensor.weightedSum(q, indices: k, k.map { masks[$0] }).leadingChannels(width), width)
        }
        func drop(_ t: Tensor) -> Tensor {
            guard let g = generator else { return t }
            return t.dropout(rate: Self.dropoutRate, using: &g.pointee)
        }
        var h = x
        for (i, q) in p.timeReduce.enumerated() {
            let k = kept(q.kernel)
            let (m, width) = mask(q.filters, trMasks, space.trFilterChoices)
            let paths = k.map { conv(h, "tr\(i)_k\(SearchSpace.kernels[$0])", outputs: width, stride: (2, 1), relu: true) }
            h = drop(Tensor.weightedSum(q.kernel, indices: k, paths).channelScaled(m))
        }
        for (j, q) in p.sensorFusion.enumerated() {
            let s = space.isStride2(sensorCell: j) ? 2 : 1
            let runs = q.identity.map { $0.data[0] >= threshold || $0.data[0] >= $0.data[1] } ?? true
            var cell: Tensor? = nil
            if runs {
                let (mb, wb) = mask(q.bottleneck, sfMasks, space.sfFilterChoices)
                let (mf, wf) = mask(q.filters, sfMasks, space.sfFilterChoices)
                let b = conv(h, "sf\(j)_b", outputs: wb, stride: (1, s), relu: true).channelScaled(mb)
                var terms: [Tensor] = []
                for (ki, k) in SearchSpace.kernels.enumerated() where q.branches[ki].data[1] >= threshold {
                    terms.append(Tensor.weightedSum(q.branches[ki], indices: [1], [conv(b, "sf\(j)_k\(k)", outputs: wf, relu: false)]))
                }
                if q.residual.data[1] >= threshold {
                    terms.append(Tensor.weightedSum(q.residual, indices: [1], [conv(h, "sf\(j)_res", outputs: wf, stride: (1, s), relu: false)]))
                }
                // Every switch off: the cell outputs zeros (relaxation only; extraction repairs it).
                let zero = { Tensor.zeros(Array(b.shape.dropLast()) + [wf]) }
                let sum = terms.dropFirst().reduce(terms.first ?? zero()) { $0 + $1 }
                cell = sum.relu().channelScaled(mf)
            }
            if let id = q.identity {
                var indices: [Int] = [], values: [Tensor] = []
                if let c = cell { indices.append(0); values.append(c) }
                if id.data[1] >= threshold || cell == nil { indices.append(1); values.append(h) }
                let width = values.map { $0.shape[3] }.max()!
                h = Tensor.weightedSum(id, indices: indices, values.map { $0.paddedChannels(to: width) })
            } else {
                h = cell!
            }
            h = drop(h)
        }
        return conv(h, "out", outputs: space.classes, relu: false).meanHW()
    }

    /// The architecture `a` as a trainable network carrying the supernet's weights (each conv's
    /// leading input and output channels): the discrete network the supernet computes at `a`'s
    /// one-hot probabilities.
    public func network(for a: Architecture) throws -> GraphNetwork {
        let graph = try space.graph(for: a)
        let net = try GraphNetwork(graph, seed: 0)
        var c = Checkpoint(net, epoch: 0)
        for node in graph.nodes where node.op == .conv2d {
            let source: String
            if node.name.hasPrefix("tr") { source = "\(node.name)_k\(node.kernel![0])" } else { source = node.name }
            let target = net.weights[node.name]!.shape
            let w = parameters[source + ".w"]!, b = parameters[source + ".b"]!
            c.parameters[node.name]!.weight!.data = Self.leading(w, target)
            c.parameters[node.name]!.bias!.data = Array(b.data.prefix(target[3]))
        }
        try net.load(c)
        return net
    }

    /// The leading [kh, kw, cin, cout] block of an HWIO weight tensor of the same kh, kw.
    static func leading(_ w: Tensor, _ shape: [Int]) -> [Float] {
        let (kh, kw, ci, co) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        precondition(shape[0] == kh && shape[1] == kw && shape[2] <= ci && shape[3] <= co, "slice \(shape) of \(w.shape)")
        var out: [Float] = []
        out.reserveCapacity(shape.reduce(1, *))
        for y in 0..<kh { for x in 0..<kw { for i in 0..<shape[2] {
            let base = ((y * kw + x) * ci + i) * co
            out += w.data[base..<(base + shape[3])]
        } } }
        return out
    }
}
