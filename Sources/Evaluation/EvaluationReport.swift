import Deploy
import Foundation
import Metrics

/// Every figure of an evaluation, as `micronas evaluate --json` prints it.
public struct EvaluationReport: Codable, Sendable {
    public struct ClassFigures: Codable, Sendable {
        public var name: String
        public var precision: Double, recall: Double, f1: Double
        /// Windows of the class in the split.
        public var support: Int
    }

    /// Per-window latency of the timed invokes. Median: the mean of the two middle values for an
    /// even count; p99: the nearest-rank 99th percentile (the ⌈0.99·n⌉-th smallest).
    public struct Latency: Codable, Sendable {
        public var medianCycles: Double, p99Cycles: UInt32, maxCycles: UInt32, minCycles: UInt32
        public var medianMs: Double, p99Ms: Double, maxMs: Double

        enum CodingKeys: String, CodingKey {
            case medianCycles = "median_cycles", p99Cycles = "p99_cycles", maxCycles = "max_cycles", minCycles = "min_cycles"
            case medianMs = "median_ms", p99Ms = "p99_ms", maxMs = "max_ms"
        }
    }

    public var target: String
    public var model: String
    public var dataset: String
    public var split: String
    public var windows: Int
    public var accuracy: Double
    public var macroF1: Double
    public var perClass: [ClassFigures]
    /// `confusion[actual][predicted]`.
    public var confusion: [[Int]]
    public var latency: Latency
    public var clockHz: Double
    public var arenaBytesPlanned: Int
    public var arenaBytesMeasured: Int
    public var stackBytes: Int
    public var flashBytes: Int
    public var staticRAMBytes: Int
    /// Every window's output equalled the Swift reference interpreter's (an evaluation that differs
    /// stops with an error, so a report always says true).
    public var bitExact: Bool
    public var workers: Int
    public var wallSeconds: Double

    enum CodingKeys: String, CodingKey {
        case target, model, dataset, split, windows, accuracy, macroF1 = "macro_f1", perClass = "per_class", confusion, latency
        case clockHz = "clock_hz", arenaBytesPlanned = "arena_bytes_planned", arenaBytesMeasured = "arena_bytes_measured"
        case stackBytes = "stack_bytes", flashBytes = "flash_bytes", staticRAMBytes = "static_ram_bytes", bitExact = "bit_exact"
        case workers, wallSeconds = "wall_seconds"
    }

    init(target: String, model: String, dataset: String, split: String, confusion: ConfusionMatrix, classes: [String], cycles: [UInt32],
         clockHz: Double, footprint: Deployment.Footprint, arenaMeasured: Int, stack: Int, workers: Int, wallSeconds: Double) {
        (self.target, self.model, self.dataset, self.split) = (target, model, dataset, split)
        windows = confusion.total
        accuracy = confusion.accuracy
        macroF1 = confusion.macroF1
        let (p, r, f) = (confusion.precisionPerClass, confusion.recallPerClass, confusion.f1PerClass)
        perClass = classes.indices.map { ClassFigures(name: classes[$0], precision: p[$0], recall: r[$0], f1: f[$0], support: confusion.counts[$0].reduce(0, +)) }
        self.confusion = confusion.counts
        latency = Self.latency(cycles, clockHz: clockHz)
        self.clockHz = clockHz
        arenaBytesPlanned = footprint.arenaBytes
        arenaBytesMeasured = arenaMeasured
        stackBytes = stack
        flashBytes = footprint.flashBytes
        staticRAMBytes = footprint.staticRAMBytes
        bitExact = true
        self.workers = workers
        self.wallSeconds = wallSeconds
    }

    static func latency(_ cycles: [UInt32], clockHz: Double) -> Latency {
        let s = cycles.sorted()
        guard !s.isEmpty else { return Latency(medianCycles: 0, p99Cycles: 0, maxCycles: 0, minCycles: 0, medianMs: 0, p99Ms: 0, maxMs: 0) }
        let n = s.count
        let median = n % 2 == 1 ? Double(s[n / 2]) : (Double(s[n / 2 - 1]) + Double(s[n / 2])) / 2
        let p99 = s[Int((0.99 * Double(n)).rounded(.up)) - 1]
        func ms(_ c: Double) -> Double { c / clockHz * 1000 }
        return Latency(medianCycles: median, p99Cycles: p99, maxCycles: s[n - 1], minCycles: s[0],
                       medianMs: ms(median), p99Ms: ms(Double(p99)), maxMs: ms(Double(s[n - 1])))
    }
}
