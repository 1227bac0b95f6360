import ArgumentParser
import Foundation
import Kernels
import Support
import Targets

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build bare-metal firmware for a board: C sources + the harness start-up code, linked from the board's memory map.",
        discussion: """
        Compiles with arm-none-eabi-gcc and the board file's compiler flags, links with newlib's semihosting runtime \
        (printf, stdin, exit codes) and a linker script generated from the board's memory map (code at the boot \
        address, data and stack in its RAM region). The same image runs in `micronas emulate` and on the board under a \
        debugger with semihosting. Images are cached under $MICRONAS_CACHE/builds; --out copies the image there.
        """
    )

    @OptionGroup var board: BoardOption
    @Argument(help: "C sources.") var sources: [String]
    @Option(help: "Where to write the ELF (default: print the cached image's path).") var out: String?
    @Option(help: "Optimization level.") var optimization: OptimizationLevel = .O2
    @Option(name: .customLong("define"), help: "A preprocessor definition NAME or NAME=VALUE (repeatable).") var defines: [String] = []
    @Option(name: .customLong("include"), help: "An include folder (repeatable).") var includes: [String] = []
    @Option(name: .customLong("cflag"), help: "A further compiler flag, e.g. --cflag=-g (repeatable).") var cflags: [String] = []
    @Flag(help: "Also compile and link the int8 kernels (kernels/src).") var withKernels = false
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("give at least one C source") }
        for d in defines where d.isEmpty || d.hasPrefix("-") || d.contains(" ") {
            throw ValidationError("--define '\(d)' must look like NAME or NAME=VALUE")
        }
    }

    func run() throws {
        try reportingErrors {
            let (b, _, toolchainForCatalog) = try board.resolve()
            var toolchain = toolchainForCatalog
            toolchain.optimization = optimization.flag
            let fm = FileManager.default
            for s in sources where !fm.fileExists(atPath: s) { throw ValidationError("\(s): no such source file") }
            var sourceURLs = sources.map { URL(fileURLWithPath: $0).standardizedFileURL }
            var includeURLs = includes.map { URL(fileURLWithPath: $0).standardizedFileURL }
            // Headers of the sources' folders are hashed too, so an edited header rebuilds.
            var headerFolders = Set(sourceURLs.map { $0.deletingLastPathComponent() } + includeURLs)
            if withKernels {
                sourceURLs += try fm.contentsOfDirectory(at: toolchain.kernelsDirectory, includingPropertiesForKeys: nil)
                    .filter { $0.pathExtension == "c" }.sorted { $0.path < $1.path }
                includeURLs.append(toolchain.kernelsDirectory)
                headerFolders.insert(toolchain.kernelsDirectory)
            }
            let headers = headerFolders.sorted { $0.path < $1.path }.flatMap { folder in
                ((try? fm.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []).filter { $0.pathExtension == "h" }.sorted { $0.path < $1.path }
            }
            let name = sourceURLs[0].deletingPathExtension().lastPathComponent
            let elf = try toolchain.firmware(name: name, sources: sourceURLs, includes: includeURLs, headers: headers, board: b,
                                             defines: defines, flags: cflags)
            var path = elf.path
            if let out {
                let target = URL(fileURLWithPath: out)
                try AtomicWrite.file(try Data(contentsOf: elf), to: target)
                path = target.path
                chmod(path, 0o755)
            }
            if json {
                print(try jsonLine(["target": b.name, "elf": path, "cached": elf.path]))
            } else {
                print(path)
            }
        }
    }
}
