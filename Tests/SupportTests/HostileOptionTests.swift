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

    func testHostileNumbersInOptionsAreOneErrorLine() throws {
        let spaceOptions: [(String, [String])] = [
            ("--window", ["9223372036854775807x9", "128x9223372036854775807", "1048577x9", "0x9", "nanx9", "inf", "128x", "-5x9"]),
            ("--classes", ["9223372036854775807", "0", "1", "nan"]),
            ("--time-reduce-filters", ["9223372036854775807/1", "16/0", "0/4", "1e9/4"]),
            ("--sensor-fusion-filters", ["9223372036854775807/8", "64/9223372036854775807", "64/-8"]),
            ("--stride1-cells", ["9223372036854775807", "65"]),
        ]
        var cases: [[String]] = []
        for (option, values) in spaceOptions {
            for v in values { cases.append(["space", "info", "\(option)=\(v)"]) }
        }
        for v in ["inf", "nan", "1e300", "0", "-1", "abc", "1e10"] {
            cases.append(["emulate", "--target", "cortex-m33", "/nonexistent.elf", "--timeout=\(v)"])
        }
        for v in ["0", "-1", "abc", "1e30"] {
            cases.append(["emulate", "--target", "cortex-m33", "/nonexistent.elf", "--max-instructions=\(v)"])
        }
        for v in ["0", "-1", "9223372036854775807", "1e30", "nan"] {
            cases.append(["kernels", "verify", "--target", "cortex-m33", "--cases=\(v)"])
        }
        for args in cases {
            let line = try refusal(args)
            XCTAssertFalse(line.isEmpty, "\(args)")
        }
    }

    func testTimeoutBeyondTheCLIsRangeNamesTheRange() throws {
        let line = try refusal(["emulate", "--target", "cortex-m33", "/nonexistent.elf", "--timeout=1e300"])
        XCTAssertTrue(line.contains("--timeout must be a positive number of seconds, at most 1e9"), line)
    }
}
