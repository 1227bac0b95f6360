import ArgumentParser
import Characterization
import Foundation
import Search
import SearchSpace
import Support
import Tensor
import Training

struct BenchSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Seconds per search epoch (Algorithm 1 on the supernet) vs a training epoch of the reference network, same data and threads, same run.",
        discussion: """
        Two search epochs are timed: one at the schedule's start (τ = 5: Gumbel samples are soft, every path of the supernet \
        is computed) and one late in it (τ = 0.01: samples are nearly one-hot, only the sampled paths and the filter widths \
        their masks can select are computed). The reference is one epoch of `micronas train` on examples/reference_har.json \
        (float, the same batch size and threads). Each figure is the best of --rounds.
        """
    )

    @OptionGroup var board: BoardOption
    @Option(help: "Dataset name (uci-har) or path.") var dataset = "uci-har"
    @OptionGroup var data: DatasetOptions
    @OptionGroup var file: TableFile
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Rounds; each figure is its best round.") var rounds = 1
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            try require(rounds, in: 1 ... 100, "--rounds")
            try require(batch, in: 1 ... 65_536, "--batch")
            if let t = threads { try require(t, in: threadRange, "--threads") }
            let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
            if let t = threads { BLASThreads.count = t }
            let (b, _, toolchain) = try board.resolve()
            let d = try data.load(dataset)
            let space = try SearchSpace(time: d.length, sensors: d.channels.count, classes: d.classes.count)
            let c = try Characterizer(space: space, board: b, toolchain: toolchain).complete(store: try TableStore(url: file.url), note: printError)
            let cost = try RelaxedCost(space: space, table: c.table, overheadCycles: c.overheadCycles ?? 0)
            let reference = try readGraph(try repositoryRoot().appendingPathComponent("examples/reference_har.json").path)
            func searchEpoch(temperature: Float) throws -> Double {
                var config = DNAS.Config(limits: HardwareLimits(latencyMs: 25, arenaBytes: 65536))
                (config.epochs, config.batch, config.workers, config.initialTemperature) = (1, batch, workers, temperature)
                return try DNAS(space: space, config: config, cost: cost, clockHz: b.clockHz.value).run(d).log[0].seconds
            }
            func trainEpoch() throws -> Double {
                var config = Trainer.Config()
                (config.epochs, config.batch, config.workers) = (1, batch, workers)
                return try Trainer(network: try GraphNetwork(reference, seed: 1), config: config).run(d).reports[0].seconds
            }
            var hot = Double.infinity, cold = Double.infinity, ref = Double.infinity
            for r in 1...rounds {
                printError("round \(r) of \(rounds): reference epoch, search epoch at τ 5, search epoch at τ 0.01…")
                ref = min(ref, try trainEpoch())
                hot = min(hot, try searchEpoch(temperature: 5))
                cold = min(cold, try searchEpoch(temperature: 0.01))
            }
            let windows = d.indices(.train).count
            if json {
                print(try jsonLine(["dataset": dataset, "board": b.name, "train_windows": windows, "batch": batch, "threads": workers,
                                    "search_epoch_seconds_start": hot, "search_epoch_seconds_late": cold, "reference_epoch_seconds": ref,
                                    "ratio_start": hot / ref, "ratio_late": cold / ref]))
            } else {
                print(String(format: "search epoch on %@ (%d training windows, batch %d, %d thread(s)): %.1f s at τ 5 (%.1f× the reference), %.1f s at τ 0.01 (%.1f×); reference network epoch %.1f s",
                             dataset, windows, batch, workers, hot, hot / ref, cold, cold / ref, ref))
            }
        }
    }
}
