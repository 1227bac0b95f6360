import Emulator
import Foundation
import Graph
import Kernels
import Support
import Targets

/// Builds a model's generated C deployment with the runner harness (kernels/harness/model_runner.c)
/// and runs it — on an emulated board, or on the host — over a batch of samples: outputs, cycles per
/// operator and per invoke, the arena's high-water mark and the stack the invokes used.
public struct ModelRunner {
    public let generator: CodeGenerator
    public let toolchain: KernelToolchain
    /// The generated deployment folder the firmware is built from (content-addressed cache).
    public let directory: URL
    public let timingOnly: Bool
    /// A sample's bytes and a result's output bytes (see `init`).
    public var sampleBytes: Int { timingOnly ? generator.inputBytes : generator.inputSizes.reduce(0, +) }
    public var resultOutputBytes: Int { timingOnly ? generator.outputBytes : generator.outputSizes.reduce(0, +) }
    private var defines: [String] { ["MICRONAS_PROFILE"] + (timingOnly ? ["MICRONAS_RUNNER_TIMING_ONLY"] : []) }

    /// Every input and output of the model goes through the runner: a sample is the bytes of all
    /// inputs one after another, a result's output the bytes of all outputs. `timingOnly` (lookup-table
    /// characterization): a sample is input 0's bytes, the other inputs keep the arena paint, and only
    /// output 0 comes back — the firmware needs no buffer for the rest. The generated sources go to a
    /// content-addressed folder under the toolchain's cache (`models/<hash>`, the hash covering the
    /// generated code and the kernel sources copied beside it), written atomically.
    /// `convScratch`: which convs get im2col scratch (`MemoryPlanner.ConvScratch`).
    public init(_ lowered: LoweredModel, toolchain: KernelToolchain, timingOnly: Bool = false,
                convScratch: MemoryPlanner.ConvScratch = .always) throws {
        self.timingOnly = timingOnly
        generator = CodeGenerator(lowered, convScratch: convScratch)
        self.toolchain = toolchain
        let source = generator.source(), header = generator.header()
        var hash = FNV1a()
        hash.add(source); hash.add(header)
        hash.add(try toolchain.kernelSourceHash())  // the folder holds copies of the kernels too
        directory = toolchain.cacheDirectory.appendingPathComponent("models/\(hash.hex)")
        try AtomicWrite.cachedFolder(at: directory) { folder in
            try generator.writeSources(to: folder, kernelsDirectory: toolchain.kernelsDirectory, source: source, header: header)
        }
    }

    private var sources: [URL] {
        [toolchain.harnessDirectory.appendingPathComponent("model_runner.c"), directory.appendingPathComponent("micronas_model.c")]
            + generator.kernelSources.map { directory.appendingPathComponent("kernels/\($0)") }
    }
    private var headers: [URL] {
        [directory.appendingPathComponent("micronas_model.h")]
            + ((try? FileManager.default.contentsOfDirectory(at: directory.appendingPathComponent("kernels"), includingPropertiesForKeys: nil)) ?? [])
                .filter { $0.pathExtension == "h" }.sorted { $0.path < $1.path }
    }

    /// The runner firmware for `board` (`sizing`: with enlarged regions, see `KernelToolchain.firmware`).
    public func firmware(board: Board, sizing: Bool = false) throws -> URL {
        try toolchain.firmware(name: "model", sources: sources, includes: [directory, directory.appendingPathComponent("kernels")],
                               headers: headers, board: board, defines: defines, sizing: sizing)
    }

    public func hostProgram() throws -> URL {
        try toolchain.hostProgram(name: "model", sources: sources, includes: [directory, directory.appendingPathComponent("kernels")],
                                  headers: headers, defines: defines)
    }

    public struct Result: Sendable {
        /// Per sample: the output bytes (every output's, one after another), cycles per op, cycles of the whole invoke.
        public var outputs: [[UInt8]]
        public var opCycles: [[UInt32]]
        public var invokeCycles: [UInt32]
        public var arenaHighWater: Int
        public var stackBytes: Int
        /// The emulator's statistics for the whole run (nil on the host).
        public var run: RunResult?
        /// Per sample, per op: the events behind `opCycles` (emulated runs with `recordEvents`);
        /// `opEvents[s][i] · costs` is `opCycles[s][i]` up to the counter's rounding.
        public var opEvents: [[EventVector]]? = nil
    }

    /// Which samples run once untimed before their timed invoke.
    public enum Warmup: Sendable {
        /// None: the first timed invoke meets cold caches and flash prefetch.
        case none
        /// Every sample (each timed invoke sees caches warm from its own input: a steady-state loop).
        case everySample
        /// Only the first: every later invoke follows the previous window's, as in a device
        /// classifying a stream (what `evaluate` measures).
        case firstSample

        var flags: UInt32 { self == .everySample ? 1 : (self == .firstSample ? 2 : 0) }
        func warms(_ sample: Int) -> Bool { self == .everySample || (self == .firstSample && sample == 0) }
    }

    func stream(_ samples: [[UInt8]], warmup: Warmup) throws -> [UInt8] {
        var bytes = Array("MNM1".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        u32(warmup.flags)
        u32(UInt32(samples.count))
        for (i, s) in samples.enumerated() {
            guard s.count == sampleBytes else {
                throw DeployError("sample \(i) has \(s.count) bytes; the model's input\(timingOnly || generator.inputSizes.count == 1 ? "" : "s") need\(timingOnly || generator.inputSizes.count == 1 ? "s" : "") \(sampleBytes)")
            }
            bytes += s
        }
        return bytes
    }

    func decode(_ out: [UInt8], samples: Int) throws -> Result {
        var i = 0
        func u32() throws -> UInt32 {
            guard i + 4 <= out.count else { throw DeployError("model runner output is truncated at byte \(i) of \(out.count)") }
            defer { i += 4 }
            return UInt32(out[i]) | UInt32(out[i + 1]) << 8 | UInt32(out[i + 2]) << 16 | UInt32(out[i + 3]) << 24
        }
        guard out.count >= 8, Array(out[0..<4]) == Array("MNR1".utf8) else { throw DeployError("model runner output does not start with MNR1") }
        i = 4
        let ops = Int(try u32())
        var result = Result(outputs: [], opCycles: [], invokeCycles: [], arenaHighWater: 0, stackBytes: 0, run: nil)
        let bytes = resultOutputBytes, padded = (bytes + 3) / 4 * 4
        for _ in 0..<samples {
            guard i + padded <= out.count else { throw DeployError("model runner output is truncated at byte \(i) of \(out.count)") }
            result.outputs.append(Array(out[i..<(i + bytes)]))
            i += padded
            result.opCycles.append(try (0..<ops).map { _ in try u32() })
            result.invokeCycles.append(try u32())
        }
        result.arenaHighWater = Int(try u32())
        result.stackBytes = Int(try u32())
        return result
    }

    /// Runs `samples` (each `inputBytes` long) on the emulated `board`. `warmup`: which samples run
    /// once untimed first (caches and flash prefetch warm, as in a steady-state loop on the board).
    /// `recordEvents`: also return each op's event vector (`Result.opEvents`).
    public func runEmulated(board: Board, samples: [[UInt8]], warmup: Warmup = .everySample, maxInstructions: UInt64 = 50_000_000_000,
                            recordEvents: Bool = false) throws -> Result {
        try runEmulated(board: board, image: try ELFImage(path: try firmware(board: board).path), samples: samples, warmup: warmup,
                        maxInstructions: maxInstructions, recordEvents: recordEvents)
    }

    /// The same with the firmware already loaded (`firmware(board:)`'s image).
    public func runEmulated(board: Board, image: ELFImage, samples: [[UInt8]], warmup: Warmup = .everySample, maxInstructions: UInt64 = 50_000_000_000,
                            recordEvents: Bool = false) throws -> Result {
        var options = RunOptions(maxInstructions: maxInstructions, stdin: try stream(samples, warmup: warmup))
        options.recordCounterEvents = recordEvents
        let run = try Machine(board: board, image: image).runToSuccess(options)
        var r = try decode(run.stdout, samples: samples.count)
        r.run = run
        if recordEvents { r.opEvents = try opEvents(run.counterReads, samples: samples.count, warmup: warmup) }
        return r
    }

    /// Pairs the runner's CYCCNT reads (model_runner.c: two for the read overhead; per sample, the
    /// untimed warm invoke's begin/end per op, the invoke's start, begin/end per op, its end) into
    /// each timed op's events, less the events of one counter read — as `opCycles` subtracts its cycles.
    func opEvents(_ reads: [CounterRead], samples: Int, warmup: Warmup) throws -> [[EventVector]] {
        let ops = generator.lowered.ops.count
        let expected = 2 + (0..<samples).reduce(0) { $0 + (warmup.warms($1) ? 2 * ops : 0) + 2 + 2 * ops }
        guard reads.count == expected, reads.allSatisfy({ $0.events != nil }) else {
            throw DeployError("the model runner made \(reads.count) cycle-counter reads; \(expected) expected for \(samples) sample(s) of \(ops) ops")
        }
        let overhead = reads[1].events! - reads[0].events!
        var next = 2
        return (0..<samples).map { s in
            let start = next + (warmup.warms(s) ? 2 * ops : 0) + 1
            next = start + 2 * ops + 1
            return (0..<ops).map { i in reads[start + 2 * i + 1].events! - reads[start + 2 * i].events! - overhead }
        }
    }

    public func runHost(samples: [[UInt8]]) throws -> Result {
        let r = try Subprocess.run(try hostProgram().path, [], stdin: try stream(samples, warmup: .none))
        guard r.status == 0 else { throw DeployError("host model runner exited \(r.status): \(r.output)") }
        return try decode(r.stdout, samples: samples.count)
    }

    /// Flash (text, rodata and .data's initial values) and static RAM (.data + .bss) of a built image.
    public static func imageSizes(_ image: ELFImage, board: Board) -> (flash: Int, staticRAM: Int) {
        let flash = image.segments.filter { board.region(containing: $0.address)?.kind == .flash }.reduce(0) { $0 + $1.data.count }
        func sym(_ n: String) -> Int { Int(image.symbol(named: n)?.address ?? 0) }
        return (flash, (sym("_edata") - sym("_sdata")) + (sym("__bss_end__") - sym("__bss_start__")))
    }
}

