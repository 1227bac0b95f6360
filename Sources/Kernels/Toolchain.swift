import Foundation
import Targets

/// Builds the C kernels: for a board with `arm-none-eabi-gcc` and the board file's flags (plus the
/// harness start-up code and linker script), and for the host with the system C compiler. Images
/// are cached under a name derived from a hash of every input (sources, headers, linker scripts,
/// flags, compiler), so an unchanged kernel is never rebuilt; writes go through a temporary file
/// and a rename, so an interrupted build never leaves a truncated image behind.
public struct KernelToolchain: Sendable {
    /// Repository root: the folder holding `kernels/` and `targets/`.
    public let root: URL
    public let cacheDirectory: URL
    public var optimization = "-O2"

    public init(root: URL, cacheDirectory: URL? = nil) {
        self.root = root
        self.cacheDirectory = cacheDirectory ?? root.appendingPathComponent(".build/micronas-kernels")
    }

    /// The toolchain for the repository that holds a board catalog's `targets/` folder; for a
    /// catalog elsewhere (a recalibrated copy of the boards), the repository found the standard way
    /// (`BoardCatalog.locateDirectory`, ignoring $MICRONAS_TARGETS).
    public init(catalog: BoardCatalog) {
        let beside = catalog.directory.deletingLastPathComponent()
        func hasKernels(_ root: URL) -> Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("kernels/src").path) }
        if !hasKernels(beside), let standard = try? BoardCatalog.locateDirectory(environment: [:]).deletingLastPathComponent(), hasKernels(standard) {
            self.init(root: standard)
        } else {
            self.init(root: beside)
        }
    }

    var harness: URL { root.appendingPathComponent("kernels/harness") }
    var sources: URL { root.appendingPathComponent("kernels/src") }

    func kernelSources() throws -> [URL] {
        guard FileManager.default.fileExists(atPath: sources.path) else {
            throw KernelError.toolchain(command: "micronas", status: -1, output: "no kernel sources at \(sources.path) (kernels/ of the micronas repository)")
        }
        return try FileManager.default.contentsOfDirectory(at: sources, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "c" }.sorted { $0.path < $1.path }
    }

    func kernelHeaders() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: sources, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "h" }.sorted { $0.path < $1.path }
    }

    /// Firmware running `program` (a file in kernels/harness) with every kernel on `board`.
    public func firmware(program: String = "verify.c", board: Board, defines: [String] = []) throws -> URL {
        try firmware(name: program.replacingOccurrences(of: ".c", with: ""), sources: [harness.appendingPathComponent(program)] + (try kernelSources()),
                     includes: [sources], headers: try kernelHeaders(), board: board, defines: defines)
    }

    /// The same program built for the host (reference executor).
    public func hostProgram(program: String = "verify.c", defines: [String] = []) throws -> URL {
        try hostProgram(name: program.replacingOccurrences(of: ".c", with: ""), sources: [harness.appendingPathComponent(program)] + (try kernelSources()),
                        includes: [sources], headers: try kernelHeaders(), defines: defines)
    }

    /// Firmware from `sources` (plus the harness start-up code, linker script and semihosting
    /// runtime) for `board`. `headers` are hashed with the sources so a changed header rebuilds.
    public func firmware(name: String, sources: [URL], includes: [URL], headers: [URL], board: Board, defines: [String] = []) throws -> URL {
        let ld = harness.appendingPathComponent("ld")
        let inputs = sources + [harness.appendingPathComponent("startup.c")]
        let flags = board.compilerFlags + [optimization, "-std=c99", "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections",
                                           "-I\(harness.path)"] + includes.map { "-I\($0.path)" } + defines.map { "-D\($0)" }
        let link = ["--specs=rdimon.specs", "-Wl,--gc-sections", "-L\(ld.path)", "-T\(ld.appendingPathComponent("\(board.name).ld").path)", "-lm"]
        let hashed = inputs + headers + [ld.appendingPathComponent("common.ld"), ld.appendingPathComponent("\(board.name).ld"),
                                         harness.appendingPathComponent("dwt.h")]
        return try build(compiler: "arm-none-eabi-gcc", name: "\(name)-\(board.name).elf", arguments: flags + inputs.map(\.path) + link, hashing: hashed)
    }

    /// A program from `sources` for the host.
    public func hostProgram(name: String, sources: [URL], includes: [URL], headers: [URL], defines: [String] = []) throws -> URL {
        let flags = [optimization, "-std=c99", "-Wall", "-Wextra", "-I\(harness.path)"] + includes.map { "-I\($0.path)" } + defines.map { "-D\($0)" }
        return try build(compiler: "cc", name: "\(name)-host", arguments: flags + sources.map(\.path) + ["-lm"], hashing: sources + headers)
    }

    /// The harness folder (model runner source) and kernels/src.
    public var harnessDirectory: URL { harness }
    public var kernelsDirectory: URL { sources }

    private func build(compiler: String, name: String, arguments: [String], hashing files: [URL]) throws -> URL {
        var hash = FNV1a()
        hash.add(compiler)
        for a in arguments { hash.add(a) }
        for f in files {
            guard let data = FileManager.default.contents(atPath: f.path) else {
                throw KernelError.toolchain(command: compiler, status: -1, output: "cannot read \(f.path)")
            }
            hash.add(f.lastPathComponent)
            hash.add(data)
        }
        let out = cacheDirectory.appendingPathComponent("\(name)-\(String(hash.value, radix: 16))")
        if FileManager.default.fileExists(atPath: out.path) { return out }
        try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        let temporary = cacheDirectory.appendingPathComponent(".\(out.lastPathComponent).\(getpid()).tmp")
        let result = try runTool(compiler, arguments + ["-o", temporary.path])
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw KernelError.toolchain(command: compiler, status: result.status, output: result.output)
        }
        if rename(temporary.path, out.path) != 0 {
            throw KernelError.toolchain(command: "rename", status: errno, output: String(cString: strerror(errno)))
        }
        return out
    }
}

extension KernelToolchain {
    /// Runs a built host program with `stdin`; its exit status, stderr (+ the start of stdout) and stdout.
    public static func runProgram(_ program: URL, stdin: [UInt8]) throws -> (status: Int32, output: String, stdout: [UInt8]) {
        try runTool(program.path, [], stdin: stdin)
    }
}

/// Runs a tool found on PATH; returns its exit status and combined output.
func runTool(_ tool: String, _ arguments: [String], stdin: [UInt8]? = nil) throws -> (status: Int32, output: String, stdout: [UInt8]) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let outPipe = Pipe(), errPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    let inPipe = Pipe()
    process.standardInput = inPipe
    try process.run()
    // Feed stdin and drain both outputs concurrently so no pipe fills up.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    DispatchQueue.global().async(group: group) { outData = outPipe.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { errData = errPipe.fileHandleForReading.readDataToEndOfFile() }
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin)) }
    try? inPipe.fileHandleForWriting.close()
    process.waitUntilExit()
    group.wait()
    if process.terminationStatus == 127 { throw KernelError.missingTool(tool) }
    let text = String(decoding: errData, as: UTF8.self) + String(decoding: outData.prefix(2000), as: UTF8.self)
    return (process.terminationStatus, text, [UInt8](outData))
}

/// 64-bit FNV-1a, for content-addressed cache names.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325
    public init() {}
    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for b in bytes { value = (value ^ UInt64(b)) &* 0x100_0000_01B3 }
        value = (value ^ 0xFF) &* 0x100_0000_01B3  // separator
    }
    public mutating func add(_ s: String) { add(Array(s.utf8)) }
    public mutating func add(_ d: Data) { add([UInt8](d)) }
}
