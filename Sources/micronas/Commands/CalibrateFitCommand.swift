import ArgumentParser
import Calibration
import Foundation
import Metrics
import Support
import Targets

struct CalibrateFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a board's cycle costs to recorded traces and write a board overlay.",
        discussion: """
        Each traced firmware is emulated once on --target to get every region's events; the costs are the \
        non-negative least-squares fit of the measured cycles (relative error), with the costs the regions cannot \
        identify kept at the board's (manual-derived) values. A share of the regions (--holdout) is kept out of \
        the fit and judges it: MAPE, max |error| and R² before and after.
        """)

    @OptionGroup var board: BoardOption
    @Option(help: "A calibration suite folder (`micronas calibrate suite`); its firmware is what --log lines come from.") var suite: String?
    @Option(help: "A serial log of the suite run on the board (`<region>: <cycles> cycles` lines); repeatable.") var log: [String] = []
    @Option(help: "A trace (JSON lines, traces/README.md) of any ELF that reads DWT->CYCCNT; its header names the firmware. Repeatable.") var trace: [String] = []
    @Option(help: "Overlay file to write (JSON).") var out: String
    @Option(help: "Name of the calibrated board (default: the target's own name, so --targets-dir with the overlay shadows it).") var name: String?
    @Option(help: "Share of regions held out of the fit to judge it (0 to 0.9).") var holdout = 0.3
    @Option(help: "Seed of the held-out draw.") var seed: UInt64 = 1
    @Flag(help: "Replace --out if it exists.") var force = false
    @Flag(help: "Print the result as one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            try check()
            let b = try board.catalog().board(named: board.target)
            let outURL = URL(fileURLWithPath: out)
            if FileManager.default.fileExists(atPath: outURL.path) && !force { throw SupportError.exists(path: outURL.path) }
            var inputs: [Calibration.Input] = []
            if let s = suite {
                let suite = try CalibrationSuite.read(URL(fileURLWithPath: s))
                guard suite.manifest.board.lowercased() == b.name.lowercased() else {
                    throw ValidationError("--suite \(s) was built for \(suite.manifest.board), not \(b.name)")
                }
                guard abs(suite.manifest.clockHz - b.clockHz.value) <= 1e-6 * b.clockHz.value else {
                    throw ValidationError(String(format: "--suite %@ was made for %@ at %.6g MHz; %@ runs at %.6g MHz now", s, suite.manifest.board, suite.manifest.clockHz / 1e6, b.name, b.clockHz.value / 1e6))
                }
                for l in log { inputs.append(.init(trace: try Trace.read(URL(fileURLWithPath: l)), firmware: suite.firmware)) }
            }
            for t in trace {
                let url = URL(fileURLWithPath: t)
                let parsed = try Trace.read(url)
                guard let h = parsed.header else { throw CalibrationError(file: t, "a serial log, not a trace with a header: pass it as --log with --suite") }
                var elf = URL(fileURLWithPath: h.firmware.path, relativeTo: url.deletingLastPathComponent()).standardizedFileURL
                if h.firmware.path.hasPrefix("/") { elf = URL(fileURLWithPath: h.firmware.path) }
                guard FileManager.default.fileExists(atPath: elf.path) else { throw CalibrationError(file: t, line: 1, "the trace's firmware \(elf.path) does not exist") }
                inputs.append(.init(trace: parsed, firmware: elf))
            }
            printError("emulating \(Set(inputs.map(\.firmware.path)).count) firmware image(s) on \(b.name) and fitting…")
            let c = try Calibration(board: b, inputs: inputs, holdout: holdout, seed: seed)
            // A fit that predicts the held-out regions worse than the board file does is not handed
            // over: the traces hold an effect the event model lacks (the worst regions say which).
            // "Worse" means by more than 0.01 percentage points, so that a board whose own costs
            // already explain its trace (both figures 0.00 %) is not refused over rounding noise.
            let worse = c.hasHoldout && c.after.meanAbsolutePercentError > c.before.meanAbsolutePercentError + 0.01
            if !worse { try AtomicWrite.file(try c.overlay(name: name), to: outURL, createParents: false) }
            if json { print(try jsonLine(object(c, outURL).merging(["overlay_written": !worse]) { $1 })) } else { show(c, outURL, written: !worse) }
            if worse {
                throw CalibrationError(String(format: "the fit predicts the held-out regions worse than %@'s own costs (MAPE %.2f %% → %.2f %%): the event model does not explain these traces (worst regions above); no overlay written",
                                              b.name, c.before.meanAbsolutePercentError, c.after.meanAbsolutePercentError))
            }
        }
    }

    /// Option checks (in `run`, so a bad value is one `error:` line like every other refusal).
    func check() throws {
        guard holdout.isFinite, holdout >= 0, holdout <= 0.9 else { throw ValidationError("--holdout must be between 0 and 0.9") }
        guard !log.isEmpty || !trace.isEmpty else { throw ValidationError("give at least one --log (with --suite) or --trace") }
        if !log.isEmpty && suite == nil { throw ValidationError("--log lines come from the suite's firmware: pass --suite DIR") }
        if let n = name { guard !n.isEmpty, n.count <= 100, n.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ValidationError("--name must be 1 to 100 letters, digits, '-', '_' or '.'")
        } }
    }

    func object(_ c: Calibration, _ out: URL) -> [String: Any] {
        var costs: [String: Any] = [:]
        for (e, v) in c.fit.perEvent { costs[e.rawValue] = ["prior": v.prior, "fitted": v.fitted, "identifiable": v.identifiable, "standard_error": v.standardError.isFinite ? v.standardError as Any : NSNull()] }
        return [
            "board": c.board.name, "out": out.path, "held_out": c.hasHoldout, "short_regions": c.shortRegions,
            "before": Calibration.json(c.before), "after": Calibration.json(c.after),
            "training": ["before": Calibration.json(c.trainingBefore), "after": Calibration.json(c.trainingAfter)],
            "costs": costs,
            "worst": c.worst().map { ["region": $0.name, "firmware": $0.firmware, "measured": $0.measured, "predicted": $0.after,
                                      "error_pct": $0.afterErrorPercent, "dominant_events": $0.dominantEvents.map(\.rawValue)] },
        ]
    }

    func show(_ c: Calibration, _ out: URL, written: Bool) {
        let judged = c.hasHoldout ? "held-out" : "training (nothing held out)"
        print("\(c.board.name): \(c.regions.count) regions, \(c.fit.trainingRegions) fitted, \(c.regions.filter(\.heldOut).count) held out"
              + (c.shortRegions > 0 ? " (\(c.shortRegions) shorter than 100 cycles left out)" : ""))
        print(String(format: "%@ regions: MAPE %.2f %% → %.2f %%, max |error| %.2f %% → %.2f %%, R² %.5f → %.5f",
                     judged, c.before.meanAbsolutePercentError, c.after.meanAbsolutePercentError,
                     c.before.maxAbsolutePercentError, c.after.maxAbsolutePercentError, c.before.r2, c.after.r2))
        print("costs (cycles per event):")
        for e in Event.allCases {
            guard let v = c.fit.perEvent[e] else { continue }
            let change = v.prior > 0 ? String(format: "%+.1f %%", 100 * (v.fitted - v.prior) / v.prior) : String(format: "%+.3g", v.fitted - v.prior)
            let line = "  \(pad(e.rawValue, 24))\(right(String(format: "%.4g", v.prior), 8)) → \(right(String(format: "%.4g", v.fitted), 8))  \(pad(change, 10))"
            print(line + (v.identifiable ? String(format: "± %.2g", v.standardError) : "not identified: traded against other events (moved only with them)"))
        }
        let unpriced = Event.allCases.filter { $0 != .instructions && c.fit.perEvent[$0] == nil }
        if !unpriced.isEmpty { print("  not in any fitted region (kept): \(unpriced.map(\.rawValue).joined(separator: ", "))") }
        if c.after.meanAbsolutePercentError > 2 || !written {
            print(String(format: "the event model does not explain these traces (%@ MAPE %.2f %% after the fit); worst regions:", judged, c.after.meanAbsolutePercentError))
            for beforeFit in written ? [false] : [false, true] {
                if beforeFit { print("with \(c.board.name)'s own costs:") }
                for r in c.worst(beforeFit: beforeFit) {
                    print(String(format: "  %@ (%@): measured %.0f, %@ %.0f (%.1f %%), mostly %@", r.name, r.firmware, r.measured,
                                 beforeFit ? "board costs" : "fitted model", beforeFit ? r.before : r.after, beforeFit ? r.beforeErrorPercent : r.afterErrorPercent,
                                 r.dominantEvents.map(\.rawValue).joined(separator: ", ")))
                }
                let common = c.commonToWorst(beforeFit: beforeFit)
                if !common.isEmpty { print("  common to them: \(common.map(\.rawValue).joined(separator: ", "))") }
            }
        }
        if written { print("\(out.path): overlay of \(c.board.name); use it with --targets-dir (a folder holding it in boards/)") }
    }
}
