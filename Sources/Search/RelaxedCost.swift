import Characterization
import Deploy
import Graph
import SearchSpace
import Tensor

/// Probability vectors over every decision group of an architecture — what the differentiable
/// search's pseudo-probabilities (Gumbel-softmax of α) hand to the cost functions. Binary groups are
/// [false, true].
public struct DecisionProbabilities {
    public struct TimeReduce {
        /// Over `SearchSpace.kernels` (3, 5, 7).
        public var kernel: Tensor
        /// Over the space's Time-Reduce filter choices.
        public var filters: Tensor
        public init(kernel: Tensor, filters: Tensor) { (self.kernel, self.filters) = (kernel, filters) }
    }

    public struct SensorFusion {
        /// Stride-1 cells only: [the cell runs, the cell is skipped].
        public var identity: Tensor?
        /// Over the Sensor-Fusion filter choices.
        public var bottleneck: Tensor
        /// The (3, 5, 7)×1 branches, each [off, on].
        public var branches: [Tensor]
        /// The residual projection, [off, on].
        public var residual: Tensor
        /// Over the Sensor-Fusion filter choices (branches and projection share it).
        public var filters: Tensor
        public init(identity: Tensor?, bottleneck: Tensor, branches: [Tensor], residual: Tensor, filters: Tensor) {
            (self.identity, self.bottleneck, self.branches, self.residual, self.filters) = (identity, bottleneck, branches, residual, filters)
        }
    }

    public var timeReduce: [TimeReduce]
    public var sensorFusion: [SensorFusion]
    public init(timeReduce: [TimeReduce], sensorFusion: [SensorFusion]) { (self.timeReduce, self.sensorFusion) = (timeReduce, sensorFusion) }

    /// The architecture as one-hot vectors (`requiresGrad` for gradient checks).
    public static func oneHot(_ a: Architecture, in space: SearchSpace, requiresGrad: Bool = false) -> DecisionProbabilities {
        func hot(_ i: Int, _ n: Int) -> Tensor {
            Tensor(shape: [n], data: (0..<n).map { $0 == i ? 1 : 0 }, requiresGrad: requiresGrad)
        }
        func bit(_ b: Bool) -> Tensor { hot(b ? 1 : 0, 2) }
        let tr = space.trFilterChoices, sf = space.sfFilterChoices
        return DecisionProbabilities(
            timeReduce: a.timeReduce.map { .init(kernel: hot(SearchSpace.kernels.firstIndex(of: $0.kernel)!, 3), filters: hot(tr.firstIndex(of: $0.filters)!, tr.count)) },
            sensorFusion: a.sensorFusion.enumerated().map { j, c in
                // An identity cell's other decisions are free; any valid choice prices the same.
                .init(identity: space.isStride2(sensorCell: j) ? nil : bit(c.identity),
                      bottleneck: hot(sf.firstIndex(of: c.bottleneckFilters) ?? 0, sf.count), branches: c.branches.map(bit),
                      residual: bit(c.residual), filters: hot(sf.firstIndex(of: c.filters) ?? 0, sf.count))
            })
    }
}

/// The hardware cost of probability vectors over the search space's decisions: expected invoke
/// cycles and expected peak arena bytes, as scalar tensors whose gradients reach every
/// probability (MicroNAS Eq. 5).
///
/// Eq. 5 prices a dynamic conv as α̂_yᵀ · HW · α̂_x, HW being the table's cycles over the (input
/// filters × output filters) grid. Here each cell is priced as one expectation over all of its
/// decision groups and the distribution of its input's channel count (`Tensor.multilinear`): for a
/// single conv that is exactly α̂_yᵀ · HW · α̂_x; for a Sensor-Fusion cell it also prices the ADDs
/// exactly (their number follows from which branches and projection are on, their size from the
/// shared filter decision) and the skip (a stride-1 cell's output channels are the mixture
/// p_skip · α̂_x + p_run · α̂_y). At one-hot vectors the cycles are Σ table entries of the lowered
/// architecture + the per-invoke overhead, and the bytes the liveness peak of the deploy planner's
/// buffers for it (`MemoryPlanner.livenessPeak`: 16-byte-rounded activations and kernel scratch
/// alive at one op; the greedy arena equals it unless placement fragments).
///
/// A Sensor-Fusion cell with every branch and the projection off is outside the discrete space; the
/// relaxation prices it as its bottleneck conv alone (what the supernet computes for it).
public struct RelaxedCost: Sendable {
    public let space: SearchSpace
    public let overheadCycles: Double

    /// Per cell: expected-value tables over (input channels, the cell's decision groups in
    /// `DecisionProbabilities` order), cycles and bytes.
    struct CellTables: Sendable { var cycles: [Float]; var bytes: [Float] }
    let timeReduce: [CellTables]
    let sensorFusion: [CellTables]
    let output: CellTables

    /// Builds the cell tables from `table`; throws naming a configuration the table lacks.
    public init(space: SearchSpace, table: LookupTable, overheadCycles: Double) throws {
        self.space = space
        self.overheadCycles = overheadCycles
        // One cell's configuration, priced as any graph is (Σ its table entries) and its liveness peak.
        func price(_ nodes: [Node], input: [Int], into c: inout CellTables) throws {
            let cell = Graph(name: "cell", inputs: [.init(name: "in", shape: input)], nodes: nodes, outputs: [nodes.last!.name])
            c.cycles.append(Float(try Characterizer.predictCycles(cell, table: table)))
            c.bytes.append(Float(try Self.livenessPeak(cell)))
        }
        let tr = space.trFilterChoices, sf = space.sfFilterChoices
        var t = space.time
        var channels = [1]
        var trTables: [CellTables] = []
        for i in 0..<space.timeReduceCells {
            var c = CellTables(cycles: [], bytes: [])
            for x in channels { for k in SearchSpace.kernels { for f in tr {
                try price([space.timeReduceNode(i, .init(kernel: k, filters: f), input: "in")], input: [t, space.sensors, x], into: &c)
            } } }
            trTables.append(c)
            t = (t + 1) / 2
            channels = tr
        }
        var width = space.sensors
        var sfTables: [CellTables] = []
        for j in 0..<space.sensorFusionCells {
            var c = CellTables(cycles: [], bytes: [])
            let identities = space.isStride2(sensorCell: j) ? [false] : [false, true]
            for x in channels { for skip in identities { for b in sf { for bits in 0..<16 { for f in sf {
                if skip { c.cycles.append(0); c.bytes.append(0); continue }
                let branches = [bits & 8 != 0, bits & 4 != 0, bits & 2 != 0], residual = bits & 1 != 0
                let cell = Architecture.SensorFusion(bottleneckFilters: b, branches: branches, filters: f, residual: residual || !branches.contains(true))
                var nodes = space.sensorFusionNodes(j, cell, input: "in", width: width).nodes
                if !residual && !branches.contains(true) { nodes = [nodes[0]] }
                try price(nodes, input: [t, width, x], into: &c)
            } } } } }
            sfTables.append(c)
            if space.isStride2(sensorCell: j) { width = (width + 1) / 2 }
            channels = sf
        }
        var out = CellTables(cycles: [], bytes: [])
        for x in channels { try price(space.outputNodes(input: "in"), input: [t, width, x], into: &out) }
        (timeReduce, sensorFusion, output) = (trTables, sfTables, out)
    }

    /// Expected invoke cycles (including the per-invoke overhead) and expected peak arena bytes
    /// (the largest cell's expected peak).
    public func expected(_ p: DecisionProbabilities) -> (cycles: Tensor, bytes: Tensor) {
        precondition(p.timeReduce.count == timeReduce.count && p.sensorFusion.count == sensorFusion.count,
                     "probabilities for \(p.timeReduce.count)+\(p.sensorFusion.count) cells, the space has \(timeReduce.count)+\(sensorFusion.count)")
        var channels = Tensor(shape: [1], data: [1])
        var cycles = Tensor.scalar(Float(overheadCycles))
        var peaks: [Tensor] = []
        for (c, q) in zip(timeReduce, p.timeReduce) {
            let factors = [channels, q.kernel, q.filters]
            cycles = cycles + Tensor.multilinear(c.cycles, factors)
            peaks.append(Tensor.multilinear(c.bytes, factors))
            channels = q.filters
        }
        for (c, q) in zip(sensorFusion, p.sensorFusion) {
            let factors = [channels] + (q.identity.map { [$0] } ?? []) + [q.bottleneck] + q.branches + [q.residual, q.filters]
            cycles = cycles + Tensor.multilinear(c.cycles, factors)
            peaks.append(Tensor.multilinear(c.bytes, factors))
            channels = q.identity.map { Tensor.mixture($0, [q.filters, channels]) } ?? q.filters
        }
        cycles = cycles + Tensor.multilinear(output.cycles, [channels])
        peaks.append(Tensor.multilinear(output.bytes, [channels]))
        return (cycles, Tensor.maximum(peaks))
    }

    /// The largest sum of 16-byte-rounded buffers alive at one node of `cell` (a cell, run on its
    /// input made before it; its output outlives it): activations from their producer to their last
    /// reader, and each conv's scratch (`MemoryPlanner.convScratchBytes`).
    static func livenessPeak(_ cell: Graph) throws -> Int {
        func rounded(_ n: Int) -> Int { (n + MemoryPlan.alignment - 1) / MemoryPlan.alignment * MemoryPlan.alignment }
        let shapes = try cell.inferShapes()
        let input = cell.inputs[0].name
        var lastUse = [input: -1]
        for (i, n) in cell.nodes.enumerated() { for name in n.inputs { lastUse[name] = i } }
        lastUse[cell.outputs[0]] = cell.nodes.count
        var peak = 0
        for (i, n) in cell.nodes.enumerated() {
            var live = lastUse[input]! >= i ? rounded(shapes[input]!.reduce(1, *)) : 0
            for (k, m) in cell.nodes.enumerated() where k <= i && (lastUse[m.name] ?? k) >= i {
                live += rounded(shapes[m.name]!.reduce(1, *))
            }
            if n.op == .conv2d, let w = n.window {
                live += rounded(MemoryPlanner.convScratchBytes(kernelH: w.kernelH, kernelW: w.kernelW, inputChannels: shapes[n.inputs[0]]!.last!))
            }
            peak = max(peak, live)
        }
        return peak
    }
}
