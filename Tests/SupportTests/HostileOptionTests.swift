import Foundation
import TestSupport
import XCTest

/// Numbers from the command line that are huge, infinite, not numbers or out of range end in one
/// error line and a non-zero exit, never a trap (issue 23).
final class HostileOptionTests: XCTestCase {
    /// The error line of a refused command: ArgumentParser's "Error: …" (option validation, followed
    /// by the usage) or micronas's own last "error: …" line. Fails on success or a trap.
    private func refusal(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try Fixtures.capture(Fixtures.micronas, args)
        XCTAssertNotEqual(r.status, 0, "accepted: \(args)", file: file, line: line)
        XCTAssertFalse(Fixtures.trapped(r), "trapped: \(args): \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        if let first = lines.first, first.hasPrefix("Error: ") { return first }
        let last = lines.last ?? ""
        XCTAssertTrue(last.hasPrefix("error: "), "no error line: \(args): \(r.stderr)", file: file, line: line)
        return last
    }

    /// Values no whole number, size, duration or percentage option takes — or takes only in the
    /// options listed in `numericOptions`.
    static let hostileValues = ["0", "-1", "1e300", "9223372036854775807", "18446744073709551616", "inf", "nan", "abc", ""]

    /// Every option that takes a number (or numbers: a window, a list of subjects, a shard), with the
    /// hostile values that are valid for it. An option the command tree has and this table and
    /// `otherOptions` do not is a test failure: a new option is classified here when it is added.
    static let numericOptions: [String: Set<String>] = [
        "max-instructions": ["9223372036854775807"], "timeout": [], "repeats": [], "batch": [], "steps": [],
        "threads": [], "rounds": [], "window": [], "step": [], "channels": [], "val-count": ["0"],
        "seed": ["0", "9223372036854775807"], "cases": [], "samples": [], "epochs": [], "retrain-epochs": [],
        "lr": [], "qat-start": [], "freeze-ranges": [], "calibration-windows": [], "classes": [],
        "time-reduce-filters": [], "sensor-fusion-filters": [], "stride1-cells": ["0"], "shard": [],
        "tolerance": ["0"], "golden-count": [], "architectures": [], "latency": [], "memory": [], "flash": [],
        "test-subjects": [], "val-subjects": [], "holdout": ["0"], "augment-rotation": ["0"], "augment-gain": ["0"],
        "retrain-restarts": [], "retrain-probe-epochs": [],
    ]
    static let otherOptions: Set<String> = [
        "targets-dir", "target", "stdin", "out", "optimization", "define", "include", "cflag", "python", "dataset",
        "split", "table", "ops", "filter", "model", "input", "output", "graph", "checkpoint", "model-out", "subset",
        "predictions", "arrays-out", "graph-out", "check", "write-golden", "architecture",
        "suite", "log", "trace", "name", "boards", "retrain-on", "console",
    ]

    /// Per command, arguments that make it fail fast once its options are accepted (a missing file,
    /// a folder that cannot be created), so that a valid value ends the run too.
    static let baseArguments: [String: [String]] = [
        "emulate": ["emulate", "--target", "cortex-m33", "/nonexistent.elf"],
        "bench emulator": ["bench", "emulator", "--target", "cortex-m33", "/nonexistent.elf"],
        "bench train": ["bench", "train", "--python", "/nonexistent/python", "/nonexistent.json"],
        "bench search": ["bench", "search", "--target", "cortex-m33", "--dataset", "/nonexistent"],
        "kernels verify": ["kernels", "verify", "--target", "cortex-m33", "--ops", "nosuchop"],
        "kernels bench": ["kernels", "bench", "--target", "cortex-m33", "--filter", "nosuchentry"],
        "run": ["run", "--target", "cortex-m33", "--model", "/nonexistent.tflite", "--input", "/nonexistent.npy"],
        "profile": ["profile", "--target", "cortex-m33", "/nonexistent.tflite"],
        "dataset info": ["dataset", "info", "/nonexistent"],
        "train": ["train", "--graph", "/nonexistent.json", "--dataset", "/nonexistent"],
        "quantize": ["quantize", "--graph", "/nonexistent.json", "--checkpoint", "/nonexistent.ckpt", "--dataset", "/nonexistent", "--model-out", "/nonexistent/m.tflite"],
        "evaluate": ["evaluate", "--target", "cortex-m33", "--model", "/nonexistent.tflite", "--dataset", "/nonexistent"],
        "space info": ["space", "info"],
        "space sample": ["space", "sample", "--graph-out", "/nonexistent/g.json"],
        "space graph": ["space", "graph", "--architecture", "/nonexistent.json", "--graph-out", "/nonexistent/g.json"],
        "characterize measure": ["characterize", "measure", "--target", "cortex-m33", "--table", "/etc/hostname/t.sqlite"],
        "characterize validate": ["characterize", "validate", "--target", "cortex-m33", "--table", "/etc/hostname/t.sqlite"],
        "characterize predict": ["characterize", "predict", "--target", "cortex-m33", "--table", "/etc/hostname/t.sqlite", "--architecture", "/nonexistent.json"],
        "calibrate fit": ["calibrate", "fit", "--target", "cortex-m33", "--trace", "/nonexistent.jsonl", "--out", "/nonexistent/o.json"],
        "search": ["search", "--target", "cortex-m33", "--dataset", "/nonexistent", "--latency", "25ms", "--memory", "64KB"],
    ]

    /// (command, long option) for every option of every command, from ArgumentParser's dump of the
    /// command tree.
    private func allOptions() throws -> [(command: String, option: String)] {
        let r = try Fixtures.capture(Fixtures.micronas, ["--experimental-dump-help"])
        XCTAssertEqual(r.status, 0)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        var found: [(String, String)] = []
        func walk(_ c: [String: Any], _ path: [String]) {
            for a in c["arguments"] as? [[String: Any]] ?? [] where a["kind"] as? String == "option" {
                let names = (a["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" }.compactMap { $0["name"] as? String }
                if let n = names.first, n != "help", n != "version" { found.append((path.joined(separator: " "), n)) }
            }
            for s in c["subcommands"] as? [[String: Any]] ?? [] { walk(s, path + [s["commandName"] as? String ?? "?"]) }
        }
        walk(try XCTUnwrap(root["command"] as? [String: Any]), [])
        return found
    }

    /// Every numeric option of every command, given each hostile value: a refused value ends in a
    /// non-zero exit and one error line that names the option; a value the option takes ends the
    /// run (on the missing file) without a trap; nothing hangs or traps.
    func testEveryNumericOptionOfEveryCommand() throws {
        let options = try allOptions()
        XCTAssertGreaterThan(options.count, 100, "the command tree dump lost options")
        let unclassified = options.filter { Self.numericOptions[$0.option] == nil && !Self.otherOptions.contains($0.option) }
        XCTAssertTrue(unclassified.isEmpty, "classify these options in HostileOptionTests: \(unclassified)")
        let numeric = options.filter { Self.numericOptions[$0.option] != nil }
        let missingBase = Set(numeric.map(\.command)).subtracting(Self.baseArguments.keys)
        XCTAssertTrue(missingBase.isEmpty, "no base arguments for \(missingBase.sorted())")
        let cases = numeric.flatMap { o in Self.hostileValues.map { (o.command, o.option, $0) } }.filter { Self.baseArguments[$0.0] != nil }
        try check(cases)
    }

    /// Hostile values in each option's own format (a window TxS, a MAX/G filter pair, a shard I/N, a
    /// quantity with a unit, a subject list), given to every command that has the option.
    func testHostileValuesInEachOptionsFormat() throws {
        let formatted: [String: [String]] = [
            "window": ["9223372036854775807x9", "128x9223372036854775807", "1048577x9", "0x9", "nanx9", "128x", "-5x9", "1048577"],
            "step": ["1048577"],
            "time-reduce-filters": ["9223372036854775807/1", "16/0", "0/4", "1e9/4", "16/32"],
            "sensor-fusion-filters": ["9223372036854775807/8", "64/9223372036854775807", "64/-8"],
            "stride1-cells": ["65"], "classes": ["65537", "1"],
            "shard": ["1/1", "0/0", "-1/2", "0/9223372036854775808", "a/b"],
            "tolerance": ["1e300%", "101%", "-1%", "nan%"],
            "latency": ["1e300ms", "infms", "-5ms", "0us", "25", "25parsecs"],
            "memory": ["1e30KB", "-64KB", "0KB", "64", "64furlongs"], "flash": ["1e30KB", "0KB"],
            "test-subjects": ["1,0", "1,abc", "1,,2", "70000"], "val-subjects": ["1,-3", "99999999999"],
            "timeout": ["1e10"], "lr": ["11", "1e-50"],
        ]
        let cases = try allOptions().flatMap { o in (formatted[o.option] ?? []).map { (o.command, o.option, $0) } }
        XCTAssertGreaterThan(cases.count, 100)
        try check(cases)
    }

    /// Runs each (command, option, value) on the command's `baseArguments`, two at a time.
    private func check(_ cases: [(String, String, String)]) throws {
        let results = UnsafeMutableBufferPointer<String?>.allocate(capacity: cases.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        let binary = Fixtures.micronas
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for i in stride(from: worker, to: cases.count, by: 2) {
                let (command, option, value) = cases[i]
                let args = ["60", binary] + Self.baseArguments[command]! + ["--\(option)=\(value)"]
                let description = "\(command) --\(option)=\(value)"
                guard let r = try? Fixtures.capture("/usr/bin/timeout", args) else { out[i] = "\(description): did not start"; continue }
                let errorLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") || $0.hasPrefix("error: ") }
                var problem: String? = nil
                if Fixtures.trapped(r) { problem = "trapped: \(r.stderr.prefix(300))" }
                else if r.status == 124 { problem = "still running after 60 s" }
                else if Self.numericOptions[option]!.contains(value) { problem = nil }
                else if r.status == 0 { problem = "accepted" }
                else if errorLines.count != 1 { problem = "\(errorLines.count) error lines: \(r.stderr.prefix(300))" }
                else if !errorLines[0].contains("--\(option)") { problem = "the error does not name --\(option): \(errorLines[0])" }
                out[i] = problem.map { "\(description): \($0)" }
            }
        }
        let problems = results.compactMap { $0 }
        XCTAssertTrue(problems.isEmpty, "\(problems.count) of \(cases.count) runs:\n" + problems.joined(separator: "\n"))
    }

    func testTimeoutBeyondTheCLIsRangeNamesTheRange() throws {
        let line = try refusal(["emulate", "--target", "cortex-m33", "/nonexistent.elf", "--timeout=1e300"])
        XCTAssertTrue(line.contains("--timeout must be a positive number of seconds, at most 1e9"), line)
    }
}
