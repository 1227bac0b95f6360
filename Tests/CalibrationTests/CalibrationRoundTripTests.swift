import Calibration
import Foundation
import Kernels
import Support
import Targets
import TestSupport
import XCTest

/// Calibration without a board: a hidden "truth" overlay (costs that differ from the nominal board's
/// in several events, two of them by amounts no manual gives) plays the real board; traces are made
/// on it, the truth folder is deleted, and `calibrate fit` runs with the nominal board only, in
/// another process. The fitted costs must come back.
final class CalibrationRoundTripTests: XCTestCase {
    static let board = "nucleo-l552ze-q"
    /// The truth's changes to the nominal costs.
    static let truthChanges: [Event: Double] = [
        .alu: 1.25,               // no TRM gives a data-processing op 1.25 cycles
        .load: 2.5, .store: 1.6, .dsp: 1.5, .transferBeats: 1.3,
        .fetchBranchMisses: 7, .flashDataMisses: 6,
    ]

    static func writeTruth(_ dir: URL) throws {
        var core: [String: Any] = [:], memory: [String: Any] = [:]
        for (e, v) in truthChanges {
            let entry: [String: Any] = ["value": v, "source": "round-trip truth"]
            if Event.coreEvents.contains(e) { core[e.rawValue] = entry } else { memory[e.rawValue] = entry }
        }
        let o: [String: Any] = ["name": board, "base": board, "core": ["costs": core], "memory_costs": memory]
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("boards"), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: o).write(to: dir.appendingPathComponent("boards/\(board).json"))
    }

    static func truthCosts() throws -> EventVector {
        var v = try Fixtures.board(board).costVector
        for (e, c) in truthChanges { v[e] = c }
        return v
    }

    func micronas(_ args: [String]) throws -> String {
        let r = try Fixtures.capture(Fixtures.micronas, args)
        XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
        XCTAssertFalse(Fixtures.trapped(r))
        return r.stdout
    }

    /// Fitted costs within 5 % of the truth for every identifiable event (0.05 cycles where the truth is 0).
    func checkCosts(_ result: [String: Any], minimumIdentified: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let truth = try Self.truthCosts()
        let costs = try XCTUnwrap(result["costs"] as? [String: [String: Any]], file: file, line: line)
        var identified = 0
        for (name, c) in costs where c["identifiable"] as? Bool == true {
            let e = try XCTUnwrap(Event(rawValue: name))
            let fitted = try XCTUnwrap(c["fitted"] as? Double)
            XCTAssertEqual(fitted, truth[e], accuracy: max(0.05 * truth[e], 0.05), "\(name): fitted \(fitted), truth \(truth[e])", file: file, line: line)
            identified += 1
        }
        XCTAssertGreaterThanOrEqual(identified, minimumIdentified, file: file, line: line)
    }

    func testRoundTripThroughTheSuite() throws {
        let dir = try Fixtures.temporaryDirectory()
        let truth = dir.appendingPathComponent("truth")
        try Self.writeTruth(truth)
        let suite = dir.appendingPathComponent("suite")
        _ = try micronas(["calibrate", "suite", "--target", Self.board, "--out", suite.path])
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: suite.appendingPathComponent("manifest.json"))) as! [String: Any]
        let elf = suite.appendingPathComponent(manifest["firmware"] as! String)
        // The "board": the truth, printing what a UART capture would hold.
        let log = try micronas(["emulate", "--targets-dir", truth.path, "--target", Self.board, elf.path])
        try log.write(to: dir.appendingPathComponent("board.log"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: truth)

        let overlay = dir.appendingPathComponent("fit/boards/\(Self.board).json")
        try FileManager.default.createDirectory(at: overlay.deletingLastPathComponent(), withIntermediateDirectories: true)
        for seed in ["1", "2", "3"] {
            let out = try micronas(["calibrate", "fit", "--target", Self.board, "--suite", suite.path, "--log", dir.appendingPathComponent("board.log").path,
                                    "--out", overlay.path, "--force", "--seed", seed, "--json"])
            let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
            let before = try XCTUnwrap(result["before"] as? [String: Any]), after = try XCTUnwrap(result["after"] as? [String: Any])
            XCTAssertEqual(result["held_out"] as? Bool, true)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(before["mape"] as? Double), 10, "the nominal board is ≥ 10 % off by construction (seed \(seed))")
            XCTAssertLessThanOrEqual(try XCTUnwrap(after["mape"] as? Double), 1, "seed \(seed)")
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(before["regions"] as? Int), 10)
            try checkCosts(result, minimumIdentified: 20)
        }
        // The overlay is a board: the calibrated board predicts the truth's cycles for the suite.
        let calibrated = try micronas(["emulate", "--targets-dir", overlay.deletingLastPathComponent().deletingLastPathComponent().path,
                                       "--target", Self.board, elf.path])
        let measured = try Trace.serialLog(log, file: "board.log").records, predicted = try Trace.serialLog(calibrated, file: "calibrated").records
        XCTAssertEqual(measured.map(\.region), predicted.map(\.region))
        for (m, p) in zip(measured, predicted) {
            XCTAssertEqual(Double(p.cycles), Double(m.cycles), accuracy: max(3, 0.01 * Double(m.cycles)), m.region)
        }
        let report = try micronas(["calibrate", "report", "--suite", suite.path, "--boards", Self.board, "--log", dir.appendingPathComponent("board.log").path, "--json"])
        let errors = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])?["errors"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(errors.first?["mape"] as? Double), 5, "the uncalibrated board, region by region")
    }

    /// On a board whose file has a clock set-up and a console (the F446), the suite sets the clock
    /// and prints the same lines over semihosting and the UART; the UART capture is a log
    /// `calibrate fit` reads.
    func testSuitePrintsTheSameLinesOverTheConsoleUART() throws {
        let dir = try Fixtures.temporaryDirectory()
        let suite = dir.appendingPathComponent("suite")
        _ = try micronas(["calibrate", "suite", "--target", "nucleo-f446re", "--out", suite.path])
        let elf = suite.appendingPathComponent("suite-nucleo-f446re.elf"), uart = dir.appendingPathComponent("uart.log")
        let semihosting = try micronas(["emulate", "--target", "nucleo-f446re", elf.path, "--console", uart.path])
        XCTAssertTrue(semihosting.hasPrefix("# clock set-up done\nalu_x8: "), String(semihosting.prefix(80)))
        XCTAssertEqual(try String(contentsOf: uart, encoding: .utf8), semihosting)
        let fit = try micronas(["calibrate", "fit", "--target", "nucleo-f446re", "--suite", suite.path, "--log", uart.path,
                                "--out", dir.appendingPathComponent("o.json").path, "--json"])
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(fit.utf8)) as? [String: Any])
        let after = try XCTUnwrap(result["after"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(after["mape"] as? Double), 0.5, "the board's own costs explain its own trace")
    }

    /// A firmware that is not the suite — kernels timed back to back, printing its figures in a form
    /// of its own — traced on the truth board as `calibrate trace` writes it; regions are the
    /// intervals between counter reads.
    func testRoundTripFromAKernelBenchmarkTrace() throws {
        let dir = try Fixtures.temporaryDirectory()
        let truth = dir.appendingPathComponent("truth")
        try Self.writeTruth(truth)
        let toolchain = KernelToolchain(root: Fixtures.root)
        let src = dir.appendingPathComponent("bench.c")
        try Self.kernelBench.write(to: src, atomically: true, encoding: .utf8)
        let built = try toolchain.firmware(name: "kernel-bench", sources: [src] + (try toolchain.kernelSources()), includes: [toolchain.kernelsDirectory],
                                           headers: try toolchain.kernelHeaders(), board: try Fixtures.board(Self.board))
        let elf = dir.appendingPathComponent("bench.elf")
        try FileManager.default.copyItem(at: built, to: elf)
        let trace = dir.appendingPathComponent("bench.jsonl")
        _ = try micronas(["calibrate", "trace", "--targets-dir", truth.path, "--target", Self.board, elf.path, "--out", trace.path])
        try FileManager.default.removeItem(at: truth)
        let parsed = try Trace.read(trace)
        XCTAssertEqual(parsed.header?.origin.kind, "emulator")
        XCTAssertGreaterThanOrEqual(parsed.records.count, 30)

        let out = try micronas(["calibrate", "fit", "--target", Self.board, "--trace", trace.path, "--out", dir.appendingPathComponent("o.json").path, "--json"])
        let result = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let before = try XCTUnwrap(result["before"] as? [String: Any]), after = try XCTUnwrap(result["after"] as? [String: Any])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(before["mape"] as? Double), 10)
        XCTAssertLessThanOrEqual(try XCTUnwrap(after["mape"] as? Double), 1)
        try checkCosts(result, minimumIdentified: 5)
        let costs = try XCTUnwrap(result["costs"] as? [String: [String: Any]])
        XCTAssertTrue(costs.values.contains { $0["identifiable"] as? Bool == false } || costs.count < Event.count - 1,
                      "kernels alone do not isolate every event; the fit says which it kept")
    }

    /// Kernels at several shapes, each timed after a warm-up call, figures printed at the end as
    /// `t<i>=<cycles>` (not the suite's line form).
    static let kernelBench = """
    #include <stdint.h>
    #include <stdio.h>
    #include "dwt.h"
    #include "mn_kernels.h"
    static int8_t in[4096], out[4096];
    static int32_t scratch[512];
    static const int8_t w[8192] = {5, -3, 9, -12, 7};
    static const int32_t bias[64] = {7, -9};
    static const int32_t mult[64] = {1300000000, 1400000000, 1500000000, 1600000000};
    static const int32_t shift[64] = {-6, -7, -8, -5};
    static uint32_t t[128];
    static int n;
    static void conv(int32_t h, int32_t wd, int32_t c, int32_t kh, int32_t kw, int32_t s, int32_t f, int depthwise, int per_channel) {
        mn_conv_params p = {s, 1, (kh - 1) / 2, 0, 5, -3, -128, 127};
        mn_requant q = {mult, shift, per_channel};
        mn_shape is = {1, h, wd, c}, fs = {depthwise ? 1 : f, kh, kw, depthwise ? f : c}, os = {1, (h + s - 1) / s, wd - kw + 1, f};
        for (int pass = 0; pass < 2; pass++) {
            uint32_t a = micronas_cycles();
            if (depthwise) mn_depthwise_conv2d_s8(&p, q, is, in, fs, w, bias, os, out, scratch);
            else mn_conv2d_s8(&p, q, is, in, fs, w, bias, os, out, scratch);
            uint32_t b = micronas_cycles();
            if (pass) t[n++] = b - a;
        }
    }
    static void add(int32_t count) {
        mn_add_params p = {3, -4, 2, 1073741824, 1073741824, 1518500250, -1, -1, -8, 20, -128, 127};
        uint32_t a = micronas_cycles();
        mn_add_s8(&p, count, in, in + 1, out);
        t[n++] = micronas_cycles() - a;
    }
    static void fc(int32_t depth, int32_t units, int per_channel) {
        mn_requant q = {mult, shift, per_channel};
        uint32_t a = micronas_cycles();
        mn_fully_connected_s8(3, -2, -128, 127, q, 1, depth, in, units, w, bias, out, scratch);
        t[n++] = micronas_cycles() - a;
    }
    static void pool(int32_t h, int32_t c, int max) {
        mn_conv_params p = {2, 1, 0, 0, 0, 0, -128, 127};
        mn_shape is = {1, h, 9, c}, os = {1, h / 2, 9, c};
        uint32_t a = micronas_cycles();
        if (max) mn_max_pool_s8(&p, 2, 1, is, in, os, out); else mn_avg_pool_s8(&p, 2, 1, is, in, os, out);
        t[n++] = micronas_cycles() - a;
    }
    static void softmax(int32_t depth) {
        uint32_t a = micronas_cycles();
        mn_softmax_s8(1, depth, in, 1518500250, 22, -248, out);
        t[n++] = micronas_cycles() - a;
    }
    static void quantize(int32_t count) {
        static float f[512];
        for (int i = 0; i < count; i++) f[i] = (float)(i % 37) * 0.25f - 4.0f;
        uint32_t a = micronas_cycles();
        mn_quantize_f32_s8(count, f, 0.05f, 3, out);
        mn_dequantize_s8_f32(count, out, 0.05f, 3, f);
        t[n++] = micronas_cycles() - a;
    }
    int main(void) {
        micronas_cycles_start();
        for (int i = 0; i < 4096; i++) in[i] = (int8_t)(i * 29 + 3);
        for (int k = 3; k <= 7; k += 2)
            for (int f = 4; f <= 16; f += 4) conv(64, 9, 1, k, 1, 2, f, 0, f & 4);
        for (int c = 4; c <= 16; c += 4) conv(32, 9, c, 3, 1, 2, 8, 0, 1);
        for (int c = 8; c <= 32; c += 8) conv(16, 9, c, 1, 9, 1, 16, 0, 1);
        for (int c = 8; c <= 32; c += 8) conv(16, 5, c, 3, 3, 1, c, 1, 1);
        for (int k = 64; k <= 2048; k *= 2) add(k);
        for (int d = 16; d <= 256; d *= 2) fc(d, 6 + d / 16, d & 32);
        for (int c = 4; c <= 16; c += 4) { pool(32, c, 1); pool(32, c, 0); }
        for (int d = 6; d <= 48; d *= 2) softmax(d);
        for (int k = 32; k <= 512; k *= 2) quantize(k);
        for (int i = 0; i < n; i++) printf("t%d=%lu\\n", i, (unsigned long)t[i]);
        return 0;
    }
    """
}
