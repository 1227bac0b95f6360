import ArgumentParser
import Deploy
import Foundation

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Per-operator cycles and ms of an int8 model on an emulated board, with its arena, stack and flash.",
        discussion: """
        Runs the model's generated C on the emulated board (random inputs, seeded; warm caches unless --cold)
        and reports the median over the samples. Arena planned = TFLM-style greedy plan incl. kernel scratch;
        measured = the highest arena byte any invoke wrote; stack = painted-stack high-water mark of the invokes;
        flash = text + rodata + .data initialisers of the built image; RAM = static data (arena included) + the
        board's runtime reserve, against the board's firmware RAM region.
        """
    )

    @OptionGroup var board: BoardOption
    @Argument(help: "The model: .tflite or a micronas quantized-model .json.") var model: String
    @Option(help: "Random input samples to run.") var samples = 3
    @Option(help: "Seed of the random inputs.") var seed: UInt64 = 1
    @Flag(help: "Do not warm caches before each timed invoke.") var cold = false
    @Flag(help: "Smallest arena: a conv whose im2col scratch would raise it runs the scratch-free kernel path (slower), so the arena is TFLM's reference-kernel plan.") var minArena = false
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        try require(samples, in: 1 ... 10_000, "--samples")
    }

    func run() throws {
        try reportingErrors {
            let (b, _, toolchain) = try board.resolve()
            let d = try Deployment.open(model, board: b, toolchain: toolchain, convScratch: minArena ? .whereFree : .always)
            printError("profiling \(model) on the emulated \(b.name) (\(samples) sample(s))…")
            let p = try d.profile(samples: samples, seed: seed, warm: !cold)
            let f = d.footprint
            if json {
                print(try jsonLine([
                    "target": b.name, "model": model, "clock_hz": b.clockHz.value, "samples": samples, "warm": !cold,
                    "ops": p.ops.map { ["index": $0.index, "op": $0.opName, "name": $0.nodeName, "cycles": $0.cycles, "ms": d.milliseconds($0.cycles), "macs": $0.macs] },
                    "total_cycles": p.invokeCycles, "total_ms": d.milliseconds(p.invokeCycles),
                    "arena_bytes_planned": f.arenaBytes, "arena_activation_bytes_planned": f.activationBytes,
                    "arena_bytes_tflm_planned": p.tflmReferenceArenaBytes,
                    "arena_bytes_measured": p.arenaHighWater, "stack_bytes": p.stackBytes,
                    "flash_bytes": f.flashBytes, "static_ram_bytes": f.staticRAMBytes,
                    "ram_bytes": f.ramBytes, "runtime_reserve_bytes": f.runtimeReserveBytes,
                    "ram_region": f.ramRegion, "ram_region_bytes": f.ramRegionBytes,
                    "flash_region": f.flashRegion, "flash_region_bytes": f.flashRegionBytes,
                ]))
                return
            }
            print("\(model) on \(b.name) (\(Int(b.clockHz.value / 1e6)) MHz), median of \(samples) \(cold ? "cold" : "warm") invoke(s)")
            func cut(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n - 1)) + " " : pad(s, n) }
            print(" # " + cut(" op", 19) + cut("name", 28) + right("cycles", 11) + right("ms", 10) + right("cyc/MAC", 9))
            for op in p.ops {
                print(right("\(op.index)", 2) + "  " + cut(op.opName, 18) + cut(op.nodeName, 28) + right(String(format: "%.0f", op.cycles), 11)
                      + right(String(format: "%.3f", d.milliseconds(op.cycles)), 10)
                      + right(op.macs > 0 ? String(format: "%.2f", op.cycles / Double(op.macs)) : "-", 9))
            }
            print(cut("total (invoke)", 48) + right(String(format: "%.0f", p.invokeCycles), 11) + right(String(format: "%.3f", d.milliseconds(p.invokeCycles)), 10))
            print("arena: \(f.arenaBytes) B planned (\(f.activationBytes) B activations; TFLM's reference kernels would need \(p.tflmReferenceArenaBytes) B), \(p.arenaHighWater) B measured")
            print("stack: \(p.stackBytes) B used by invoke; flash: \(f.flashBytes) of \(f.flashRegionBytes) B (text + rodata + data init)")
            print("RAM: \(f.ramBytes) of \(f.ramRegionBytes) B in '\(f.ramRegion)' (static \(f.staticRAMBytes) B incl. the arena + \(f.runtimeReserveBytes) B runtime reserve)")
        }
    }
}
