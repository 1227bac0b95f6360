import Foundation
import Metrics
import Support
import Targets

/// A board's cost vector fitted to traces of firmware the emulator can run: the emulator gives every
/// traced region's events on the board being calibrated, the traces give its cycles on the real
/// board, `CostFit` gives the costs. Held-out regions judge the fit.
public struct Calibration: Sendable {
    /// A trace and the firmware image it was recorded from.
    public struct Input: Sendable {
        public var trace: Trace
        public var firmware: URL
        public init(trace: Trace, firmware: URL) { (self.trace, self.firmware) = (trace, firmware) }
    }

    /// One region in the fit: its median measured cycles over the traces that hold it.
    public struct RegionResult: Sendable, Equatable {
        public var name: String
        public var firmware: String
        public var measured: Double
        public var before: Double
        public var after: Double
        public var heldOut: Bool
        /// The events carrying most of the region's cycles under the fitted costs, largest first.
        public var dominantEvents: [Event]
        public var afterErrorPercent: Double { measured > 0 ? 100 * abs(after - measured) / measured : 0 }
        public var beforeErrorPercent: Double { measured > 0 ? 100 * abs(before - measured) / measured : 0 }
    }

    public var board: Board
    public var fit: CostFit
    public var regions: [RegionResult]
    /// Error statistics on the held-out regions (on the training regions when nothing is held out).
    public var before: ErrorStatistics
    public var after: ErrorStatistics
    public var trainingBefore: ErrorStatistics
    public var trainingAfter: ErrorStatistics
    /// Traces used: file and SHA-256 of the file.
    public var traces: [(file: String, sha256: String)]
    public var holdout: Double
    public var seed: UInt64
    /// Traced regions left out for being shorter than `minimumCycles` (counter rounding and pipeline
    /// effects at the reads dominate them).
    public var shortRegions: Int

    /// Whether any region was held out (else `before`/`after` are on the training regions).
    public var hasHoldout: Bool { regions.contains { $0.heldOut } }

    /// Checks every input against `board` and its firmware, emulates each firmware once, pairs
    /// regions by name and fits. `holdout`: share of regions (0 … 0.9) kept out of the fit to judge it;
    /// regions under `minimumCycles` are left out.
    public init(board: Board, inputs: [Input], holdout: Double = 0.3, seed: UInt64 = 1, minimumCycles: Int = 100,
                emulate: (URL, Board) throws -> FirmwareRegions = { try FirmwareRegions.emulate($0, on: $1) }) throws {
        guard !inputs.isEmpty else { throw CalibrationError("no traces to fit") }
        guard holdout.isFinite, holdout >= 0, holdout <= 0.9 else { throw CalibrationError("--holdout must be between 0 and 0.9") }
        var emulated: [String: FirmwareRegions] = [:]
        var samples: [String: (firmware: String, name: String, events: EventVector, cycles: [Double])] = [:]
        var order: [String] = []
        var traces: [(String, String)] = []
        var hashes: [String: String] = [:]   // firmware path → SHA-256 (several logs of one suite)
        for input in inputs {
            let t = input.trace
            let sha = try hashes[input.firmware.path] ?? SHA256.hex(file: input.firmware)
            hashes[input.firmware.path] = sha
            if let h = t.header {
                guard h.board.lowercased() == board.name.lowercased() || board.aliases.contains(where: { $0.lowercased() == h.board.lowercased() }) else {
                    throw CalibrationError(file: t.file, line: 1, "a trace of board '\(h.board)', not of \(board.name)")
                }
                guard abs(h.clockHz - board.clockHz.value) <= 1e-6 * board.clockHz.value else {
                    throw CalibrationError(file: t.file, line: 1, String(format: "recorded at %.6g MHz; %@ runs at %.6g MHz (a trace at another clock has other wait states)", h.clockHz / 1e6, board.name, board.clockHz.value / 1e6))
                }
                guard h.firmware.sha256 == sha else {
                    throw CalibrationError(file: t.file, line: 1, "the firmware's SHA-256 \(h.firmware.sha256.prefix(12))… does not match \(input.firmware.path) (\(sha.prefix(12))…): the trace is of another build")
                }
            }
            if emulated[sha] == nil { emulated[sha] = try emulate(input.firmware, board) }
            let regions = emulated[sha]!
            for (record, name) in zip(t.records, t.occurrenceNames) {
                guard let r = regions.region(named: name) else {
                    let known = regions.regions.map(\.name).filter { !$0.hasPrefix("#") }
                    let list = known.isEmpty ? "it prints no region lines; its intervals are #0…#\(regions.regions.count - 1)" : "its regions: \(known.prefix(8).joined(separator: ", "))\(known.count > 8 ? ", …" : "")"
                    throw CalibrationError(file: t.file, line: record.line, "region '\(name)': \(input.firmware.lastPathComponent) never prints it on the emulated \(board.name) (\(list))")
                }
                let key = sha + "/" + name
                if samples[key] == nil { samples[key] = (input.firmware.lastPathComponent, name, r.events, []); order.append(key) }
                samples[key]!.cycles.append(Double(record.cycles))
            }
            traces.append((t.file, try SHA256.hex(file: URL(fileURLWithPath: t.file))))
        }
        let medians = order.map { k -> (String, CostFit.Region) in
            let s = samples[k]!
            return (s.firmware, CostFit.Region(name: s.name, events: s.events, measured: Self.median(s.cycles)))
        }
        let all = medians.filter { $0.1.measured >= Double(minimumCycles) }
        guard !all.isEmpty else {
            throw CalibrationError("every traced region is shorter than \(minimumCycles) cycles: too short to time against a model")
        }
        // Deterministic held-out draw.
        var g = SplitMix64(seed: seed)
        var indices = Array(all.indices)
        for i in stride(from: indices.count - 1, to: 0, by: -1) { indices.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        let heldCount = all.count >= 2 ? min(all.count - 1, Int((holdout * Double(all.count)).rounded())) : 0
        // Hold out no region the fit depends on: each event's anchor — the region where it has the
        // largest share of the counts — stays in training; the held-out share is drawn from the rest.
        var anchors = Set<Int>()
        for e in Event.allCases where !CostFit.informational.contains(e) {
            if let best = all.indices.max(by: { Self.share(all[$0].1, e) < Self.share(all[$1].1, e) }), Self.share(all[best].1, e) > 0 { anchors.insert(best) }
        }
        let held = Set(indices.filter { !anchors.contains($0) }.prefix(heldCount))
        let training = all.indices.filter { !held.contains($0) }.map { all[$0].1 }
        let heldOut = all.indices.filter { held.contains($0) }.map { all[$0].1 }

        let prior = board.costVector
        let fit = try CostFit(prior: prior, training: training)
        let judged = heldOut.isEmpty ? training : heldOut
        self.board = board
        self.fit = fit
        self.before = CostFit.errors(judged, costs: prior)
        self.after = CostFit.errors(judged, costs: fit.costs)
        self.trainingBefore = CostFit.errors(training, costs: prior)
        self.trainingAfter = CostFit.errors(training, costs: fit.costs)
        self.regions = all.enumerated().map { i, pair in
            let r = pair.1
            let shares = Event.allCases.filter { $0 != .instructions }.map { ($0, r.events[$0] * fit.costs[$0]) }.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }
            return RegionResult(name: r.name, firmware: pair.0, measured: r.measured, before: r.events.dot(prior), after: r.events.dot(fit.costs),
                                heldOut: held.contains(i), dominantEvents: shares.prefix(3).map(\.0))
        }
        self.traces = traces
        (self.holdout, self.seed) = (holdout, seed)
        self.shortRegions = medians.count - all.count
    }

    /// The median of repeated measurements of one region (mean of the middle two for an even count).
    public static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Event `e`'s share of a region's event counts (`instructions` left out).
    static func share(_ r: CostFit.Region, _ e: Event) -> Double {
        r.events[e] / max(1, r.events.values.reduce(0, +) - r.events[.instructions])
    }

    /// The held-out regions (all, when nothing is held out) with the largest error after the fit —
    /// or, `beforeFit`, under the board's own costs — worst first.
    public func worst(_ count: Int = 5, beforeFit: Bool = false) -> [RegionResult] {
        let pool = hasHoldout ? regions.filter(\.heldOut) : regions
        let error: (RegionResult) -> Double = { beforeFit ? $0.beforeErrorPercent : $0.afterErrorPercent }
        return Array(pool.sorted { error($0) > error($1) }.prefix(count))
    }

    /// Events the worst regions share: those among every worst region's dominant events.
    public func commonToWorst(_ count: Int = 5, beforeFit: Bool = false) -> [Event] {
        let w = worst(count, beforeFit: beforeFit)
        guard let first = w.first else { return [] }
        return first.dominantEvents.filter { e in w.allSatisfy { $0.dominantEvents.contains(e) } }
    }

    /// The board overlay: `"base"` = the calibrated board, every identified or moved cost replaced
    /// with its fitted value and a source naming the fit; `"calibration"` holds the provenance.
    public func overlay(name: String? = nil, date: Date = Date()) throws -> Data {
        let day = ISO8601DateFormatter().string(from: date)
        let summary = String(format: "%d regions (%d held out), held-out MAPE %.2f %% → %.2f %%", fit.trainingRegions + regions.filter(\.heldOut).count,
                             regions.filter(\.heldOut).count, before.meanAbsolutePercentError, after.meanAbsolutePercentError)
        let traceNames = traces.map { "\(($0.file as NSString).lastPathComponent) (sha256 \($0.sha256.prefix(12))…)" }.joined(separator: ", ")
        var core: [String: Any] = [:], memory: [String: Any] = [:]
        for (e, c) in fit.perEvent where c.identifiable || abs(c.fitted - c.prior) > 1e-9 * max(c.prior, 1) {
            let how = c.identifiable ? String(format: "standard error %.2g", c.standardError)
                : "not identified by these traces alone: moved only as far from the prior as the identified costs' fit needs"
            let source = String(format: "micronas calibrate fit %@: %.6g (prior %.6g; %@) from %@; %@", String(day.prefix(10)), c.fitted, c.prior, how, traceNames, summary)
            let entry: [String: Any] = ["value": c.fitted, "source": source]
            if board.core.costs[e] != nil { core[e.rawValue] = entry } else if board.memoryCosts[e] != nil { memory[e.rawValue] = entry }
        }
        var o: [String: Any] = [
            "name": name ?? board.name,
            "base": board.name,
            "notes": "\(board.name) with its cycle costs fitted to recorded traces (\(summary)); every other number from the base board.",
            "calibration": provenance(date: day),
        ]
        if !core.isEmpty { o["core"] = ["costs": core] }
        if !memory.isEmpty { o["memory_costs"] = memory }
        return try JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Error statistics as the overlay's provenance and `calibrate fit --json` give them.
    public static func json(_ s: ErrorStatistics) -> [String: Any] {
        ["mape": s.meanAbsolutePercentError, "max_abs_pct": s.maxAbsolutePercentError, "r2": s.r2, "regions": s.count]
    }

    func provenance(date: String) -> [String: Any] {
        [
            "date": date, "seed": Int(seed), "holdout": holdout,
            "traces": traces.map { ["file": $0.file, "sha256": $0.sha256] },
            "regions": regions.count, "held_out_regions": regions.filter(\.heldOut).count,
            "before": Self.json(before), "after": Self.json(after),
            "not_identifiable": fit.perEvent.filter { !$0.value.identifiable }.map(\.key.rawValue).sorted(),
        ]
    }
}
