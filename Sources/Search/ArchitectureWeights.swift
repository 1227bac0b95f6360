import Foundation
import SearchSpace
import Support
import Tensor

/// The architecture weights α: one vector of logits per decision group of the space (MicroNAS
/// Fig. 5/6), in the order of `DecisionProbabilities` — per Time-Reduce cell the kernel and the
/// filters; per Sensor-Fusion cell the identity switch (stride-1 cells: [run, skip]), the
/// bottleneck filters, the three branch switches ([off, on]), the projection switch and the shared
/// filters. All start at zero (every choice equally likely).
public final class ArchitectureWeights {
    public let space: SearchSpace
    /// Every group's logits, in decision order (`groupNames` names them).
    public let groups: [Tensor]

    public init(space: SearchSpace, values: [[Float]]? = nil) {
        self.space = space
        let sizes = Self.groupSizes(space)
        groups = sizes.enumerated().map { i, n in
            Tensor(shape: [n], data: values?[i] ?? [Float](repeating: 0, count: n), requiresGrad: true)
        }
    }

    /// Option counts of the space's groups, in decision order.
    public static func groupSizes(_ space: SearchSpace) -> [Int] {
        var sizes: [Int] = []
        for _ in 0..<space.timeReduceCells { sizes += [SearchSpace.kernels.count, space.trFilterChoices.count] }
        for j in 0..<space.sensorFusionCells {
            if !space.isStride2(sensorCell: j) { sizes.append(2) }
            sizes += [space.sfFilterChoices.count, 2, 2, 2, 2, space.sfFilterChoices.count]
        }
        return sizes
    }

    /// A readable name per group: `tr0.kernel`, `tr0.filters`, `sf1.identity`, `sf1.bottleneck`,
    /// `sf1.k3`, `sf1.k5`, `sf1.k7`, `sf1.residual`, `sf1.filters`.
    public static func groupNames(_ space: SearchSpace) -> [String] {
        var names: [String] = []
        for i in 0..<space.timeReduceCells { names += ["tr\(i).kernel", "tr\(i).filters"] }
        for j in 0..<space.sensorFusionCells {
            if !space.isStride2(sensorCell: j) { names.append("sf\(j).identity") }
            names += ["sf\(j).bottleneck"] + SearchSpace.kernels.map { "sf\(j).k\($0)" } + ["sf\(j).residual", "sf\(j).filters"]
        }
        return names
    }

    /// The options of each group as labels (filter counts, kernels, off/on, run/skip).
    public static func groupOptions(_ space: SearchSpace) -> [[String]] {
        var options: [[String]] = []
        let tr = space.trFilterChoices.map(String.init), sf = space.sfFilterChoices.map(String.init)
        for _ in 0..<space.timeReduceCells { options += [SearchSpace.kernels.map(String.init), tr] }
        for j in 0..<space.sensorFusionCells {
            if !space.isStride2(sensorCell: j) { options.append(["run", "skip"]) }
            options += [sf, ["off", "on"], ["off", "on"], ["off", "on"], ["off", "on"], sf]
        }
        return options
    }

    /// Fresh tensors with the same values (a worker's own copy to differentiate).
    public func copy() -> ArchitectureWeights { ArchitectureWeights(space: space, values: groups.map(\.data)) }

    public var values: [[Float]] { groups.map(\.data) }

    /// One Gumbel sample per group (the same noise gives the same sample on every copy).
    public func noise(using g: inout some RandomNumberGenerator) -> [[Float]] {
        groups.map { Tensor.gumbelNoise($0.count, using: &g) }
    }

    /// The pseudo-probabilities: Gumbel-softmax of every group with `noise` at temperature `tau`,
    /// or (no noise) the plain softmax of α — what logs and expected costs report.
    public func probabilities(noise: [[Float]]? = nil, temperature tau: Float = 1) -> DecisionProbabilities {
        let p = groups.enumerated().map { i, a in noise.map { a.gumbelSoftmax(temperature: tau, noise: $0[i]) } ?? a.softmax() }
        return Self.assemble(p, space: space)
    }

    /// Probability vectors in decision order → the structure the cost and the supernet read.
    static func assemble(_ p: [Tensor], space: SearchSpace) -> DecisionProbabilities {
        var k = 0
        func next() -> Tensor { defer { k += 1 }; return p[k] }
        var tr: [DecisionProbabilities.TimeReduce] = []
        for _ in 0..<space.timeReduceCells { tr.append(.init(kernel: next(), filters: next())) }
        var sf: [DecisionProbabilities.SensorFusion] = []
        for j in 0..<space.sensorFusionCells {
            let identity = space.isStride2(sensorCell: j) ? nil : next()
            let bottleneck = next()
            let branches = [next(), next(), next()]
            let residual = next()
            sf.append(.init(identity: identity, bottleneck: bottleneck, branches: branches, residual: residual, filters: next()))
        }
        return DecisionProbabilities(timeReduce: tr, sensorFusion: sf)
    }

    /// What extraction changed to make the argmax a valid architecture.
    public struct Extraction: Sendable {
        public var architecture: Architecture
        /// E.g. "sf1: every branch and the projection were off; turned on the k5 branch (the most likely)".
        public var repairs: [String]
    }

    /// The most likely choice of every group (ties: the first option). A Sensor-Fusion cell whose
    /// argmax has every branch and the projection off (outside the space) gets the one of them whose
    /// "on" is most likely.
    public func argmax() -> Extraction {
        func best(_ t: Tensor) -> Int {
            var b = 0
            for i in t.data.indices where t.data[i] > t.data[b] { b = i }
            return b
        }
        let p = Self.assemble(groups, space: space)
        let tr = p.timeReduce.map { Architecture.TimeReduce(kernel: SearchSpace.kernels[best($0.kernel)], filters: space.trFilterChoices[best($0.filters)]) }
        var repairs: [String] = []
        let sf = p.sensorFusion.enumerated().map { j, q -> Architecture.SensorFusion in
            var c = Architecture.SensorFusion(identity: q.identity.map { best($0) == 1 } ?? false,
                                              bottleneckFilters: space.sfFilterChoices[best(q.bottleneck)], branches: q.branches.map { best($0) == 1 },
                                              filters: space.sfFilterChoices[best(q.filters)], residual: best(q.residual) == 1)
            if !c.isValid {
                let switches = q.branches + [q.residual]
                var pick = 0
                for i in switches.indices where switches[i].data[1] - switches[i].data[0] > switches[pick].data[1] - switches[pick].data[0] { pick = i }
                let what = pick < 3 ? "the k\(SearchSpace.kernels[pick]) branch" : "the projection"
                if pick < 3 { c.branches[pick] = true } else { c.residual = true }
                repairs.append("sf\(j): every branch and the projection were off; turned on \(what), the most likely of them")
            }
            return c
        }
        return Extraction(architecture: Architecture(timeReduce: tr, sensorFusion: sf), repairs: repairs)
    }
}
