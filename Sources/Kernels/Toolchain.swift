import Foundation
import Support
import Targets

/// Builds the C kernels: for a board with `arm-none-eabi-gcc` and the board file's flags (plus the
/// harness start-up code and a linker script generated from the board's memory map), and for the
/// host with the system C compiler. Images are cached under `$MICRONAS_CACHE/builds` with a name
/// derived from a hash of every input (sources, headers, linker script, flags, compiler), so an
/// unchanged kernel is never rebuilt; writes go through a temporary file and a rename, so an
/// interrupted build never leaves a truncated image behind.
public struct KernelToolchain: Sendable {
    /// Repository root: the folder holding `kernels/` (read only).
    public let root: URL
    /// Where images and generated linker scripts go.
    public let cacheDirectory: URL
    public var optimization = "-O2"

    public init(root: URL, cacheDirectory: URL = CacheDirectory.builds) {
        self.root = root
        self.cacheDirectory = cacheDirectory
    }

    /// The toolchain of the repository beside a catalog's lowest layer (the repository's own
    /// `targets/`), or else of the repository above the executable or working directory.
    public init(catalog: BoardCatalog, cacheDirectory: URL = CacheDirectory.builds) {
        func hasKernels(_ root: URL) -> Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("kernels/src").path) }
        let candidates = catalog.directories.map { $0.deletingLastPathComponent() }
            + [BoardCatalog.repositoryDirectory().map { $0.deletingLastPathComponent() }].compactMap { $0 }
        self.init(root: candidates.first(where: hasKernels) ?? catalog.directories[0].deletingLastPathComponent(), cacheDirectory: cacheDirectory)
    }

    /// The harness folder (start-up code, `common.ld`, the model runner) and kernels/src.
    public var harnessDirectory: URL { root.appendingPathComponent("kernels/harness") }
    public var kernelsDirectory: URL { root.appendingPathComponent("kernels/src") }

    /// The kernel library's C files (kernels/src/*.c), sorted.
    public func kernelSources() throws -> [URL] {
        guard FileManager.default.fileExists(atPath: kernelsDirectory.path) else {
            throw KernelError.toolchain(command: "micronas", status: -1, output: "no kernel sources at \(kernelsDirectory.path) (kernels/ of the micronas repository)")
        }
        return try FileManager.default.contentsOfDirectory(at: kernelsDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "c" }.sorted { $0.path < $1.path }
    }

    /// The kernel library's headers (kernels/src/*.h), sorted.
    public func kernelHeaders() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: kernelsDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "h" }.sorted { $0.path < $1.path }
    }

    /// Firmware running `program` (a file in kernels/harness) with every kernel on `board`.
    public func firmware(program: String = "verify.c", board: Board, defines: [String] = []) throws -> URL {
        try firmware(name: program.replacingOccurrences(of: ".c", with: ""), sources: [harnessDirectory.appendingPathComponent(program)] + (try kernelSources()),
                     includes: [kernelsDirectory], headers: try kernelHeaders(), board: board, defines: defines)
    }

    /// A content hash of everything a board build of the kernels depends on — the compiler, the
    /// board's flags and generated linker script, the optimization level, every kernel source and
    /// header and the harness files (start-up code, runners, `common.ld`, `dwt.h`) — computed
    /// without building, so it also exists for boards whose RAM cannot hold the verification
    /// firmware's arena. Lookup tables key their entries by it: changed kernels are measured again.
    public func kernelHash(board: Board) throws -> String {
        var hash = FNV1a()
        hash.add("arm-none-eabi-gcc")
        for flag in board.compilerFlags + [optimization] { hash.add(flag) }
        hash.add(LinkerScript.text(for: board))
        let harnessFiles = ["startup.c", "model_runner.c", "verify.c", "dwt.h", "ld/common.ld"].map { harnessDirectory.appendingPathComponent($0) }
        try Self.addFiles(try kernelSources() + (try kernelHeaders()) + harnessFiles, to: &hash)
        return hash.hex
    }

    /// A content hash of the kernel sources and headers alone (what a generated deployment copies
    /// next to its own code): folders of generated code are named by it, so changed kernels never
    /// meet a folder holding the old ones.
    public func kernelSourceHash() throws -> String {
        var hash = FNV1a()
        try Self.addFiles(try kernelSources() + (try kernelHeaders()), to: &hash)
        return hash.hex
    }

    private static func addFiles(_ files: [URL], to hash: inout FNV1a) throws {
        for f in files {
            guard let data = FileManager.default.contents(atPath: f.path) else {
                throw KernelError.toolchain(command: "micronas", status: -1, output: "cannot read \(f.path)")
            }
            hash.add(f.lastPathComponent)
            hash.add(data)
        }
    }

    /// The same program built for the host (reference executor).
    public func hostProgram(program: String = "verify.c", defines: [String] = []) throws -> URL {
        try hostProgram(name: program.replacingOccurrences(of: ".c", with: ""), sources: [harnessDirectory.appendingPathComponent(program)] + (try kernelSources()),
                        includes: [kernelsDirectory], headers: try kernelHeaders(), defines: defines)
    }

    /// Firmware from `sources` (plus the harness start-up code, the board's generated linker
    /// script and the semihosting runtime) for `board`. `headers` are hashed with the sources so a
    /// changed header rebuilds. `sizing`: link with the regions enlarged (`LinkerScript.text`), to
    /// measure an image that does not fit the board. `flags`: extra compiler flags (after the
    /// optimization level, so they may override it).
    public func firmware(name: String, sources: [URL], includes: [URL], headers: [URL], board: Board, defines: [String] = [],
                         flags extra: [String] = [], sizing: Bool = false) throws -> URL {
        let harness = harnessDirectory
        let script = LinkerScript.text(for: board, sizing: sizing)
        var scriptHash = FNV1a()
        scriptHash.add(script)
        let scriptURL = cacheDirectory.appendingPathComponent("ld/\(board.name)\(sizing ? "-sizing" : "")-\(scriptHash.hex).ld")
        if !FileManager.default.fileExists(atPath: scriptURL.path) {
            try AtomicWrite.file(Data(script.utf8), to: scriptURL, createParents: true)
        }
        let inputs = sources + [harness.appendingPathComponent("startup.c")]
        let flags = board.compilerFlags + [optimization, "-std=c99", "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections"] + extra
            + ["-I\(harness.path)"] + includes.map { "-I\($0.path)" } + defines.map { "-D\($0)" }
        let link = ["--specs=rdimon.specs", "-Wl,--gc-sections", "-L\(harness.appendingPathComponent("ld").path)", "-T\(scriptURL.path)", "-lm"]
        let hashed = inputs + headers + [scriptURL, harness.appendingPathComponent("ld/common.ld"), harness.appendingPathComponent("dwt.h")]
        return try build(compiler: "arm-none-eabi-gcc", name: "\(name)-\(board.name)\(sizing ? "-sizing" : "").elf",
                         arguments: flags + inputs.map(\.path) + link, hashing: hashed)
    }

    /// The board's generated clock set-up and console source (`BoardSetupSource`), written once
    /// into the cache; compile it with the harness folder on the include path (`mn_board.h`).
    public func boardSetupSource(board: Board) throws -> URL {
        let text = BoardSetupSource.text(for: board)
        var hash = FNV1a()
        hash.add(text)
        let url = cacheDirectory.appendingPathComponent("board/\(board.name)-\(hash.hex).c")
        if !FileManager.default.fileExists(atPath: url.path) { try AtomicWrite.file(Data(text.utf8), to: url, createParents: true) }
        return url
    }

    /// A program from `sources` for the host.
    public func hostProgram(name: String, sources: [URL], includes: [URL], headers: [URL], defines: [String] = []) throws -> URL {
        let flags = [optimization, "-std=c99", "-Wall", "-Wextra", "-I\(harnessDirectory.path)"] + includes.map { "-I\($0.path)" } + defines.map { "-D\($0)" }
        return try build(compiler: "cc", name: "\(name)-host", arguments: flags + sources.map(\.path) + ["-lm"], hashing: sources + headers)
    }

    private func build(compiler: String, name: String, arguments: [String], hashing files: [URL]) throws -> URL {
        // Paths inside the repository and the cache are hashed relative to them, so the same
        // sources give the same name (and lookup-table key) wherever the checkout or cache lives.
        var hash = FNV1a()
        hash.add(compiler)
        for a in arguments { hash.add(a.replacingOccurrences(of: cacheDirectory.path, with: "$CACHE").replacingOccurrences(of: root.path, with: "$ROOT")) }
        for f in files {
            guard let data = FileManager.default.contents(atPath: f.path) else {
                throw KernelError.toolchain(command: compiler, status: -1, output: "cannot read \(f.path)")
            }
            hash.add(f.lastPathComponent)
            hash.add(data)
        }
        let out = cacheDirectory.appendingPathComponent("\(name)-\(hash.hex)")
        if FileManager.default.fileExists(atPath: out.path) { return out }
        do { try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true) } catch {
            throw SupportError.cannotWrite(path: cacheDirectory.path, reason: "\(error.localizedDescription) (set MICRONAS_CACHE to a writable folder)")
        }
        let temporary = cacheDirectory.appendingPathComponent(".\(out.lastPathComponent).\(getpid()).tmp")
        let result = try Subprocess.run(compiler, arguments + ["-o", temporary.path])
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
