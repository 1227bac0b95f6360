import ArgumentParser
import Characterization
import Datasets
import Foundation
import Kernels
import SearchSpace
import Targets

struct CharacterizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "characterize",
        abstract: "Lookup tables of operator cycles measured on the emulated boards, and their validation.",
        subcommands: [CharacterizeMeasureCommand.self, CharacterizeValidateCommand.self, CharacterizeMergeCommand.self],
        defaultSubcommand: CharacterizeMeasureCommand.self
    )
}

struct CharacterizeMeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure every operator configuration of a search space on an emulated board into a lookup table.",
        discussion: "Only missing entries run; the table is saved after every chunk, so a killed run resumes. The table file is keyed by board, cost-table hash and kernel-build hash: a recalibrated board or rebuilt kernels start a new table."
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
                try characterizer.fill(&t, saveTo: nil, only: keys)
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
            let url = target.tableURL(b, s)
            let costHash = LookupTable.costHash(b)
            printError("building the kernel firmware for \(b.name)…")
            let kernelHash = try characterizer.kernelHash()
            var t = LookupTable(board: b.name, costHash: costHash, kernelHash: kernelHash)
            if FileManager.default.fileExists(atPath: url.path) {
                let existing = try LookupTable.load(url)
                if existing.board == b.name && existing.costHash == costHash && existing.kernelHash == kernelHash {
                    t = existing
                } else {
                    printError("\(url.path) was measured for \(existing.board) (costs \(existing.costHash), kernels \(existing.kernelHash)); starting a new table")
                }
            }
            let before = t.entries.count
            let start = Date()
            let added = try characterizer.fill(&t, saveTo: url, shard: (parts[0], parts[1])) { p in
                printError("\(p.done)/\(p.total) configurations (\(p.newEntries) new)")
            }
            let wall = Date().timeIntervalSince(start)
            if json {
                print(try jsonLine(["board": b.name, "table": url.path, "entries": t.entries.count, "new_entries": added,
                                    "configurations": s.operatorKeys().count, "wall_seconds": wall, "cost_hash": costHash, "kernel_hash": kernelHash]))
            } else {
                print(String(format: "%@: %d entries (%d new, %d before) in %.1f s → %@", b.name, t.entries.count, added, before, wall, url.path))
            }
        }
    }
}

/// The board, search space and table file every characterization command works on.
struct CharacterizationTarget: ParsableArguments {
    @OptionGroup var location: TargetsLocation
    @Option(name: .customLong("emulate"), help: "Board or alias (cortex-m4, cortex-m33, cortex-m7).") var board: String
    @OptionGroup var space: SpaceOptions
    @Option(help: "Table file (default: $MICRONAS_CACHE/characterization/<board>-<window>-<classes>.json).") var table: String?

    func resolve() throws -> (board: Board, space: SearchSpace, toolchain: KernelToolchain) {
        let catalog = try location.catalog()
        return (try catalog.board(named: board), try space.space(), KernelToolchain(catalog: catalog))
    }

    func tableURL(_ b: Board, _ s: SearchSpace) -> URL {
        table.map { URL(fileURLWithPath: $0) }
            ?? DatasetStore().root.deletingLastPathComponent().appendingPathComponent("characterization/\(b.name)-\(s.time)x\(s.sensors)-\(s.classes).json")
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
            let url = target.tableURL(b, s)
            guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("no table at \(url.path); run `micronas characterize --emulate \(target.board)` first") }
            let t = try LookupTable.load(url)
            let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
            let start = Date()
            let r = try characterizer.validate(table: t, count: architectures, seed: seed) { i in
                if i % 10 == 0 || i == architectures { printError("\(i)/\(architectures) architectures") }
            }
            func d(_ x: ValidationReport.Stats, memory: Bool = false) -> [String: Any] {
                memory ? ["r2": x.r2, "mae_bytes": x.maeMs, "mape": x.mape, "max_abs_pct": x.maxAbsPct]
                       : ["r2": x.r2, "mae_ms": x.maeMs, "mape": x.mape, "max_abs_pct": x.maxAbsPct]
            }
            if json {
                print(try jsonLine(["board": b.name, "architectures": architectures, "latency": d(r.latency), "memory": d(r.memory, memory: true),
                                    "macs_proxy": ["r2": r.macsProxy.r2, "mae_ms": r.macsProxy.maeMs], "overhead_cycles": r.overheadCycles,
                                    "wall_seconds": Date().timeIntervalSince(start)]))
            } else {
                print(String(format: "%@, %d architectures: latency R² %.6f, MAE %.4f ms, MAPE %.3f %%, max |error| %.3f %% (overhead %.0f cycles)",
                             b.name, architectures, r.latency.r2, r.latency.maeMs, r.latency.mape, r.latency.maxAbsPct, r.overheadCycles))
                print(String(format: "memory (planner vs measured high-water): R² %.6f, MAE %.1f B, max |error| %.3f %%", r.memory.r2, r.memory.maeMs, r.memory.maxAbsPct))
                print(String(format: "MACs proxy (least squares): R² %.6f, MAE %.4f ms", r.macsProxy.r2, r.macsProxy.maeMs))
            }
        }
    }
}

struct CharacterizeMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Join tables measured with --shard into one (same board, cost table and kernel build).")
    @Argument(help: "Shard tables.") var tables: [String]
    @Option(help: "The merged table.") var out: String

    func run() throws {
        try reportingErrors {
            guard tables.count >= 1 else { throw ValidationError("give at least one table") }
            let merged = try LookupTable.merge(try tables.map { ($0, try LookupTable.load(URL(fileURLWithPath: $0))) })
            try merged.save(URL(fileURLWithPath: out))
            print("\(merged.entries.count) entries from \(tables.count) table(s) → \(out)")
        }
    }
}
