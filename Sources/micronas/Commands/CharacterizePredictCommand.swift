import ArgumentParser
import Characterization
import Datasets
import Deploy
import Foundation
import Kernels
import SearchSpace
import Targets

struct CharacterizePredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Latency and arena of one architecture (JSON, as `micronas space sample` prints) from the table; with --measure, also run it on the emulated board.")

    @OptionGroup var target: CharacterizationTarget
    @Option(help: "Architecture JSON file.") var architecture: String
    @Flag(help: "Also build the architecture as int8 firmware (random weights) and run it on the emulated board.") var measure = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            let (b, s, toolchain) = try target.resolve()
            let data = try readFile(architecture, option: "--architecture")
            let arch: Architecture
            do { arch = try JSONDecoder().decode(Architecture.self, from: data) } catch {
                throw CharacterizationError("\(architecture): not an architecture JSON (\(error))")
            }
            do { try s.validate(arch) } catch { throw CharacterizationError("\(architecture): \(error)") }
            let url = target.tableURL()
            guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no table at \(url.path); run `micronas characterize --emulate \(target.board.target)` first") }
            let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
            let (t, storedOverhead) = try characterizer.table(in: try TableStore(url: url, create: false))
            guard let overhead = storedOverhead else {
                throw ValidationError("\(url.path) has no per-invoke overhead for this space on \(b.name); run `micronas characterize --emulate \(target.board.target)` with the same space options")
            }
            let p = try characterizer.predict(arch, table: t, overheadCycles: overhead)
            let (cycles, msPerCycle) = (p.cycles, 1000 / b.clockHz.value)
            var row: [String: Any] = ["board": b.name, "predicted_cycles": cycles, "predicted_ms": p.milliseconds,
                                      "overhead_cycles": overhead, "planned_arena_bytes": p.plannedArenaBytes]
            var measured: Characterizer.Measurement? = nil
            if measure {
                measured = try characterizer.measure(arch, table: t)
                row["measured_cycles"] = measured!.measuredCycles
                row["measured_ms"] = measured!.measuredCycles * msPerCycle
                row["error_pct"] = 100 * (cycles - measured!.measuredCycles) / measured!.measuredCycles
                row["measured_arena_bytes"] = measured!.measuredArena
                row["stack_bytes"] = measured!.stackBytes
                row["macs"] = measured!.macs
            }
            if json {
                print(try jsonLine(row))
            } else {
                print(String(format: "%@: predicted %.0f cycles = %.3f ms (Σ table entries + %.0f overhead), planned arena %d B",
                             b.name, cycles, p.milliseconds, overhead, p.plannedArenaBytes))
                if let m = measured {
                    print(String(format: "measured  %.0f cycles = %.3f ms (%+.2f %%), arena high-water %d B, stack %d B, %d MACs",
                                 m.measuredCycles, m.measuredCycles * msPerCycle, 100 * (cycles - m.measuredCycles) / m.measuredCycles,
                                 m.measuredArena, m.stackBytes, m.macs))
                }
            }
        }
    }
}
