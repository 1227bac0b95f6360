import Calibration
import Foundation
import Targets
import TestSupport
import XCTest

/// Trace parsing and the fit's refusals: one line naming file, line and cause; no overlay written.
final class CalibrationInputTests: XCTestCase {
    static let board = "nucleo-l552ze-q"

    func testCounterWrapAroundAndBothForms() throws {
        let header = #"{"format":"micronas-trace","version":1,"board":"b","clock_hz":80000000,"firmware":{"path":"f.elf","sha256":"\#(String(repeating: "ab", count: 32))"},"origin":{"kind":"board","probe":"ST-LINK/V3"}}"#
        let t = try Trace.jsonLines(header + "\n" + #"{"region":"a","start":4294967000,"end":480}"# + "\n" + #"{"region":"b","cycles":12,"repeat":4}"#, file: "t.jsonl")
        XCTAssertEqual(t.records.map(\.cycles), [776, 12], "the delta is taken modulo 2^32")
        XCTAssertEqual(t.records[1].repeatCount, 4)
        XCTAssertEqual(t.header?.origin.probe, "ST-LINK/V3")
        let log = try Trace.serialLog("# suite\r\nalu: 772 cycles\r\n\nalu: 770 cycles\n", file: "board.log")
        XCTAssertEqual(log.records.map(\.cycles), [772, 770])
        XCTAssertEqual(log.occurrenceNames, ["alu", "alu@2"])
        // Written and read back.
        let back = try Trace.jsonLines(String(decoding: try t.jsonLines(), as: UTF8.self), file: "x")
        XCTAssertEqual(back.records.map(\.cycles), t.records.map(\.cycles))
        XCTAssertEqual(back.header, t.header)
    }

    func testMalformedTracesNameFileLineAndCause() {
        func message(_ text: String) -> String { Fixtures.errorMessage { try Trace.serialLog(text, file: "board.log") } }
        XCTAssertEqual(message("alu: 772 cycles\nalu: nan cycles\n"), "board.log:2: cycles 'nan' is not a whole number")
        XCTAssertEqual(message("alu: -5 cycles\n"), "board.log:1: cycles '-5' is not a whole number")
        XCTAssertEqual(message("alu: 0 cycles\n"), "board.log:1: zero cycles: a timed region takes at least one")
        XCTAssertEqual(message("alu: 99999999999 cycles\n"), "board.log:1: cycles 99999999999 exceed the 32-bit DWT->CYCCNT")
        XCTAssertEqual(message("alu: 10 cycles\n\u{1}\u{2}garbage\n"), "board.log:2: not a `<region>: <cycles> cycles` line: '\u{1}\u{2}garbage'")
        XCTAssertEqual(message(""), "board.log: no `<region>: <cycles> cycles` lines")
        func json(_ text: String) -> String { Fixtures.errorMessage { try Trace.jsonLines(text, file: "t.jsonl") } }
        let header = #"{"format":"micronas-trace","version":1,"board":"b","clock_hz":8e7,"firmware":{"path":"f","sha256":"\#(String(repeating: "0", count: 64))"},"origin":{"kind":"board"}}"#
        XCTAssertEqual(json(#"{"format":"other"}"#), #"t.jsonl:1: the first line is not a micronas trace header ("format": "micronas-trace")"#)
        XCTAssertEqual(json(header.replacingOccurrences(of: "8e7", with: "-1")), "t.jsonl:1: header field 'clock_hz' must be a number of hertz between 1e3 and 1e10")
        XCTAssertEqual(json(header + "\n" + #"{"region":"a","cycles":1e300}"#), "t.jsonl:2: 'cycles' 1e+300 is not a whole number in 0…4294967295")
        XCTAssertEqual(json(header + "\n" + #"{"region":"a","cycles":true}"#), "t.jsonl:2: 'cycles' must be a number")
        XCTAssertEqual(json(header + "\n" + #"{"region":"a","start":5,"end":5}"#), "t.jsonl:2: region 'a': zero cycles (a timed region takes at least one)")
        XCTAssertEqual(json(header + "\n{not json"), "t.jsonl:2: not JSON")
        XCTAssertEqual(json(header), "t.jsonl: the trace has a header but no regions")
    }

    /// Exact synthetic data (a hidden cost vector) is recovered; an event always counted together
    /// with another in the same ratio is reported as not identified.
    func testFitRecoversHiddenCostsAndFlagsConfoundedEvents() throws {
        var g = SystemRandomNumberGenerator()
        var truth = EventVector(), prior = EventVector()
        let free: [Event] = [.alu, .load, .store, .mul, .branchTaken, .flashDataMisses]
        for e in free { prior[e] = 2; truth[e] = Double.random(in: 0.5...6, using: &g) }
        prior[.dsp] = 1; truth[.dsp] = 1; prior[.mulLong] = 1; truth[.mulLong] = 1
        let regions = (0..<40).map { i -> CostFit.Region in
            var ev = EventVector()
            for e in free { ev[e] = Double(Int.random(in: 0...5000, using: &g)) }
            ev[.dsp] = Double(100 * (i % 7)); ev[.mulLong] = ev[.dsp] * 2   // always 1:2
            return CostFit.Region(name: "r\(i)", events: ev, measured: ev.dot(truth))
        }
        let fit = try CostFit(prior: prior, training: regions)
        for e in free {
            XCTAssertTrue(fit.perEvent[e]!.identifiable, "\(e)")
            XCTAssertEqual(fit.costs[e], truth[e], accuracy: 1e-3 * truth[e], "\(e)")
        }
        XCTAssertFalse(fit.perEvent[.dsp]!.identifiable)
        XCTAssertFalse(fit.perEvent[.mulLong]!.identifiable)
        XCTAssertEqual(fit.costs[.dsp] + 2 * fit.costs[.mulLong], 3, accuracy: 1e-3, "their combination is what the data fix")
        XCTAssertNil(fit.perEvent[.fpu], "an event no region counts is not fitted")
    }

    func testFitRefusesWithOneLineAndWritesNoOverlay() throws {
        let dir = try Fixtures.temporaryDirectory()
        let suite = dir.appendingPathComponent("suite")
        let r = try Fixtures.capture(Fixtures.micronas, ["calibrate", "suite", "--target", Self.board, "--out", suite.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: suite.appendingPathComponent("manifest.json"))) as! [String: Any]
        let elf = suite.appendingPathComponent(manifest["firmware"] as! String)
        let log = try Fixtures.capture(Fixtures.micronas, ["emulate", "--target", Self.board, elf.path]).stdout
        let out = dir.appendingPathComponent("o.json")
        func fit(_ extra: [String]) throws -> String {
            let line = try Fixtures.micronasFailure(["calibrate", "fit", "--target", Self.board, "--out", out.path] + extra)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no overlay after: \(line)")
            return line
        }
        func write(_ name: String, _ text: String) throws -> String {
            let url = dir.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let unknown = try write("unknown.log", log + "warp_drive: 1234 cycles\n")
        XCTAssertTrue(try fit(["--suite", suite.path, "--log", unknown]).contains("unknown.log:\(log.split(separator: "\n").count + 1): region 'warp_drive': suite-\(Self.board).elf never prints it"))
        let nan = try write("nan.log", "alu_x8: NaN cycles\n")
        XCTAssertEqual(try fit(["--suite", suite.path, "--log", nan]), "error: \(nan):1: cycles 'NaN' is not a whole number")
        XCTAssertEqual(try fit(["--log", nan]), "error: --log lines come from the suite's firmware: pass --suite DIR")
        XCTAssertEqual(try fit(["--suite", suite.path, "--log", nan, "--holdout", "0.95"]), "error: --holdout must be between 0 and 0.9")
        // Traces with a header: another board, another clock, another build.
        let sha = manifest["sha256"] as! String
        func trace(_ board: String, _ clock: String, _ hash: String) throws -> String {
            try write("t-\(board)-\(clock)-\(hash.prefix(4)).jsonl", #"{"format":"micronas-trace","version":1,"board":"\#(board)","clock_hz":\#(clock),"firmware":{"path":"\#(elf.path)","sha256":"\#(hash)"},"origin":{"kind":"board"}}"# + "\n" + #"{"region":"alu_x8","cycles":900}"# + "\n")
        }
        let other = try trace("nucleo-f446re", "80000000", sha)
        XCTAssertEqual(try fit(["--trace", other]), "error: \(other):1: a trace of board 'nucleo-f446re', not of \(Self.board)")
        let clock = try trace(Self.board, "110000000", sha)
        XCTAssertEqual(try fit(["--trace", clock]), "error: \(clock):1: recorded at 110 MHz; \(Self.board) runs at 80 MHz (a trace at another clock has other wait states)")
        let hash = try trace(Self.board, "80000000", String(repeating: "0", count: 64))
        XCTAssertTrue(try fit(["--trace", hash]).hasPrefix("error: \(hash):1: the firmware's SHA-256 000000000000… does not match \(elf.path)"))
        // A suite whose image was replaced.
        let copy = dir.appendingPathComponent("suite2")
        try FileManager.default.copyItem(at: suite, to: copy)
        try Data([0x7F, 0x45, 0x4C, 0x46]).write(to: copy.appendingPathComponent(manifest["firmware"] as! String))
        XCTAssertTrue(try fit(["--suite", copy.path, "--log", nan]).contains("differs from the manifest's"))
        // An existing overlay is not replaced without --force.
        try Data("keep".utf8).write(to: out)
        let ok = try write("ok.log", log)
        XCTAssertEqual(try Fixtures.micronasFailure(["calibrate", "fit", "--target", Self.board, "--suite", suite.path, "--log", ok, "--out", out.path]),
                       "error: \(out.path) exists; pass --force to replace it")
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), "keep")
        try FileManager.default.removeItem(at: out)

        // A "board" whose instruction cache is smaller than the board file's: no cost vector explains
        // its fetch cycles. The fit is refused (it predicts the held-out regions worse), and the
        // worst regions are named.
        let small = dir.appendingPathComponent("small/boards")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        try Data(#"{"name":"\#(Self.board)","base":"\#(Self.board)","caches":[{"name":"icache","ways":1,"lines":128,"source":"truth: a smaller cache"}]}"#.utf8)
            .write(to: small.appendingPathComponent("b.json"))
        let smallLog = try write("small.log", try Fixtures.capture(Fixtures.micronas, ["emulate", "--targets-dir", small.deletingLastPathComponent().path, "--target", Self.board, elf.path]).stdout)
        let refused = try Fixtures.capture(Fixtures.micronas, ["calibrate", "fit", "--target", Self.board, "--suite", suite.path, "--log", smallLog, "--out", out.path])
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("the event model does not explain these traces"), refused.stderr)
        XCTAssertTrue(refused.stdout.contains("with \(Self.board)'s own costs:\n  ldr_flash_stride"), refused.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        // Fewer regions than costs: fit what the regions identify, keep the rest, say so.
        let few = try write("few.log", log.split(separator: "\n").prefix(3).joined(separator: "\n") + "\n")
        let f = try Fixtures.capture(Fixtures.micronas, ["calibrate", "fit", "--target", Self.board, "--suite", suite.path, "--log", few, "--out", out.path, "--json"])
        XCTAssertEqual(f.status, 0, f.stderr)
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [String: Any])
        let costs = try XCTUnwrap(result["costs"] as? [String: [String: Any]])
        XCTAssertTrue(costs.values.contains { $0["identifiable"] as? Bool == false }, "\(costs)")
        XCTAssertEqual(result["held_out"] as? Bool, false, "three regions are all anchors: nothing left to hold out")
        // The overlay loads as a board (with the repository's targets below it).
        let boards = dir.appendingPathComponent("cal/boards")
        try FileManager.default.createDirectory(at: boards, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: out, to: boards.appendingPathComponent("\(Self.board).json"))
        let catalog = try BoardCatalog(directories: [Fixtures.targetsDirectory, boards.deletingLastPathComponent()])
        XCTAssertEqual(try catalog.board(named: Self.board).base, Self.board)
    }
}
