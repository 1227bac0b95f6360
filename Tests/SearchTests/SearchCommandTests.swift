import Datasets
import Foundation
import Support
import TestSupport
import XCTest

/// `micronas search` as a user calls it, on a small NPY dataset and the emulated Cortex-M33: the
/// delivered model is measured within the limits, a run killed with SIGKILL and started again ends
/// as the uninterrupted run, and bad input is one error line with a non-zero exit.
final class SearchCommandTests: XCTestCase {
    func micronas(_ args: [String]) throws -> Fixtures.Outcome { try Fixtures.capture(Fixtures.micronas, args) }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// 3 classes of [32, 3] windows told apart by frequency (a sine of 0.25, 0.6 or 1.2 rad/sample
    /// on every channel, random phase, noise): what a Time-Reduce conv and average pooling learn.
    static func frequencies(subjects: Int = 6, perSubject: Int = 45, length: Int = 32) -> RawWindows {
        var g = SplitMix64(seed: 5)
        var x: [Float] = [], y: [Int32] = [], s: [Int32] = []
        let omega: [Float] = [0.25, 0.6, 1.2]
        for subject in 1...subjects {
            for k in 0..<perSubject {
                let c = k % 3
                let phase = (0..<3).map { _ in Float.random(in: 0..<6.28, using: &g) }
                for t in 0..<length { for ch in 0..<3 { x.append(sinf(omega[c] * Float(t) + phase[ch]) + Float.random(in: -0.3...0.3, using: &g)) } }
                y.append(Int32(c)); s.append(Int32(subject))
            }
        }
        return RawWindows(name: "frequencies", length: length, channels: ["a", "b", "c"], classes: ["slow", "mid", "fast"], x: x, y: y, subjects: s)
    }

    func testSearchEndToEndResumeAndBadInput() throws {
        let dir = try Fixtures.temporaryDirectory()
        let data = dir.appendingPathComponent("data")
        try SyntheticWindows.writeNPY(Self.frequencies(), to: data)
        let table = dir.appendingPathComponent("lookup.sqlite").path
        func args(_ out: String, epochs: Int = 3, latency: String = "2ms", memory: String = "16KB") -> [String] {
            ["search", "--emulate", "cortex-m33", "--dataset", data.path, "--latency", latency, "--memory", memory, "--epochs", "\(epochs)",
             "--retrain-epochs", "4", "--batch", "16", "--threads", "2", "--test-subjects", "5,6", "--val-subjects", "4",
             "--table", table, "--out", dir.appendingPathComponent(out).path, "--json"]
        }

        // A whole run.
        let first = try micronas(args("run"))
        XCTAssertEqual(first.status, 0, first.stderr)
        let s = try json(first.stdout)
        XCTAssertEqual(s["board"] as? String, "nucleo-l552ze-q")
        let latency = try XCTUnwrap(s["latency_ms"] as? [String: Any]), arena = try XCTUnwrap(s["arena_bytes"] as? [String: Any])
        XCTAssertLessThanOrEqual(try XCTUnwrap(latency["measured_max"] as? Double), 2, "the promise: measured within the limit")
        XCTAssertLessThanOrEqual(try XCTUnwrap(arena["planned"] as? Int), 16 * 1024)
        XCTAssertEqual(latency["limit"] as? Double, 2)
        XCTAssertEqual(arena["limit"] as? Int, 16384)
        XCTAssertEqual(try XCTUnwrap(latency["predicted"] as? Double), try XCTUnwrap(latency["measured"] as? Double), accuracy: 0.05 * 2)
        for key in ["architecture", "accuracy", "macro_f1", "flash_bytes", "shrunk", "wall_seconds", "out", "stack_bytes"] { XCTAssertNotNil(s[key], key) }
        let accuracy = try XCTUnwrap(s["accuracy"] as? [String: Double])
        XCTAssertGreaterThan(try XCTUnwrap(accuracy["int8"]), 0.5, "the synthetic classes are easy")
        // Retrained on the training and the validation subjects (all but the test subjects 5 and 6).
        XCTAssertEqual(s["retrain_on"] as? String, "train+val")
        XCTAssertEqual(s["retrain_windows"] as? Int, Self.frequencies().subjects.filter { $0 != 5 && $0 != 6 }.count)
        // Three retraining starts of one epoch each (4 / 20, at least 1); the one delivered has the best training accuracy.
        let starts = try XCTUnwrap(s["retrain_starts"] as? [[String: Any]])
        XCTAssertEqual(starts.compactMap { $0["seed"] as? Int }, [1, 2, 3])
        func rank(_ x: [String: Any]) -> (Double, Double, Int) { (x["train_accuracy"] as! Double, -(x["loss"] as! Double), -(x["seed"] as! Int)) }
        let best = try XCTUnwrap(starts.max { rank($0) < rank($1) })
        XCTAssertEqual(s["retrain_seed"] as? Int, best["seed"] as? Int)
        let run = dir.appendingPathComponent("run")
        for file in ["run.json", "table.json", "architecture.json", "model.tflite", "model.json", "c/micronas_model.c", "summary.json", "search-log.jsonl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
        }
        let log = try String(contentsOf: run.appendingPathComponent("search-log.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 3)
        let entry = try json(String(log[0]))
        for key in ["weight_loss", "validation_loss", "latency_loss", "memory_loss", "validation_accuracy", "expected_latency_ms",
                    "expected_arena_bytes", "temperature", "probabilities"] { XCTAssertNotNil(entry[key], key) }

        // Killed with SIGKILL mid-run and started again: the uninterrupted result.
        let long = args("killed", epochs: 24)
        let uninterrupted = try micronas(args("whole", epochs: 24))
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Fixtures.micronas)
        p.arguments = long
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let killedLog = dir.appendingPathComponent("killed/search-log.jsonl").path
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: killedLog, encoding: .utf8), text.split(separator: "\n").count >= 2 { break }
            usleep(20_000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let resumed = try micronas(long)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming"), resumed.stderr)
        let a = try json(uninterrupted.stdout), b = try json(resumed.stdout)
        for key in ["architecture", "accuracy", "macro_f1", "flash_bytes", "shrunk"] {
            func text(_ v: Any?) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: ["v": v ?? NSNull()], options: [.sortedKeys]), as: UTF8.self)
            }
            XCTAssertEqual(try text(a[key]), try text(b[key]), key)
        }
        XCTAssertEqual((a["latency_ms"] as? [String: Any])?["measured"] as? Double, (b["latency_ms"] as? [String: Any])?["measured"] as? Double)

        // Bad input: one line naming the cause, non-zero exit, nothing of the earlier run lost.
        func fails(_ arguments: [String], _ needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let message = try Fixtures.micronasFailure(arguments, file: file, line: line)
            XCTAssertTrue(message.contains(needle), "\(message) lacks '\(needle)'", file: file, line: line)
        }
        func removing(_ a: [String], _ option: String) -> [String] {
            var a = a
            let i = a.firstIndex(of: option)!
            a.removeSubrange(i...(i + 1))
            return a
        }
        func replacing(_ a: [String], _ option: String, _ value: String) -> [String] {
            var a = a
            a[a.firstIndex(of: option)! + 1] = value
            return a
        }
        let base = args("bad")
        try fails(replacing(base, "--emulate", "cortex-m99"), "cortex-m99")
        for bad in ["0ms", "25", "fast", "nanms", "infms", "1e400ms"] { try fails(replacing(base, "--latency", bad), "--latency") }
        for bad in ["0KB", "64", "0.5B", "1e30KB"] { try fails(replacing(base, "--memory", bad), "--memory") }
        try fails(removing(base, "--latency") + ["--latency=-1ms"], "--latency")
        try fails(removing(base, "--memory") + ["--memory=-4KB"], "--memory")
        try fails(replacing(base, "--latency", "0.001ms"), "fastest takes")
        // Units: 1 us = 0.001 ms, 16KiB = 0.015625MB = 16384 B.
        try fails(replacing(replacing(base, "--latency", "1us"), "--memory", "16KiB"), "fits 0.001 ms and 16384 B")
        try fails(replacing(replacing(base, "--latency", "0.000001s"), "--memory", "0.015625MB"), "fits 0.001 ms and 16384 B")
        try fails(replacing(base, "--memory", "16B"), "smallest arena")
        let short = dir.appendingPathComponent("short")
        try SyntheticWindows.writeNPY(Self.frequencies(length: 16), to: short)
        try fails(replacing(base, "--dataset", short.path), "too short")
        try fails(replacing(base, "--val-subjects", "99"), "validation subject 99")
        try fails(removing(base, "--val-subjects") + ["--val-count", "0"], "validation split has no windows")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad").path), "refused runs leave no folder")
        let before = try Data(contentsOf: run.appendingPathComponent("summary.json"))
        try fails(replacing(args("run"), "--latency", "3ms"), "holds another run")
        XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("summary.json")), before, "the earlier run is untouched")
        try "{not json".write(to: run.appendingPathComponent("search-checkpoint.json"), atomically: true, encoding: .utf8)
        try fails(args("run"), "corrupt search checkpoint")
        try fails(args("nowhere") + ["--resume"], "--resume")
        try fails(replacing(base, "--out", dir.appendingPathComponent("missing/deeper/out").path), "does not exist")
        let early = try Fixtures.capture(Fixtures.micronas, replacing(replacing(base, "--out", dir.appendingPathComponent("missing/deeper/out").path), "--emulate", "cortex-m7"))
        XCTAssertFalse(early.stderr.contains("characterizing") || early.stderr.contains("per-invoke overhead"), "a bad --out is refused before the long work: \(early.stderr)")
    }
}
