import ArgumentParser
import Characterization
import Datasets
import Deploy
import Foundation
import Kernels
import SearchSpace
import Support
import Targets

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

    func validate() throws {
        if check != nil && writeGolden != nil { throw ValidationError("--check and --write-golden exclude each other") }
        try require(goldenCount, in: 1 ... 100_000, "--golden-count")
        _ = try tolerancePercent()
        _ = try shardIndex()
    }

    /// `--tolerance` as a percentage.
    func tolerancePercent() throws -> Double {
        guard let tol = Double(tolerance.replacingOccurrences(of: "%", with: "")), tol >= 0, tol <= 100 else {
            throw ValidationError("--tolerance must be a percentage from 0% to 100% like 1%, got '\(tolerance)'")
        }
        return tol
    }

    /// `--shard` as (index, count).
    func shardIndex() throws -> (Int, Int) {
        let parts = shard.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (0..<n).contains(i) else {
            throw ValidationError("--shard must be I/N with 0 ≤ I < N, got '\(shard)'")
        }
        return (i, n)
    }

    func run() throws {
        try reportingErrors {
            var (b, s, toolchain) = try target.resolve()
            if let path = check ?? writeGolden {
                let tol = try tolerancePercent()
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
                    try AtomicWrite.file(try encoder.encode(GoldenSample(board: b.name, space: s, entries: measured)), to: URL(fileURLWithPath: path))
                    print("wrote \(measured.count) golden entries for \(b.name) to \(path)")
                }
                return
            }
            let parts = try shardIndex()
            let characterizer = Characterizer(space: s, board: b, toolchain: toolchain)
            let store = try TableStore(url: target.tableURL())
            let costHash = LookupTable.costHash(b)
            let kernelHash = try characterizer.kernelHash()
            let configurations = Set(s.operatorKeys().map(\.text))
            let start = Date()
            var last = Date.distantPast
            let c = try characterizer.complete(store: store, shard: parts, progress: { p in
                guard p.done == p.total || Date().timeIntervalSince(last) >= 1 else { return }
                last = Date()
                printError("\(p.done)/\(p.total) configurations (\(p.newEntries) new)")
            }, note: printError)
            let (t, emulated, repriced, before, overhead) = (c.table, c.emulated, c.repriced, c.before, c.overheadCycles)
            let entries = t.entries.keys.filter(configurations.contains).count
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
