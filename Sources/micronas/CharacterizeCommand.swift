import ArgumentParser
import Characterization
import Datasets
import Deploy
import Foundation
import Kernels
import SearchSpace
import Targets

struct CharacterizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "characterize",
        abstract: "Lookup tables of operator cycles measured on the emulated boards, and their validation.",
        subcommands: [CharacterizeMeasureCommand.self, CharacterizeValidateCommand.self, CharacterizePredictCommand.self, CharacterizeMergeCommand.self, CharacterizeInfoCommand.self],
        defaultSubcommand: CharacterizeMeasureCommand.self
    )
}

struct CharacterizeMeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure every operator configuration of a search space on an emulated board into a lookup table.",
        discussion: "Only missing entries run; each firmware's entries are committed as it finishes, so a killed run resumes. Entries are keyed by board, cost-table hash, kernel-build hash and configuration, and keep their event vectors: a recalibrated board (new costs, same event model) is re-priced from the stored events without emulating; rebuilt kernels are measured again."
    )

    @OptionGroup var target: CharacterizationTarget
    @Option(help: "Measure only shard I of N (as I/N, 0-based).") var shard = "0/1"
    @Option(help: "Re-measure the entries of this golden sample and exit 1 if any drifted (the CI gate).") var check: String?
    @Option(help: "Drift tolerance for --check, in percent (e.g. 1%).") var tolerance = "1%"
    @Option(help: "Measure a sample of the space's entries and write it as a golden file.") var writeGolden: String?
    @Option(help: "Entries in a written golden sample.") var goldenCount = 24
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            var (b, s, toolchain) = try target.resolve()
            if let path = check ?? writeGolden {
                guard let tol = Double(tolerance.replacingOccurrences(of: "%", with: "")), tol >= 0 else {
                    throw ValidationError("--tolerance must be a percentage like 1%, got '\(tolerance)'")
                }
                let golden: GoldenSample? = try check.map { p in
                    guard let data = FileManager.default.contents(atPath: p) else { throw ValidationError("\(p): cannot read file") }
                    do { return try JSONDecoder().decode(GoldenSample.self, from: data) } catch {
                        throw CharacterizationError("\(p): not a golden sample (corrupt or foreign file)")
                    }
                }
                if let g = golden { s = g.space }
                let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
                let keys = golden.map { Set($0.entries.keys) } ?? GoldenSample.keys(s, count: goldenCount)
                var t = LookupTable(board: b.name, costHash: LookupTable.costHash(b), kernelHash: try characterizer.kernelHash())
                try characterizer.fill(&t, store: nil, only: keys)
                let measured = t.entries.mapValues(\.cycles)
                if let g = golden {
                    let drifted = g.drift(against: measured, tolerance: tol)
                    for d in drifted { printError("drift: \(d)") }
                    if json {
                        print(try jsonLine(["board": b.name, "checked": g.entries.count, "drifted": drifted.map(\.description), "tolerance_pct": tol]))
                    } else {
                        print(drifted.isEmpty ? "\(g.entries.count) golden entries within \(tol) % on \(b.name)"
                                              : "\(drifted.count) of \(g.entries.count) golden entries drifted beyond \(tol) % on \(b.name)")
                    }
                    if !drifted.isEmpty { throw ExitCode(1) }
                } else {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                    try encoder.encode(GoldenSample(board: b.name, space: s, entries: measured)).write(to: URL(fileURLWithPath: path), options: .atomic)
                    print("wrote \(measured.count) golden entries for \(b.name) to \(path)")
                }
                return
            }
            let parts = shard.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else {
                throw ValidationError("--shard must be I/N with 0 ≤ I < N, got '\(shard)'")
            }
            let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
            let store = try TableStore(url: target.tableURL())
            let costHash = LookupTable.costHash(b)
            printError("building the kernel firmware for \(b.name)…")
            let kernelHash = try characterizer.kernelHash()
            var t = try store.table(board: b.name, costHash: costHash, kernelHash: kernelHash)
            let configurations = Set(s.operatorKeys().map(\.text))
            let before = t.entries.keys.filter(configurations.contains).count
            let start = Date()
            var last = Date.distantPast
            let (emulated, repriced) = try characterizer.fill(&t, store: store, shard: (parts[0], parts[1])) { p in
                guard p.done == p.total || Date().timeIntervalSince(last) >= 1 else { return }
                last = Date()
                printError("\(p.done)/\(p.total) configurations (\(p.newEntries) new)")
            }
            let entries = t.entries.keys.filter(configurations.contains).count
            // A complete table also gets the space's per-invoke overhead (one whole architecture run once).
            let spaceKey = Characterizer.spaceKey(s)
            var overhead = try store.overhead(board: b.name, costHash: costHash, kernelHash: kernelHash, space: spaceKey)
            if overhead == nil && entries == configurations.count {
                printError("measuring the per-invoke overhead on one whole architecture…")
                overhead = try characterizer.measureOverhead(table: t)
                try store.setOverhead(overhead!, board: b.name, costHash: costHash, kernelHash: kernelHash, space: spaceKey)
            }
            let wall = Date().timeIntervalSince(start)
            if json {
                var row: [String: Any] = ["board": b.name, "table": store.url.path, "entries": entries, "new_entries": emulated + repriced,
                                          "emulated": emulated, "repriced": repriced, "configurations": configurations.count,
                                          "wall_seconds": wall, "cost_hash": costHash, "kernel_hash": kernelHash]
                if let o = overhead { row["overhead_cycles"] = o }
                print(try jsonLine(row))
            } else {
                print(String(format: "%@: %d of %d configurations (%d new: %d emulated, %d re-priced from stored events; %d before) in %.1f s → %@",
                             b.name, entries, configurations.count, emulated + repriced, emulated, repriced, before, wall, store.url.path))
                if let o = overhead { print(String(format: "per-invoke overhead: %.0f cycles", o)) }
            }
        }
    }
}

/// The board, search space and table file every characterization command works on.
struct CharacterizationTarget: ParsableArguments {
    @OptionGroup var location: TargetsLocation
    @Option(name: .customLong("emulate"), help: "Board or alias (cortex-m4, cortex-m33, cortex-m7).") var board: String
    @OptionGroup var space: SpaceOptions
    @OptionGroup var file: TableFile

    func resolve() throws -> (board: Board, space: SearchSpace, toolchain: KernelToolchain) {
        let catalog = try location.catalog()
        return (try catalog.board(named: board), try space.space(), KernelToolchain(catalog: catalog))
    }

    func tableURL() -> URL { file.url }
}

/// The lookup-table file (SQLite; one file holds any number of boards, cost tables and kernel builds).
struct TableFile: ParsableArguments {
    @Option(help: "Lookup-table file (SQLite; default: $MICRONAS_CACHE/characterization/lookup.sqlite).") var table: String?

    var url: URL {
        table.map { URL(fileURLWithPath: $0) }
            ?? DatasetStore().root.deletingLastPathComponent().appendingPathComponent("characterization/lookup.sqlite")
    }
}

struct CharacterizeValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Predict random architectures' latency and arena from the table, run them whole on the emulated board, report the errors (and the MACs proxy's)."
    )

    @OptionGroup var target: CharacterizationTarget
    @Option(help: "Random architectures.") var architectures = 50
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            guard architectures >= 2 else { throw ValidationError("--architectures must be at least 2") }
            let (b, s, toolchain) = try target.resolve()
            let url = target.tableURL()
            guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no table at \(url.path); run `micronas characterize --emulate \(target.board)` first") }
            let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
            let t = try TableStore(url: url, create: false).table(board: b.name, costHash: LookupTable.costHash(b), kernelHash: try characterizer.kernelHash())
            let start = Date()
            let r = try characterizer.validate(table: t, count: architectures, seed: seed) { i in
                if i % 10 == 0 || i == architectures { printError("\(i)/\(architectures) architectures") }
            }
            func d(_ x: ValidationReport.Stats, memory: Bool = false) -> [String: Any] {
                memory ? ["r2": x.r2, "mae_bytes": x.maeMs, "mape": x.mape, "max_abs_pct": x.maxAbsPct]
                       : ["r2": x.r2, "mae_ms": x.maeMs, "mape": x.mape, "max_abs_pct": x.maxAbsPct]
            }
            let stack = r.architectures.map(\.stackBytes).max() ?? 0
            let statics = r.architectures.map(\.staticBytes).max() ?? 0
            if json {
                print(try jsonLine(["board": b.name, "architectures": architectures, "latency": d(r.latency), "memory": d(r.memory, memory: true),
                                    "macs_proxy": ["r2": r.macsProxy.r2, "mae_ms": r.macsProxy.maeMs], "overhead_cycles": r.overheadCycles,
                                    "fixed_overheads": ["max_stack_bytes": stack, "max_static_bytes_beyond_arena": statics],
                                    "wall_seconds": Date().timeIntervalSince(start)]))
            } else {
                print(String(format: "%@, %d architectures: latency R² %.6f, MAE %.4f ms, MAPE %.3f %%, max |error| %.3f %% (overhead %.0f cycles)",
                             b.name, architectures, r.latency.r2, r.latency.maeMs, r.latency.mape, r.latency.maxAbsPct, r.overheadCycles))
                print(String(format: "memory (planner vs measured high-water): R² %.6f, MAE %.1f B, max |error| %.3f %%", r.memory.r2, r.memory.maeMs, r.memory.maxAbsPct))
                print("RAM beyond the arena: stack ≤ \(stack) B (measured), static \(statics) B (runner firmware .data + .bss without the arena)")
                print(String(format: "MACs proxy (least squares): R² %.6f, MAE %.4f ms", r.macsProxy.r2, r.macsProxy.maeMs))
            }
        }
    }
}

struct CharacterizeMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join table files (e.g. measured with --shard on several machines) into one; the inputs are only read.")
    @Argument(help: "Table files to merge.") var tables: [String]
    @Option(help: "The merged table file (created if missing; rows it already has are kept).") var out: String

    func run() throws {
        try reportingErrors {
            guard !tables.isEmpty else { throw ValidationError("give at least one table file") }
            // Open every input first: a corrupt or foreign one stops the merge before anything is written.
            let inputs = try tables.map { try TableStore(url: URL(fileURLWithPath: $0), create: false) }
            let merged = try TableStore(url: URL(fileURLWithPath: out))
            var added = 0
            for input in inputs { added += try merged.merge(from: input) }
            print("\(added) entries added from \(tables.count) table file(s); \(try merged.count()) in \(out)")
        }
    }
}

struct CharacterizeInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "What a lookup-table file holds: entries per board, cost table and kernel build.")
    @OptionGroup var file: TableFile
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            let store = try TableStore(url: file.url, create: false)
            let rows = try store.summary()
            if json {
                print(try jsonLine(["table": store.url.path, "tables": rows.map { ["board": $0.board, "cost_hash": $0.costHash, "kernel_hash": $0.kernelHash,
                                                                                  "entries": $0.entries, "with_events": $0.withEvents] as [String: Any] }]))
            } else {
                print(store.url.path)
                for r in rows { print("  \(r.board)  costs \(r.costHash)  kernels \(r.kernelHash)  \(r.entries) entries (\(r.withEvents) with events)") }
                if rows.isEmpty { print("  (empty)") }
            }
        }
    }
}

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
            guard let data = FileManager.default.contents(atPath: architecture) else { throw ValidationError("\(architecture): cannot read file") }
            let arch: Architecture
            do { arch = try JSONDecoder().decode(Architecture.self, from: data) } catch {
                throw CharacterizationError("\(architecture): not an architecture JSON (\(error))")
            }
            do { try s.validate(arch) } catch { throw CharacterizationError("\(architecture): \(error)") }
            let url = target.tableURL()
            guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no table at \(url.path); run `micronas characterize --emulate \(target.board)` first") }
            let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
            let store = try TableStore(url: url, create: false)
            let (costHash, kernelHash) = (LookupTable.costHash(b), try characterizer.kernelHash())
            let t = try store.table(board: b.name, costHash: costHash, kernelHash: kernelHash)
            guard let overhead = try store.overhead(board: b.name, costHash: costHash, kernelHash: kernelHash, space: Characterizer.spaceKey(s)) else {
                throw ValidationError("\(url.path) has no per-invoke overhead for this space on \(b.name); run `micronas characterize --emulate \(target.board)` with the same space options")
            }
            let graph = try s.graph(for: arch)
            let cycles = try Characterizer.predictCycles(graph, table: t) + overhead
            let plan = MemoryPlanner.plan(try LoweredModel(try RandomQuantization.model(for: graph, seed: 1)))
            let msPerCycle = 1000 / b.clockHz.value
            var row: [String: Any] = ["board": b.name, "predicted_cycles": cycles, "predicted_ms": cycles * msPerCycle,
                                      "overhead_cycles": overhead, "planned_arena_bytes": plan.arenaBytes]
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
                             b.name, cycles, cycles * msPerCycle, overhead, plan.arenaBytes))
                if let m = measured {
                    print(String(format: "measured  %.0f cycles = %.3f ms (%+.2f %%), arena high-water %d B, stack %d B, %d MACs",
                                 m.measuredCycles, m.measuredCycles * msPerCycle, 100 * (cycles - m.measuredCycles) / m.measuredCycles,
                                 m.measuredArena, m.stackBytes, m.macs))
                }
            }
        }
    }
}
