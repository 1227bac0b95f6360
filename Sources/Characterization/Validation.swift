import Deploy
import Foundation
import Graph
import Kernels
import Metrics
import SearchSpace
import Support
import Targets

/// Predicted against measured, for random architectures run whole on the emulated board.
public struct ValidationReport: Sendable {
    public struct Sample: Sendable {
        public var predictedCycles: Double, measuredCycles: Double
        public var plannedArena: Int, measuredArena: Int
        public var macs: Int
        /// RAM beyond the arena: the stack the invoke used (painted-stack measurement) and the
        /// image's static RAM (.data + .bss: runtime, tensor table, the arena array itself excluded).
        public var stackBytes: Int, staticBytes: Int
    }
    public var architectures: [Sample]
    public var overheadCycles: Double
    /// Predicted against measured invoke latency, in ms.
    public var latency: ErrorStatistics
    /// Planned arena (the planner) against the measured high-water mark, in bytes.
    public var memory: ErrorStatistics
    /// A least-squares line of latency (ms) on MACs against the measured latency.
    public var macsProxy: ErrorStatistics
}

extension Characterizer {
    /// One architecture built as int8 firmware (random weights, seeded) and run warm on the board:
    /// Σ its table entries, the measured invoke cycles, the planned and measured arena, MACs, and
    /// the RAM beyond the arena.
    public struct Measurement: Sendable {
        public var tableCycles: Double, measuredCycles: Double
        public var plannedArena: Int, measuredArena: Int
        public var macs: Int, stackBytes: Int, staticBytes: Int
        public var flashBytes: Int
    }

    public func measure(_ arch: Architecture, table: LookupTable, seed: UInt64 = 1) throws -> Measurement {
        let graph = try space.graph(for: arch)
        let d = try Deployment(model: try RandomQuantization.model(for: graph, seed: seed), name: "architecture", board: board, toolchain: toolchain)
        let input = [UInt8]((0..<d.lowered.byteSize(d.lowered.inputs[0])).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let r = try d.run([input], warmup: .everySample)
        let arena = d.footprint.arenaBytes
        return Measurement(tableCycles: try Self.predictCycles(graph, table: table), measuredCycles: Double(r.invokeCycles[0]),
                           plannedArena: arena, measuredArena: r.arenaHighWater, macs: d.lowered.ops.reduce(0) { $0 + $1.macs },
                           stackBytes: r.stackBytes, staticBytes: d.footprint.staticRAMBytes - arena, flashBytes: d.footprint.flashBytes)
    }

    /// The per-invoke overhead: one architecture (the first `seed` samples) measured whole, less Σ
    /// its table entries — what `characterize` stores and `validate --seed` S measures first.
    public func measureOverhead(table: LookupTable, seed: UInt64 = 1) throws -> Double {
        var g = SplitMix64(seed: seed)
        let m = try measure(space.sample(using: &g), table: table, seed: seed)
        return m.measuredCycles - m.tableCycles
    }

    /// The key a space's overhead is stored under (every parameter that shapes its architectures).
    public static func spaceKey(_ s: SearchSpace) -> String {
        "\(s.time)x\(s.sensors) classes=\(s.classes) tr=\(s.trMaxFilters)/\(s.trGranularity) sf=\(s.sfMaxFilters)/\(s.sfGranularity) min=\(s.minTime)x\(s.minSensors) s1=\(s.stride1Cells)"
    }

    /// Samples `count` architectures (seeded), predicts each one's invoke cycles from `table`
    /// (Σ entries + the per-invoke overhead, measured once on an extra architecture), builds it as
    /// int8 firmware and runs it warm on the board. Memory: the planner's arena against the runner's
    /// measured high-water mark. MACs proxy: a least-squares line of cycles on MACs.
    public func validate(table: LookupTable, count: Int, seed: UInt64, progress: (Int) -> Void = { _ in }) throws -> ValidationReport {
        var g = SplitMix64(seed: seed)
        let calibration = try measure(space.sample(using: &g), table: table, seed: seed)
        let overhead = calibration.measuredCycles - calibration.tableCycles
        var rows: [ValidationReport.Sample] = []
        for i in 0..<count {
            let m = try measure(space.sample(using: &g), table: table, seed: seed)
            rows.append(.init(predictedCycles: m.tableCycles + overhead, measuredCycles: m.measuredCycles, plannedArena: m.plannedArena,
                              measuredArena: m.measuredArena, macs: m.macs, stackBytes: m.stackBytes, staticBytes: m.staticBytes))
            progress(i + 1)
        }
        let ms = 1000 / board.clockHz.value
        let measured = rows.map { $0.measuredCycles * ms }
        let proxy = LinearFit(x: rows.map { Double($0.macs) }, y: measured)
        return ValidationReport(architectures: rows, overheadCycles: overhead,
                                latency: ErrorStatistics(predicted: rows.map { $0.predictedCycles * ms }, measured: measured),
                                memory: ErrorStatistics(predicted: rows.map { Double($0.plannedArena) }, measured: rows.map { Double($0.measuredArena) }),
                                macsProxy: ErrorStatistics(predicted: rows.map { proxy(Double($0.macs)) }, measured: measured))
    }
}
