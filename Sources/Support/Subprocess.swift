import Foundation

/// Runs another program and collects what it wrote.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        /// Its stderr followed by the first 2,000 bytes of its stdout: what an error message quotes.
        public var output: String { stderr + String(decoding: stdout.prefix(2000), as: UTF8.self) }
        public var stderr: String
        public var stdout: [UInt8]
    }

    /// Runs `tool` (a path, or a name looked up on PATH) with `arguments`, feeding it `stdin` and
    /// draining stdout and stderr concurrently so no pipe fills up. Throws `SupportError.missingTool`
    /// when the tool cannot be started or PATH has no such program (exit 127 from `env`).
    public static func run(_ tool: String, _ arguments: [String], stdin: [UInt8]? = nil,
                           environment: [String: String]? = nil, directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = directory }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        (process.standardOutput, process.standardError, process.standardInput) = (outPipe, errPipe, inPipe)
        do { try process.run() } catch { throw SupportError.missingTool(tool) }
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        DispatchQueue.global().async(group: group) { outData = outPipe.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = errPipe.fileHandleForReading.readDataToEndOfFile() }
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin)) }
        try? inPipe.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        // `env` itself exits 127 with "/usr/bin/env: 'tool': No such file or directory".
        if process.terminationStatus == 127, String(decoding: errData.prefix(200), as: UTF8.self).hasPrefix("/usr/bin/env:") {
            throw SupportError.missingTool(tool)
        }
        return Result(status: process.terminationStatus, stderr: String(decoding: errData, as: UTF8.self), stdout: [UInt8](outData))
    }
}
