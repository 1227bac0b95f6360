import ArgumentParser
import Deploy
import Datasets
import Emulator
import Foundation
import Graph
import Kernels
import Targets

/// Reads a model: a `.tflite` file, or a QuantizedModel `.json`. Errors name the file.
func loadModel(_ path: String) throws -> QuantizedModel {
    guard let data = FileManager.default.contents(atPath: path) else { throw DeployError("\(path): cannot read file") }
    if path.lowercased().hasSuffix(".json") {
        do { return try JSONDecoder().decode(QuantizedModel.self, from: data) } catch let e as DecodingError {
            throw DeployError("\(path): not a micronas quantized model: \(describe(e))")
        }
    }
    do { return try TFLiteReader.decode([UInt8](data)) } catch let e as TFLiteError { throw DeployError("\(path): \(e)") }
}

func describe(_ e: DecodingError) -> String {
    func at(_ c: DecodingError.Context) -> String {
        let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
    }
    switch e {
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return at(c)
    case .keyNotFound(let k, let c): return "\(at(c)) (missing '\(k.stringValue)')"
    @unknown default: return "\(e)"
    }
}

/// Lowered model + generated runner for a board, with the fit checks every deploy command needs.
struct DeployTarget {
    let board: Board
    let lowered: LoweredModel
    let runner: ModelRunner
    let image: ELFImage
    let flashBytes: Int
    let staticRAMBytes: Int

    /// RAM the runner firmware keeps outside the arena: stack (the runner paints 8 KB of it), heap for
    /// newlib's stdio buffers, the runner's own buffers.
    static let runtimeReserve = 12 * 1024

    init(modelPath: String, target: String, catalog: BoardCatalog) throws {
        board = try catalog.board(named: target)
        let model = try loadModel(modelPath)
        do { lowered = try LoweredModel(model) } catch let e as GraphError { throw DeployError("\(modelPath): \(e)") }
        let catalogBoards = catalog.boards
        runner = try ModelRunner(lowered, toolchain: KernelToolchain(catalog: catalog), boards: catalogBoards)
        let ram = board.region(containing: 0x2000_0000).map { Int($0.size) } ?? Int(board.sramBytes)
        let arena = runner.generator.plan.arenaBytes
        if arena + Self.runtimeReserve > ram {
            throw DeployError("\(modelPath) does not fit \(board.name)'s RAM: the arena needs \(arena) bytes + \(Self.runtimeReserve) for the runtime, the board has \(ram) (over by \(arena + Self.runtimeReserve - ram) bytes)")
        }
        let weights = lowered.model.weights.values.reduce(0) { $0 + $1.filter.count + 4 * ($1.bias?.count ?? 0) }
        let flash = board.region(containing: board.bootAddress.value).map { Int($0.size) } ?? Int(board.flashBytes)
        if weights > flash {
            throw DeployError("\(modelPath) does not fit \(board.name)'s flash: the weights alone need \(weights) bytes, the board has \(flash) (over by \(weights - flash) bytes)")
        }
        let elf: URL
        do { elf = try runner.firmware(board: board) } catch let e as KernelError {
            let text = "\(e)"
            if let r = text.range(of: #"region `(\w+)' overflowed by (\d+) bytes"#, options: .regularExpression) {
                throw DeployError("\(modelPath) does not fit \(board.name): \(text[r])")
            }
            throw e
        }
        image = try ELFImage(path: elf.path)
        (flashBytes, staticRAMBytes) = ModelRunner.imageSizes(image, board: board)
    }

    var clockHz: Double { board.clockHz.value }
    func ms(_ cycles: Double) -> Double { cycles / clockHz * 1000 }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an int8 model on an emulated board over the samples of a .npy file.",
        discussion: """
        The input's dtype must be the model input's (int8, or float32 for a model with a QUANTIZE edge); its
        shape the model input's without batch, or [N, …] for N samples. The output .npy has the same leading
        dimension. The model runs as generated C (the same code `micronas export` writes) on the emulated board.
        """
    )

    @OptionGroup var location: TargetsLocation
    @Option(help: "Board or alias (cortex-m4, cortex-m33, cortex-m7).") var target: String
    @Option(help: "The model: .tflite or a micronas quantized-model .json.") var model: String
    @Option(help: "Input samples (.npy).") var input: String
    @Option(help: "Where to write the outputs (.npy).") var output: String
    @Flag(help: "Run each sample once untimed first (warm caches, as in a steady-state loop).") var warm = false
    @Flag(help: "Print one JSON object (per-sample cycles and ms) instead of text.") var json = false

    func run() throws {
        try reportingErrors {
            let t = try DeployTarget(modelPath: model, target: target, catalog: try location.catalog())
            let inName = t.lowered.inputs[0], outName = t.lowered.outputs[0]
            let inShape = t.lowered.shapes[inName]!, outShape = t.lowered.shapes[outName]!
            let isFloatIn = t.lowered.model.values[inName]!.type.isFloat
            let array = try NPYArray(contentsOf: URL(fileURLWithPath: input))
            guard array.dtype == (isFloatIn ? .float32 : .int8) else {
                throw DeployError("\(input): dtype \(array.dtype.name), the model input '\(inName)' is \(isFloatIn ? "float32" : "int8")")
            }
            let batched: Bool
            if array.shape == inShape { batched = false } else if array.shape.count == inShape.count + 1 && Array(array.shape.dropFirst()) == inShape {
                batched = true
            } else {
                throw DeployError("\(input): shape \(array.shape) does not match the model input \(inShape) (or [N] + \(inShape) for a batch)")
            }
            let n = batched ? array.shape[0] : 1
            let per = t.runner.generator.inputBytes
            let samples = (0..<n).map { Array(array.data[($0 * per)..<(($0 + 1) * per)]) }
            printError("running \(n) sample(s) of \(model) on the emulated \(t.board.name)…")
            let r = try t.runner.runEmulated(board: t.board, samples: samples, warm: warm)
            let isFloatOut = t.lowered.model.values[outName]!.type.isFloat
            let out = NPYArray(dtype: isFloatOut ? .float32 : .int8, shape: (batched ? [n] : []) + outShape, data: r.outputs.flatMap { $0 })
            try out.write(to: URL(fileURLWithPath: output))
            let cycles = r.invokeCycles.map(Double.init)
            if json {
                print(try jsonLine(["target": t.board.name, "samples": n, "output": output, "output_shape": out.shape,
                                    "cycles": r.invokeCycles, "ms": cycles.map(t.ms),
                                    "mean_ms": t.ms(cycles.reduce(0, +) / Double(max(1, n)))]))
            } else {
                print(String(format: "%d sample(s) on %@: %.0f cycles (%.3f ms) per invoke on average; outputs in %@",
                             n, t.board.name, cycles.reduce(0, +) / Double(max(1, n)), t.ms(cycles.reduce(0, +) / Double(max(1, n))), output))
            }
        }
    }
}

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Per-operator cycles and ms of an int8 model on an emulated board, with its arena, stack and flash.",
        discussion: """
        Runs the model's generated C on the emulated board (random inputs, seeded; warm caches unless --cold)
        and reports the median over the samples. Arena planned = TFLM-style greedy plan incl. kernel scratch;
        measured = the highest arena byte any invoke wrote; stack = painted-stack high-water mark of the invokes;
        flash = text + rodata + .data initialisers of the built image.
        """
    )

    @OptionGroup var location: TargetsLocation
    @Option(help: "Board or alias (cortex-m4, cortex-m33, cortex-m7).") var target: String
    @Argument(help: "The model: .tflite or a micronas quantized-model .json.") var model: String
    @Option(help: "Random input samples to run.") var samples = 3
    @Option(help: "Seed of the random inputs.") var seed: UInt64 = 1
    @Flag(help: "Do not warm caches before each timed invoke.") var cold = false
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let t = try DeployTarget(modelPath: model, target: target, catalog: try location.catalog())
            var g = SeededGenerator(seed: seed)
            let inName = t.lowered.inputs[0]
            let count = t.lowered.shapes[inName]!.reduce(1, *)
            let isFloat = t.lowered.model.values[inName]!.type.isFloat
            let inputs: [[UInt8]] = (0..<samples).map { _ in
                isFloat ? (0..<count).flatMap { _ in withUnsafeBytes(of: Float.random(in: -2...2, using: &g).bitPattern.littleEndian) { Array($0) } }
                        : (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
            }
            printError("profiling \(model) on the emulated \(t.board.name) (\(samples) sample(s))…")
            let r = try t.runner.runEmulated(board: t.board, samples: inputs, warm: !cold)
            func median(_ v: [UInt32]) -> Double {
                let s = v.sorted()
                return s.count % 2 == 1 ? Double(s[s.count / 2]) : (Double(s[s.count / 2 - 1]) + Double(s[s.count / 2])) / 2
            }
            let ops = t.lowered.ops.map { op in (op, median(r.opCycles.map { $0[op.index] }), op.macs) }
            let total = median(r.invokeCycles)
            let plan = t.runner.generator.plan
            if json {
                print(try jsonLine([
                    "target": t.board.name, "model": model, "clock_hz": t.clockHz, "samples": samples, "warm": !cold,
                    "ops": ops.map { ["index": $0.0.index, "op": $0.0.opName, "name": $0.0.node.name, "cycles": $0.1, "ms": t.ms($0.1), "macs": $0.2] },
                    "total_cycles": total, "total_ms": t.ms(total),
                    "arena_bytes_planned": plan.arenaBytes, "arena_activation_bytes_planned": plan.activationBytes,
                    "arena_bytes_tflm_planned": MemoryPlanner.plan(t.lowered, kernels: .tflmReference).arenaBytes,
                    "arena_bytes_measured": r.arenaHighWater, "stack_bytes": r.stackBytes,
                    "flash_bytes": t.flashBytes, "static_ram_bytes": t.staticRAMBytes,
                ]))
            } else {
                print("\(model) on \(t.board.name) (\(Int(t.clockHz / 1e6)) MHz), median of \(samples) \(cold ? "cold" : "warm") invoke(s)")
                func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count) }
                func right(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
                print(" # " + pad(" op", 19) + pad("name", 28) + right("cycles", 11) + right("ms", 10) + right("cyc/MAC", 9))
                for (op, cycles, macs) in ops {
                    print(right("\(op.index)", 2) + "  " + pad(op.opName, 18) + pad(op.node.name, 28) + right(String(format: "%.0f", cycles), 11)
                          + right(String(format: "%.3f", t.ms(cycles)), 10) + right(macs > 0 ? String(format: "%.2f", cycles / Double(macs)) : "-", 9))
                }
                print(pad("total (invoke)", 48) + right(String(format: "%.0f", total), 11) + right(String(format: "%.3f", t.ms(total)), 10))
                print("arena: \(plan.arenaBytes) B planned (\(plan.activationBytes) B activations; TFLM's reference kernels would need \(MemoryPlanner.plan(t.lowered, kernels: .tflmReference).arenaBytes) B), \(r.arenaHighWater) B measured")
                print("stack: \(r.stackBytes) B used by invoke; flash: \(t.flashBytes) B (text + rodata + data init); static RAM: \(t.staticRAMBytes) B")
            }
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as model.tflite plus a self-contained C deployment folder (c/).",
        discussion: "The C folder holds micronas_model.{h,c} (weights in flash, one static arena), the kernel sources it uses, a Makefile (host and boards) and a README."
    )

    @OptionGroup var location: TargetsLocation
    @Option(help: "The model: a micronas quantized-model .json (or a .tflite).") var model: String
    @Option(help: "Output folder (created; must not exist unless --force).") var out: String
    @Flag(help: "Replace an existing output folder.") var force = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        try reportingErrors {
            let catalog = try location.catalog()
            let q = try loadModel(model)
            let lowered: LoweredModel
            do { lowered = try LoweredModel(q) } catch let e as GraphError { throw DeployError("\(model): \(e)") }
            let tflite = try TFLiteWriter.encode(q)
            let fm = FileManager.default
            let target = URL(fileURLWithPath: out)
            if fm.fileExists(atPath: target.path) && !force {
                throw DeployError("\(out) exists; pass --force to replace it")
            }
            // Everything goes to a sibling temporary folder first; the rename makes the export all-or-nothing.
            let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tmp-\(getpid())")
            try? fm.removeItem(at: temporary)
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
            try Data(tflite).write(to: temporary.appendingPathComponent("model.tflite"))
            let generator = CodeGenerator(lowered)
            try generator.write(to: temporary.appendingPathComponent("c"), kernelsDirectory: KernelToolchain(catalog: catalog).kernelsDirectory,
                                boards: catalog.boards)
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.moveItem(at: temporary, to: target)
            if json {
                print(try jsonLine(["out": out, "tflite": "\(out)/model.tflite", "tflite_bytes": tflite.count, "c": "\(out)/c",
                                    "arena_bytes": generator.plan.arenaBytes, "kernels": generator.kernelSources, "ops": lowered.ops.count]))
            } else {
                print("wrote \(out)/model.tflite (\(tflite.count) bytes) and \(out)/c/ (\(lowered.ops.count) ops, arena \(generator.plan.arenaBytes) bytes, kernels: \(generator.kernelSources.joined(separator: ", ")))")
            }
        }
    }
}
