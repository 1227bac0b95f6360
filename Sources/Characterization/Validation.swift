import Deploy
import Emulator
import Foundation
import Graph
import Kernels
import SearchSpace
import Targets

/// Predicted against measured, for random architectures run whole on the emulated board.
public struct ValidationReport: Sendable {
    public struct Stats: Sendable, Codable {
        public var r2: Double
        public var maeMs: Double
        public var mape: Double
        public var maxAbsPct: Double
        enum CodingKeys: String, CodingKey { case r2, maeMs = "mae_ms", mape, maxAbsPct = "max_abs_pct" }
    }
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
    public var latency: Stats
    /// Planned arena (the planner) against the measured high-water mark, in bytes as "ms" fields' analogue.
    public var memory: Stats
    public var macsProxy: Stats
}

extension Characterizer {
    /// One architecture built as int8 firmware (random weights, seeded) and run warm on the board:
    /// Σ its table entries, the measured invoke cycles, the planned and measured arena, MACs, and
    /// the RAM beyond the arena.
    public struct Measurement: Sendable {
        public var tableCycles: Double, measuredCycles: Double
        public var plannedArena: Int, measuredArena: Int
        public var macs: Int, stackBytes: Int, staticBytes: Int
    }

    public func measure(_ arch: Architecture, table: LookupTable, seed: UInt64 = 1) throws -> Measurement {
        let graph = try space.graph(for: arch)
        let model = try RandomQuantization.model(for: graph, seed: seed)
        let lowered = try LoweredModel(model)
        let runner = try ModelRunner(lowered, toolchain: toolchain, boards: [board])
        let input = [UInt8]((0..<lowered.byteSize(lowered.inputs[0])).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let r = try runner.runEmulated(board: board, samples: [input], warm: true)
        let image = try ELFImage(path: try runner.firmware(board: board).path)
        let arena = runner.generator.plan.arenaBytes
        return Measurement(tableCycles: try Self.predictCycles(graph, table: table), measuredCycles: Double(r.invokeCycles[0]),
                           plannedArena: arena, measuredArena: r.arenaHighWater, macs: lowered.ops.reduce(0) { $0 + $1.macs },
                           stackBytes: r.stackBytes, staticBytes: ModelRunner.imageSizes(image, board: board).staticRAM - arena)
    }

    /// The per-invoke overhead: one architecture (the first `seed` samples) measured whole, less Σ
    /// its table entries — what `characterize` stores and `validate --seed` S measures first.
    public func measureOverhead(table: LookupTable, seed: UInt64 = 1) throws -> Double {
        var g = SeededGenerator(seed: seed)
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
        var g = SeededGenerator(seed: seed)
        let calibration = try measure(space.sample(using: &g), table: table, seed: seed)
        let overhead = calibration.measuredCycles - calibration.tableCycles
        var rows: [ValidationReport.Sample] = []
        for i in 0..<count {
            let m = try measure(space.sample(using: &g), table: table, seed: seed)
            rows.append(.init(predictedCycles: m.tableCycles + overhead, measuredCycles: m.measuredCycles, plannedArena: m.plannedArena,
                              measuredArena: m.measuredArena, macs: m.macs, stackBytes: m.stackBytes, staticBytes: m.staticBytes))
            progress(i + 1)
        }
        let msPerCycle = 1000 / board.clockHz.value
        func stats(_ predicted: [Double], _ measured: [Double], scale: Double) -> ValidationReport.Stats {
            let mean = measured.reduce(0, +) / Double(measured.count)
            let ssRes = zip(predicted, measured).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            let ssTot = measured.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let errors = zip(predicted, measured).map { abs($0 - $1) }
            let pct = zip(errors, measured).map { $1 > 0 ? 100 * $0 / $1 : 0 }
            return .init(r2: ssTot > 0 ? 1 - ssRes / ssTot : 1, maeMs: errors.reduce(0, +) / Double(errors.count) * scale,
                         mape: pct.reduce(0, +) / Double(pct.count), maxAbsPct: pct.max() ?? 0)
        }
        let measured = rows.map(\.measuredCycles)
        // Least squares of measured cycles on MACs.
        let x = rows.map { Double($0.macs) }
        let mx = x.reduce(0, +) / Double(x.count), my = measured.reduce(0, +) / Double(measured.count)
        let sxy = zip(x, measured).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = sxx > 0 ? sxy / sxx : 0
        let proxy = x.map { my + slope * ($0 - mx) }
        return ValidationReport(architectures: rows, overheadCycles: overhead,
                                latency: stats(rows.map(\.predictedCycles), measured, scale: msPerCycle),
                                memory: stats(rows.map { Double($0.plannedArena) }, rows.map { Double($0.measuredArena) }, scale: 1),
                                macsProxy: stats(proxy, measured, scale: msPerCycle))
    }
}
