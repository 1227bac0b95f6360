import Foundation
import Graph

/// The MicroNAS search space for a window (time × sensors) and a class count: Time-Reduce cells,
/// Sensor-Fusion cells, an output cell (DESIGN.md, "The search space").
///
/// Cell counts: a Time-Reduce cell halves time (SAME, stride 2: ⌈T/2⌉); there is one per halving
/// that keeps time ≥ `minTime` (16). A stride-2 Sensor-Fusion cell halves the sensors (⌈S/2⌉); there
/// is one per halving that keeps them ≥ `minSensors` (5), each followed by `stride1Cells` (2)
/// stride-1 cells. For 128×9: 3 Time-Reduce, 1 + 2 Sensor-Fusion cells; for 64×30: 2 Time-Reduce,
/// 2 × 3 Sensor-Fusion cells (30 → 15 → 8; a third halving would give 4 < 5).
public struct SearchSpace: Codable, Sendable, Equatable {
    public var time: Int
    public var sensors: Int
    public var classes: Int
    public var trMaxFilters = 16, trGranularity = 4
    public var sfMaxFilters = 64, sfGranularity = 8
    public var minTime = 16, minSensors = 5, stride1Cells = 2
    public static let kernels = [3, 5, 7]

    enum CodingKeys: String, CodingKey {
        case time, sensors, classes
        case trMaxFilters = "tr_max_filters", trGranularity = "tr_granularity", sfMaxFilters = "sf_max_filters", sfGranularity = "sf_granularity"
        case minTime = "min_time", minSensors = "min_sensors", stride1Cells = "stride1_cells"
    }

    /// Checks the configuration: a window long enough for one Time-Reduce cell, ≥ 2 classes,
    /// granularities dividing the maximum filter counts.
    public init(time: Int, sensors: Int, classes: Int, trMaxFilters: Int = 16, trGranularity: Int = 4,
                sfMaxFilters: Int = 64, sfGranularity: Int = 8, minTime: Int = 16, minSensors: Int = 5, stride1Cells: Int = 2) throws {
        (self.time, self.sensors, self.classes) = (time, sensors, classes)
        (self.trMaxFilters, self.trGranularity, self.sfMaxFilters, self.sfGranularity) = (trMaxFilters, trGranularity, sfMaxFilters, sfGranularity)
        (self.minTime, self.minSensors, self.stride1Cells) = (minTime, minSensors, stride1Cells)
        try validate()
    }

    /// Largest window, class count, filter count and stride-1 cell count a space may have: far
    /// beyond any microcontroller model, and small enough that no size computed from them overflows.
    public static let maxWindowSide = 1 << 20, maxClasses = 1 << 16, maxFilters = 1 << 16, maxStride1Cells = 64

    public func validate() throws {
        guard time >= 1, sensors >= 1 else { throw SearchSpaceError("window \(time)x\(sensors) must be positive") }
        guard time <= Self.maxWindowSide, sensors <= Self.maxWindowSide else {
            throw SearchSpaceError("window \(time)x\(sensors) is too large (at most \(Self.maxWindowSide) samples and \(Self.maxWindowSide) sensors)")
        }
        guard classes <= Self.maxClasses else { throw SearchSpaceError("\(classes) classes is too many (at most \(Self.maxClasses))") }
        guard trMaxFilters <= Self.maxFilters, sfMaxFilters <= Self.maxFilters else {
            throw SearchSpaceError("maximum filter counts \(trMaxFilters) and \(sfMaxFilters): at most \(Self.maxFilters)")
        }
        guard stride1Cells <= Self.maxStride1Cells, minTime <= Self.maxWindowSide, minSensors <= Self.maxWindowSide else {
            throw SearchSpaceError("cell limits too large (stride-1 cells at most \(Self.maxStride1Cells), minimum time and sensors at most \(Self.maxWindowSide))")
        }
        guard classes >= 2 else { throw SearchSpaceError("\(classes) class(es): a classifier needs at least 2") }
        for (name, g, m) in [("Time-Reduce", trGranularity, trMaxFilters), ("Sensor-Fusion", sfGranularity, sfMaxFilters)] {
            guard g >= 1, m >= g, m % g == 0 else {
                throw SearchSpaceError("\(name) granularity \(g) does not divide its maximum filter count \(m)")
            }
        }
        guard minTime >= 1, minSensors >= 1, stride1Cells >= 0 else { throw SearchSpaceError("cell limits must be positive") }
        guard timeReduceCells >= 1 else {
            throw SearchSpaceError("window of \(time) samples is too short for one Time-Reduce cell (needs ⌈T/2⌉ ≥ \(minTime), i.e. T ≥ \(2 * minTime - 1))")
        }
    }

    static func halvings(_ n: Int, keeping minimum: Int) -> Int {
        var v = n, k = 0
        while (v + 1) / 2 >= minimum { v = (v + 1) / 2; k += 1 }
        return k
    }

    public var timeReduceCells: Int { Self.halvings(time, keeping: minTime) }
    public var stride2SensorCells: Int { Self.halvings(sensors, keeping: minSensors) }
    public var sensorFusionCells: Int { stride2SensorCells * (1 + stride1Cells) }

    /// Whether Sensor-Fusion cell `i` halves the sensors (the first of each group of 1 + stride1Cells).
    public func isStride2(sensorCell i: Int) -> Bool { i % (1 + stride1Cells) == 0 }

    public var trFilterChoices: [Int] { Array(stride(from: trGranularity, through: trMaxFilters, by: trGranularity)) }
    public var sfFilterChoices: [Int] { Array(stride(from: sfGranularity, through: sfMaxFilters, by: sfGranularity)) }
}

/// One point of the space: a choice for every decision group.
public struct Architecture: Codable, Sendable, Equatable, Hashable {
    public struct TimeReduce: Codable, Sendable, Equatable, Hashable {
        public var kernel: Int
        public var filters: Int
        public init(kernel: Int, filters: Int) { (self.kernel, self.filters) = (kernel, filters) }
    }

    public struct SensorFusion: Codable, Sendable, Equatable, Hashable {
        /// Stride-1 cells only: skip the cell (its output is its input).
        public var identity: Bool
        public var bottleneckFilters: Int
        /// The (3, 5, 7)×1 branches, each on or off.
        public var branches: [Bool]
        /// Filters shared by the branches and the residual projection.
        public var filters: Int
        public var residual: Bool

        enum CodingKeys: String, CodingKey { case identity, bottleneckFilters = "bottleneck_filters", branches, filters, residual }
        public init(identity: Bool = false, bottleneckFilters: Int, branches: [Bool], filters: Int, residual: Bool) {
            (self.identity, self.bottleneckFilters, self.branches, self.filters, self.residual) = (identity, bottleneckFilters, branches, filters, residual)
        }

        /// A non-identity cell must produce something: a branch or the projection.
        public var isValid: Bool { identity || branches.contains(true) || residual }
    }

    public var timeReduce: [TimeReduce]
    public var sensorFusion: [SensorFusion]

    enum CodingKeys: String, CodingKey { case timeReduce = "time_reduce", sensorFusion = "sensor_fusion" }
    public init(timeReduce: [TimeReduce], sensorFusion: [SensorFusion]) { (self.timeReduce, self.sensorFusion) = (timeReduce, sensorFusion) }
}

extension Architecture {
    /// One line: `TR 5×1/16 3×1/8 · SF b32 k3+k7+res/48 · skip · …`.
    public var summary: String {
        let tr = timeReduce.map { "\($0.kernel)x1/\($0.filters)" }.joined(separator: " ")
        let sf = sensorFusion.map { c -> String in
            if c.identity { return "skip" }
            let terms = zip(SearchSpace.kernels, c.branches).filter(\.1).map { "k\($0.0)" } + (c.residual ? ["res"] : [])
            return "b\(c.bottleneckFilters) \(terms.joined(separator: "+"))/\(c.filters)"
        }
        return sf.isEmpty ? "TR \(tr)" : "TR \(tr) · SF " + sf.joined(separator: " · ")
    }
}
