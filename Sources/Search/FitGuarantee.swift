import Characterization
import Foundation
import Graph
import SearchSpace
import Tensor

/// DESIGN decision 8, a limit is a promise kept by measurement: an architecture is built as int8
/// firmware and run on the emulated board (`Characterizer.measure`: the latency and arena do not
/// depend on the weights' values), and while its measured latency, planned arena or flash exceeds a
/// limit it is shrunk by one step — of all single steps (one cell's filter count down one
/// granularity step; when no filter count can go lower, one branch or projection switched off) the
/// one that lowers the table's figure for the exceeded limit most — and measured again. When no step
/// is left, the fastest architecture of the space within the arena limit (exact, from the table)
/// is tried; if even that does not fit, the error says by how much.
public struct FitGuarantee {
    public let characterizer: Characterizer
    public let table: LookupTable
    public let cost: RelaxedCost
    public let limits: HardwareLimits

    public init(characterizer: Characterizer, table: LookupTable, cost: RelaxedCost, limits: HardwareLimits) {
        (self.characterizer, self.table, self.cost, self.limits) = (characterizer, table, cost, limits)
    }

    /// One architecture's figures: predicted by the table and measured on the board.
    public struct Figures: Codable, Sendable, Equatable {
        public var architecture: Architecture
        public var predictedMs: Double, measuredMs: Double
        public var predictedCycles: Double, measuredCycles: Double
        /// Liveness peak the search priced, the planner's arena, the runner's high-water mark.
        public var livenessBytes: Int, plannedArenaBytes: Int, measuredArenaBytes: Int
        public var stackBytes: Int, flashBytes: Int

        enum CodingKeys: String, CodingKey {
            case architecture
            case predictedMs = "predicted_ms", measuredMs = "measured_ms", predictedCycles = "predicted_cycles", measuredCycles = "measured_cycles"
            case livenessBytes = "liveness_bytes", plannedArenaBytes = "planned_arena_bytes", measuredArenaBytes = "measured_arena_bytes"
            case stackBytes = "stack_bytes", flashBytes = "flash_bytes"
        }
    }

    public struct Result: Sendable {
        public var figures: Figures
        /// What was changed, in order (empty: the architecture fitted as it was).
        public var changes: [String]
        public var measured: Int
    }

    var clockHz: Double { characterizer.board.clockHz.value }

    /// The limits `f` exceeds, as text (empty: it fits).
    public func violations(_ f: Figures) -> [String] {
        var v: [String] = []
        if f.measuredMs > limits.latencyMs { v.append(String(format: "latency %.3f ms > %.3f ms", f.measuredMs, limits.latencyMs)) }
        if f.plannedArenaBytes > limits.arenaBytes { v.append("arena \(f.plannedArenaBytes) B > \(limits.arenaBytes) B") }
        if let flash = limits.flashBytes, f.flashBytes > flash { v.append("flash \(f.flashBytes) B > \(flash) B") }
        return v
    }

    /// Builds and runs `a` on the board.
    public func measure(_ a: Architecture) throws -> Figures {
        let m = try characterizer.measure(a, table: table)
        let priced = Tensor.withoutGradients { cost.expected(DecisionProbabilities.oneHot(a, in: cost.space)) }
        let predicted = m.tableCycles + cost.overheadCycles
        return Figures(architecture: a, predictedMs: predicted / clockHz * 1000, measuredMs: m.measuredCycles / clockHz * 1000,
                       predictedCycles: predicted, measuredCycles: m.measuredCycles, livenessBytes: Int(priced.bytes.data[0]),
                       plannedArenaBytes: m.plannedArena, measuredArenaBytes: m.measuredArena, stackBytes: m.stackBytes, flashBytes: m.flashBytes)
    }

    /// `a` measured and, while it exceeds a limit, shrunk and measured again. `note` hears each step.
    public func fit(_ a: Architecture, note: (String) -> Void = { _ in }) throws -> Result {
        var figures = try measure(a)
        var changes: [String] = []
        var measured = 1
        while true {
            let over = violations(figures)
            if over.isEmpty { return Result(figures: figures, changes: changes, measured: measured) }
            let latency = figures.measuredMs > limits.latencyMs
            let memory = figures.plannedArenaBytes > limits.arenaBytes
            if let (next, what) = step(figures.architecture, latency: latency, memory: memory) {
                let change = "\(what) (\(over.joined(separator: ", ")))"
                note(change)
                changes.append(change)
                figures = try measure(next)
                measured += 1
                continue
            }
            guard let fallback = cost.fastest(withinBytes: limits.arenaBytes), fallback.architecture != figures.architecture else {
                throw SearchError("no architecture of the space fits on \(characterizer.board.name): the smallest step-down still has \(over.joined(separator: ", "))")
            }
            let change = "no step left; replaced by the space's fastest architecture within the arena limit (\(over.joined(separator: ", ")))"
            note(change)
            changes.append(change)
            figures = try measure(fallback.architecture)
            measured += 1
            let still = violations(figures)
            if !still.isEmpty {
                throw SearchError("no architecture of the space fits on \(characterizer.board.name): even its fastest within the arena limit has \(still.joined(separator: ", "))")
            }
        }
    }

    /// The single step that lowers the table's figure for the exceeded limit most (latency: cycles;
    /// memory: liveness peak; flash: weight count), with its description; nil when none is left.
    public func step(_ a: Architecture, latency: Bool, memory: Bool) -> (Architecture, String)? {
        let space = cost.space
        var candidates: [(Architecture, String)] = []
        for (i, c) in a.timeReduce.enumerated() where c.filters > space.trGranularity {
            var b = a
            b.timeReduce[i].filters -= space.trGranularity
            candidates.append((b, "Time-Reduce cell \(i): \(c.filters) → \(c.filters - space.trGranularity) filters"))
        }
        for (j, c) in a.sensorFusion.enumerated() where !c.identity {
            if c.bottleneckFilters > space.sfGranularity {
                var b = a
                b.sensorFusion[j].bottleneckFilters -= space.sfGranularity
                candidates.append((b, "Sensor-Fusion cell \(j): bottleneck \(c.bottleneckFilters) → \(c.bottleneckFilters - space.sfGranularity) filters"))
            }
            if c.filters > space.sfGranularity {
                var b = a
                b.sensorFusion[j].filters -= space.sfGranularity
                candidates.append((b, "Sensor-Fusion cell \(j): \(c.filters) → \(c.filters - space.sfGranularity) filters"))
            }
        }
        if candidates.isEmpty {
            for (j, c) in a.sensorFusion.enumerated() where !c.identity && (c.branches.filter { $0 }.count + (c.residual ? 1 : 0)) > 1 {
                for k in c.branches.indices where c.branches[k] {
                    var b = a
                    b.sensorFusion[j].branches[k] = false
                    candidates.append((b, "Sensor-Fusion cell \(j): k\(SearchSpace.kernels[k]) branch off"))
                }
                if c.residual {
                    var b = a
                    b.sensorFusion[j].residual = false
                    candidates.append((b, "Sensor-Fusion cell \(j): projection off"))
                }
            }
        }
        func figure(_ b: Architecture) -> Double {
            let (cycles, bytes) = Tensor.withoutGradients { cost.expected(DecisionProbabilities.oneHot(b, in: space)) }
            if latency { return Double(cycles.data[0]) + (memory ? Double(bytes.data[0]) * 1e-9 : 0) }
            if memory { return Double(bytes.data[0]) }
            return Double(Self.weightCount(b, in: space))
        }
        return candidates.min { figure($0.0) < figure($1.0) }
    }

    /// Conv weights of the lowered architecture (what flash grows with).
    static func weightCount(_ a: Architecture, in space: SearchSpace) -> Int {
        guard let g = try? space.graph(for: a), let shapes = try? g.inferShapes() else { return 0 }
        return g.nodes.reduce(0) { sum, n in
            guard n.op == .conv2d, let k = n.kernel, let f = n.filters, let cin = shapes[n.inputs[0]]?.last else { return sum }
            return sum + k[0] * k[1] * cin * f
        }
    }
}
