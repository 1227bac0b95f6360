import Foundation
import Kernels
import Support
import Targets
import XCTest

/// Paths and builders shared by the test targets.
public enum Fixtures {
    /// The repository root (three levels above this file).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var targetsDirectory: URL { root.appendingPathComponent("targets") }

    /// A cache the tests share across runs (downloads): `tests/` under micronas's cache folder,
    /// never the checkout.
    public static var testCache: URL { CacheDirectory.root().appendingPathComponent("tests") }

    public static func catalog() throws -> BoardCatalog { try BoardCatalog(directory: targetsDirectory) }

    public static func board(_ name: String) throws -> Board { try catalog().board(named: name) }

    /// A fresh temporary directory for one test.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("micronas-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public struct ToolError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The description of the error `body` throws, or "no error" (which no expected message equals).
    public static func errorMessage<T>(_ body: () throws -> T) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    /// Runs a program and returns its stdout; throws with stderr on failure.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + arguments
        if let d = directory { p.currentDirectoryURL = d }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ToolError(description: "\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: e, as: UTF8.self))")
        }
        return String(decoding: o, as: UTF8.self)
    }

    public struct Outcome { public var status: Int32; public var stdout: String; public var stderr: String }

    /// Runs a program to completion, draining stdout and stderr concurrently; never throws on a failing status.
    public static func capture(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                               in directory: URL? = nil) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = directory ?? root
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        (p.standardOutput, p.standardError) = (out, err)
        try p.run()
        nonisolated(unsafe) var o = Data(), e = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { o = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { e = err.fileHandleForReading.readDataToEndOfFile() }
        p.waitUntilExit()
        group.wait()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Whether a run ended in a Swift trap or a crash rather than an error (the runtime's messages,
    /// a backtrace, or a signal's exit status).
    public static func trapped(_ r: Outcome) -> Bool {
        r.stderr.contains("Fatal error") || r.stderr.contains("runtime failure") || r.stderr.contains("Backtracing")
            || [132, 133, 134, 139].contains(r.status)
    }

    /// Runs `micronas` expecting it to fail as a user should see it: a non-zero exit, no trap, the
    /// last stderr line an `error: …` line (progress lines may come first); returns that line.
    public static func micronasFailure(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try capture(micronas, args)
        XCTAssertNotEqual(r.status, 0, "expected failure: \(args)", file: file, line: line)
        XCTAssertFalse(trapped(r), "trapped: \(r.stderr)", file: file, line: line)
        let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.hasPrefix("error: "), "not one error line: \(r.stderr)", file: file, line: line)
        return last
    }

    /// The built `micronas` next to the running test bundle.
    public static var micronas: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("micronas").path
    }

    /// Assembles a bare Thumb-2 program (no C library) linked with `.text` at `textAddress`,
    /// entry `start`. `cpu` is a -mcpu value.
    public static func assemble(_ source: String, cpu: String, textAddress: UInt64, fpu: Bool = false) throws -> String {
        let dir = try temporaryDirectory()
        let src = dir.appendingPathComponent("snippet.S")
        let elf = dir.appendingPathComponent("snippet.elf")
        let header = ".syntax unified\n.thumb\n.text\n.global start\n.thumb_func\n"
        try (header + source + "\n").write(to: src, atomically: true, encoding: .utf8)
        var flags = ["-mcpu=\(cpu)", "-mthumb", "-nostdlib", "-nostartfiles", "-Wl,-e,start",
                     "-Wl,-Ttext=0x\(String(textAddress, radix: 16))", "-Wl,--no-warn-rwx-segments"]
        if fpu { flags += ["-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"] }
        try run("arm-none-eabi-gcc", flags + [src.path, "-o", elf.path])
        return elf.path
    }

    /// Builds a C program with the board's harness (start-up code, the linker script generated from
    /// the board file, rdimon semihosting), as `micronas build` does.
    public static func buildWithHarness(_ cSource: String, board: String, optimization: String = "-O2", defines: [String] = []) throws -> String {
        let dir = try temporaryDirectory()
        let src = dir.appendingPathComponent("program.c")
        try cSource.write(to: src, atomically: true, encoding: .utf8)
        var toolchain = KernelToolchain(root: root)
        toolchain.optimization = optimization
        return try toolchain.firmware(name: "program", sources: [src], includes: [], headers: [], board: try Self.board(board), defines: defines).path
    }
}
