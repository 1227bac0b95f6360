import ArgumentParser
import Characterization
import Metrics
import Datasets
import Deploy
import Foundation
import Kernels
import SearchSpace
import Targets

struct CharacterizeValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Predict random architectures' latency and arena from the table, run them whole on the emulated board, report the errors (and the MACs proxy's)."
    )

    @OptionGroup var target: CharacterizationTarget
    @Option(help: "Random architectures.") var architectures = 50
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try require(architectures, in: 2 ... 100_000, "--architectures")
    }

    func run() throws {
        try reportingErrors {
            let (b, s, toolchain) = try target.resolve()
            let url = target.tableURL()
            guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no table at \(url.path); run `micronas characterize --emulate \(target.board.target)` first") }
            let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
            let t = try TableStore(url: url, create: false).table(board: b.name, costHash: LookupTable.costHash(b), kernelHash: try characterizer.kernelHash())
            let start = Date()
            let r = try characterizer.validate(table: t, count: architectures, seed: seed) { i in
                if i % 10 == 0 || i == architectures { printError("\(i)/\(architectures) architectures") }
            }
            func d(_ x: ErrorStatistics, memory: Bool = false) -> [String: Any] {
                [memory ? "mae_bytes" : "mae_ms": x.meanAbsoluteError, "r2": x.r2, "mape": x.meanAbsolutePercentError, "max_abs_pct": x.maxAbsolutePercentError]
            }
            let stack = r.architectures.map(\.stackBytes).max() ?? 0
            let statics = r.architectures.map(\.staticBytes).max() ?? 0
            if json {
                print(try jsonLine(["board": b.name, "architectures": architectures, "latency": d(r.latency), "memory": d(r.memory, memory: true),
                                    "macs_proxy": ["r2": r.macsProxy.r2, "mae_ms": r.macsProxy.meanAbsoluteError], "overhead_cycles": r.overheadCycles,
                                    "fixed_overheads": ["max_stack_bytes": stack, "max_static_bytes_beyond_arena": statics],
                                    "wall_seconds": Date().timeIntervalSince(start)]))
            } else {
                print(String(format: "%@, %d architectures: latency R² %.6f, MAE %.4f ms, MAPE %.3f %%, max |error| %.3f %% (overhead %.0f cycles)",
                             b.name, architectures, r.latency.r2, r.latency.meanAbsoluteError, r.latency.meanAbsolutePercentError, r.latency.maxAbsolutePercentError, r.overheadCycles))
                print(String(format: "memory (planner vs measured high-water): R² %.6f, MAE %.1f B, max |error| %.3f %%", r.memory.r2, r.memory.meanAbsoluteError, r.memory.maxAbsolutePercentError))
                print("RAM beyond the arena: stack ≤ \(stack) B (measured), static \(statics) B (runner firmware .data + .bss without the arena)")
                print(String(format: "MACs proxy (least squares): R² %.6f, MAE %.4f ms", r.macsProxy.r2, r.macsProxy.meanAbsoluteError))
            }
        }
    }
}
