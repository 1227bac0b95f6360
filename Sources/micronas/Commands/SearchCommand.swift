import ArgumentParser
import Characterization
import Datasets
import Deploy
import Evaluation
import Foundation
import Graph
import Kernels
import Metrics
import Search
import SearchSpace
import Support
import Targets
import Tensor
import Training

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find a network that fits a board's latency and arena limits (hardware-aware DNAS), retrain it with QAT and prove it on the emulated board.",
        discussion: """
        Phases: characterize (the board's lookup table for the dataset window's search space; only missing entries are \
        emulated), feasibility (the space's fastest architecture within the arena limit, exactly from the table: a run \
        whose limits no architecture meets stops here, naming the space's minimum latency and arena), search (MicroNAS \
        Algorithm 1: per batch an SGD step on the architecture weights of validation CE + γ_lat·log(lat/limit) + \
        γ_mem·log(mem/limit) above the limits, then an Adam step on the supernet weights; Gumbel-softmax, τ ← τ·0.997 per \
        batch), guarantee (the argmax architecture built as int8 firmware and measured on the emulated board; while it \
        exceeds a limit, shrunk one step and measured again), retrain (from scratch, QAT for the second half of the \
        epochs; by default on the training and the validation windows — the validation windows have chosen the \
        architecture by then, and a subject-wise model generalizes with every subject it sees — --retrain-on train \
        keeps them out; the retraining windows are rotated and scaled at random, as the same IMU worn by someone else — \
        --no-augment leaves them as recorded; --retrain-restarts seeds train the first --retrain-probe-epochs epochs and the \
        one with the highest training accuracy continues, as a small network can settle early in a poor region), evaluate (int8 model over the test split on the emulated board; the delivered model's worst window \
        must be within the latency limit).

        The output folder holds run.json (the settings), table.json (the lookup-table entries used), search-log.jsonl \
        (per search epoch: losses, validation accuracy, expected latency and arena, τ, every group's probabilities), \
        architecture.json, model.tflite (+ model.json), c/ (the C deployment folder) and summary.json. Every phase \
        checkpoints after each epoch; the same command run again after an interruption (even kill -9) continues after \
        the last finished epoch and ends as the uninterrupted run would have (same seed and --threads). A folder that \
        holds a run with other settings is refused unless --force (which starts over).
        """
    )

    @OptionGroup var board: BoardOption
    @Option(help: "Dataset name (uci-har) or path.") var dataset: String
    @Option(help: "Latency limit per inference, with a unit (25ms, 500us).") var latency: String
    @Option(help: "Tensor arena limit, with a unit (64KB = 64KiB = 65536 B, 1MB).") var memory: String
    @Option(help: "Flash limit for the firmware (default: the board's flash).") var flash: String?
    @Option(help: "Search epochs.") var epochs = 100
    @Option(help: "Retraining epochs (QAT for the second half).") var retrainEpochs = 100
    @Option(help: "Batch size (search and retraining).") var batch = 32
    @Option(help: "What the delivered architecture is retrained on: train+val (the search's training and validation windows; the default) or train.") var retrainOn: RetrainData = .trainVal
    @Option(help: "Retraining starts: this many seeds (--seed, +1, …) train the first --retrain-probe-epochs epochs; the one with the highest training accuracy continues (1: a single start).") var retrainRestarts = 3
    @Option(help: "Epochs each retraining start trains before the best is chosen (default: a twentieth of --retrain-epochs, at least 1).") var retrainProbeEpochs: Int?
    @Flag(inversion: .prefixedNo, help: "Augment the retraining windows (default on): one random rotation (up to 15°) of every x/y/z triad and one gain in [0.9, 1.1] per window.") var augment = true
    @Option(help: "Threads: batches are split over this many (default: all cores). Results depend on the seed and this count.") var threads: Int?
    @Option(help: "Output folder (default: $MICRONAS_CACHE/runs/search-<board>-<dataset>-<latency>-<memory>-seed<S>).") var out: String?
    @OptionGroup var file: TableFile
    @OptionGroup var data: DatasetOptions
    @Flag(help: "Require that the output folder holds this run, and continue it.") var resume = false
    @Flag(help: "Start over in an output folder that holds another run (its files are replaced).") var force = false
    @Flag(help: "Print the summary as one JSON object.") var json = false

    /// Checked in `run` (one `error:` line, exit 64) — the limits are parsed there.
    func check() throws {
        try require(epochs, in: 1 ... 100_000, "--epochs")
        guard (2...100_000).contains(retrainEpochs) else { throw ValidationError("--retrain-epochs must be between 2 and 100000 (QAT needs a float half and a quantized half)") }
        try require(batch, in: 1 ... 1 << 16, "--batch")
        try require(retrainRestarts, in: 1 ... 16, "--retrain-restarts")
        if let p = retrainProbeEpochs {
            guard (1..<retrainEpochs).contains(p) else { throw ValidationError("--retrain-probe-epochs must be between 1 and \(retrainEpochs - 1) (below --retrain-epochs), got \(p)") }
            if retrainRestarts == 1 { throw ValidationError("--retrain-probe-epochs needs --retrain-restarts above 1") }
        }
        if let t = threads { try require(t, in: threadRange, "--threads") }
        if resume && force { throw ValidationError("--resume and --force exclude each other") }
    }

    /// The retraining's windows.
    enum RetrainData: String, CaseIterable, ExpressibleByArgument, Codable {
        /// The search's training and validation windows: the validation windows chose the
        /// architecture; retraining with them sees more subjects (UCI-HAR: 21 instead of 17).
        case trainVal = "train+val"
        /// The search's training windows only.
        case train
    }

    /// What identifies a run: a folder holding a run with other settings is another run.
    struct Settings: Codable, Equatable {
        var board: String
        var dataset: String
        var split: String
        var seed: UInt64
        var limits: HardwareLimits
        var epochs: Int, retrainEpochs: Int, batch: Int, threads: Int
        var space: SearchSpace
        /// Absent in runs of earlier versions (which retrained on the training windows only).
        var retrainOn: RetrainData?
        var augmentation: Augmentation?
        /// Absent in runs of earlier versions (one start).
        var retrainRestarts: Int?, retrainProbeEpochs: Int?
        enum CodingKeys: String, CodingKey {
            case board, dataset, split, seed, limits, epochs, batch, threads, space, augmentation
            case retrainEpochs = "retrain_epochs", retrainOn = "retrain_on", retrainRestarts = "retrain_restarts", retrainProbeEpochs = "retrain_probe_epochs"
        }
    }

    func run() throws {
        try reportingErrors {
            try check()
            let started = Date()
            var wall: [String: Double] = [:]
            let (b, catalog, toolchain) = try board.resolve()
            let latencyMs = try Quantity.milliseconds(latency, option: "--latency")
            let arenaBytes = try Quantity.bytes(memory, option: "--memory")
            let flashBytes = try flash.map { try Quantity.bytes($0, option: "--flash") }
            let limits = HardwareLimits(latencyMs: latencyMs, arenaBytes: arenaBytes, flashBytes: flashBytes)
            let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
            if let t = threads { BLASThreads.count = t }

            printError("loading \(dataset)…")
            let d = try data.load(dataset)
            let space: SearchSpace
            do { space = try SearchSpace(time: d.length, sensors: d.channels.count, classes: d.classes.count) } catch let e as SearchSpaceError {
                throw SearchError("\(dataset): \(e) (windows are \(d.length)×\(d.channels.count))")
            }
            guard !d.indices(.val).isEmpty else {
                throw SearchError("\(dataset): the validation split has no windows (the architecture step needs them); choose --val-subjects or a larger --val-count")
            }
            let settings = Settings(board: b.name, dataset: dataset, split: data.split.rawValue, seed: data.seed, limits: limits,
                                    epochs: epochs, retrainEpochs: retrainEpochs, batch: batch, threads: workers, space: space,
                                    retrainOn: retrainOn, augmentation: augment ? Augmentation() : nil, retrainRestarts: retrainRestarts,
                                    retrainProbeEpochs: retrainRestarts > 1 ? (retrainProbeEpochs ?? max(1, retrainEpochs / 20)) : nil)
            let retrainData = retrainOn == .trainVal ? d.mergingValidationIntoTraining() : d
            let dir = URL(fileURLWithPath: out ?? CacheDirectory.runs.appendingPathComponent(defaultName(b.name)).path)
            _ = try prepare(dir, settings, checkOnly: true)   // refuse a bad --out before characterizing

            // Characterize.
            var phase = Date()
            let characterizer = Characterizer(space: space, board: b, toolchain: toolchain)
            let store = try TableStore(url: file.url)
            let bar = ProgressLine(total: space.operatorKeys().count, unit: "configurations")
            var reported = false
            let completion = try characterizer.complete(store: store, progress: { p in
                if !reported { printError("characterizing \(space.time)x\(space.sensors) on \(b.name) into \(store.url.path)…"); reported = true }
                bar.update(p.done)
            }, note: printError)
            if reported { bar.finish() }
            guard let overhead = completion.overheadCycles else { throw SearchError("the lookup table is incomplete after characterization") }
            let table = completion.table
            wall["characterize"] = Date().timeIntervalSince(phase)

            // Feasibility: exact from the table.
            let cost = try RelaxedCost(space: space, table: table, overheadCycles: overhead)
            let ms = { (cycles: Double) in cycles / b.clockHz.value * 1000 }
            let fastest = cost.fastest(), smallest = cost.smallest()
            let within = cost.fastest(withinBytes: arenaBytes)
            if within == nil || ms(within!.cycles) > latencyMs {
                var why = String(format: "no architecture of the %dx%d space fits %.3f ms and %d B of arena on %@: the fastest takes %.3f ms (arena %d B), the smallest arena is %d B (%.3f ms)",
                                 space.time, space.sensors, latencyMs, arenaBytes, b.name, ms(fastest.cycles), fastest.bytes, smallest.bytes, ms(smallest.cycles))
                if let w = within, w.architecture != fastest.architecture { why += String(format: "; within %d B the fastest takes %.3f ms", arenaBytes, ms(w.cycles)) }
                throw SearchError(why + " (lookup table; the arena figure is the liveness lower bound the planner never goes below)")
            }

            // The output folder: only now (an impossible limit or bad input leaves nothing behind).
            let resuming = try prepare(dir, settings)
            try writeTable(table, overhead: overhead, space: space, to: dir.appendingPathComponent("table.json"))

            // Search.
            phase = Date()
            var config = DNAS.Config(limits: limits)
            (config.epochs, config.batch, config.seed, config.workers) = (epochs, batch, data.seed, workers)
            let checkpoint = dir.appendingPathComponent("search-checkpoint.json")
            let dnas = DNAS(space: space, config: config, cost: cost, clockHz: b.clockHz.value, checkpoint: checkpoint)
            let state = resuming && FileManager.default.fileExists(atPath: checkpoint.path) ? try DNAS.State.read(from: checkpoint) : nil
            if let s = state, s.epoch > 0 { printError("resuming the search after epoch \(s.epoch) of \(epochs)") }
            let steps = (d.indices(.train).count + batch - 1) / batch
            let done = state?.epoch ?? 0
            printError("searching \(String(format: "%.2g", space.size.distinctArchitectures)) architectures: \(epochs) epochs of \(steps) batches, \(workers) thread(s)…")
            let searchBar = ProgressLine(total: (epochs - done) * steps, unit: "batches")
            var batchesDone = 0
            let logURL = dir.appendingPathComponent("search-log.jsonl")
            var logSoFar = state?.log ?? []
            let outcome = try dnas.run(d, resume: state, progress: { e in
                logSoFar.append(e)
                try writeLog(logSoFar, to: logURL)
                if !searchBar.terminal {
                    printError(String(format: "epoch %3d  loss %.4f  val %.4f  acc %.4f  E[lat] %.2f ms  E[arena] %.0f B  argmax %.2f ms %.0f B  τ %.3g  %.1f s",
                                      e.epoch, e.weightLoss, e.validationLoss, e.validationAccuracy, e.expectedLatencyMs, e.expectedArenaBytes,
                                      e.architectureLatencyMs, e.architectureArenaBytes, Double(e.temperature), e.seconds))
                }
            }, batchProgress: { _, _ in batchesDone += 1; searchBar.update(batchesDone) })
            searchBar.finish()
            try writeLog(outcome.log, to: logURL)
            wall["search"] = outcome.log.reduce(0) { $0 + $1.seconds }
            for r in outcome.extraction.repairs { printError("extraction: \(r)") }

            // Guarantee, retraining, conversion, evaluation — again with a shrunk architecture if the
            // trained model's worst window exceeds the latency limit.
            var architecture = outcome.extraction.architecture
            var changes: [String] = []
            var round = 1
            while true {
                phase = Date()
                printError("measuring \(architecture.summary) on \(b.name)…")
                let guarantee = FitGuarantee(characterizer: characterizer, table: table, cost: cost, limits: limits)
                let fit = try guarantee.fit(architecture, note: { printError("shrinking: \($0)") })
                changes += fit.changes
                architecture = fit.figures.architecture
                wall["guarantee", default: 0] += Date().timeIntervalSince(phase)
                try writeJSON(ArchitectureFile(searched: outcome.extraction.architecture, delivered: architecture, repairs: outcome.extraction.repairs,
                                               shrunk: changes, figures: fit.figures, summary: architecture.summary),
                              to: dir.appendingPathComponent("architecture.json"))

                // Retrain from scratch with QAT: the best start of --retrain-restarts candidates.
                let graph = try space.graph(for: architecture, dropout: true)
                var tc = Trainer.Config()
                (tc.epochs, tc.batch, tc.seed, tc.workers) = (retrainEpochs, batch, data.seed, workers)
                tc.qat = Trainer.QAT.fineTuning(epochs: retrainEpochs)
                tc.augmentation = settings.augmentation
                let probeEpochs = settings.retrainProbeEpochs ?? 1
                let roundTag = round == 1 ? "" : "-\(round)"
                let restarts = RestartedTraining(graph: graph, config: tc, candidates: settings.retrainRestarts ?? 1, probeEpochs: probeEpochs) { k in
                    dir.appendingPathComponent(k == 0 ? "retrain-checkpoint\(roundTag).json" : "retrain-checkpoint\(roundTag)-seed\(data.seed &+ UInt64(k)).json")
                }
                printError("retraining \(architecture.summary) from scratch on \(retrainData.summary(.train).windows) windows (\(retrainOn.rawValue)\(augment ? ", augmented" : "")): \(retrainEpochs) epochs, QAT from epoch \(tc.qat!.start)"
                           + (restarts.candidates > 1 ? "; the best of \(restarts.candidates) starts after \(probeEpochs) epoch(s) continues…" : "…"))
                var trainBar: ProgressLine? = nil
                var epochsDone = 0, continuing = false
                let retrained = try restarts.run(retrainData, event: { e in
                    switch e {
                    case let .candidate(k, seed, after, until):
                        trainBar?.finish()
                        let what = restarts.candidates == 1 ? "seed \(seed)" : continuing ? "seed \(seed), the chosen start" : "start \(k + 1) of \(restarts.candidates) (seed \(seed))"
                        if after > 0 { printError("\(what): resuming after epoch \(after)") }
                        if restarts.candidates > 1 { printError("\(what): epochs \(after + 1)–\(until)") }
                        trainBar = ProgressLine(total: until - after, unit: "epochs")
                        epochsDone = 0
                    case let .epoch(_, r):
                        epochsDone += 1
                        if trainBar?.terminal == false {
                            printError(String(format: "retrain epoch %3d%@  loss %.4f  train %.4f  val %@  test %.4f  %.1f s", r.epoch, r.quantized ? " qat" : "    ", r.loss,
                                              r.train.accuracy, r.val.map { String(format: "%.4f", $0.accuracy) } ?? "-", r.test.accuracy, r.seconds))
                        }
                        trainBar?.update(epochsDone)
                    case let .chosen(k, probes):
                        continuing = true
                        trainBar?.finish()
                        trainBar = nil
                        printError("after \(probeEpochs) epoch(s), training accuracy " + probes.map { String(format: "seed %llu %.4f", $0.seed, $0.trainAccuracy) }.joined(separator: ", ")
                                   + "; seed \(probes[k].seed) continues")
                    }
                })
                trainBar?.finish()
                let network = retrained.network, trained = retrained.training
                tc = retrained.config
                wall["retrain", default: 0] += retrained.seconds
                guard let ranges = trained.ranges else { throw SearchError("retraining ended without activation ranges (QAT did not run)") }

                // Float accuracy (the same weights, no fake quantization), then int8.
                phase = Date()
                network.fakeQuantization = nil
                let trainer = Trainer(network: network, config: tc)
                let floatScore = trainer.evaluate(d, .test)!
                let modelPath = dir.appendingPathComponent("model.tflite").path
                let int8 = try Int8Output.write(network: network, ranges: ranges, dataset: d, to: modelPath)
                try writeC(int8.model, name: modelPath, into: dir, toolchain: toolchain, catalog: catalog)
                printError("evaluating the int8 model on \(b.name) over the test split…")
                let deployment = try Deployment(model: int8.model, name: modelPath, board: b, toolchain: toolchain)
                let inputs = try ModelInputs.prepare(model: int8.model, modelName: modelPath, dataset: d, split: .test)
                var options = BoardEvaluation.Options()
                options.workers = workers
                let evalBar = ProgressLine(total: inputs.count, unit: "windows")
                let evaluation = try BoardEvaluation.run(deployment, inputs: inputs, model: modelPath, dataset: dataset, split: "test",
                                                         options: options, progress: { done, _ in evalBar.update(done) })
                evalBar.finish()
                wall["evaluate", default: 0] += Date().timeIntervalSince(phase)
                let report = evaluation.report
                var over: [String] = []
                if report.latency.maxMs > latencyMs { over.append(String(format: "worst test window %.3f ms > %.3f ms", report.latency.maxMs, latencyMs)) }
                if report.arenaBytesPlanned > arenaBytes { over.append("arena \(report.arenaBytesPlanned) B > \(arenaBytes) B") }
                if let f = flashBytes, report.flashBytes > f { over.append("flash \(report.flashBytes) B > \(f) B") }
                if !over.isEmpty {
                    guard round < 4, let next = guarantee.step(architecture, latency: report.latency.maxMs > latencyMs, memory: report.arenaBytesPlanned > arenaBytes) else {
                        throw SearchError("the trained model does not fit (\(over.joined(separator: ", "))) and no smaller step is left; nothing delivered")
                    }
                    let change = "\(next.1) (trained model: \(over.joined(separator: ", ")))"
                    printError("shrinking: \(change); retraining")
                    changes.append(change)
                    architecture = next.0
                    round += 1
                    continue
                }
                let summary = Summary(
                    board: b.name, clockHz: b.clockHz.value, dataset: dataset, split: data.split.rawValue, seed: data.seed, threads: workers,
                    architecture: architecture, architectureSummary: architecture.summary,
                    accuracy: .init(float: floatScore.accuracy, int8: report.accuracy),
                    macroF1: .init(float: floatScore.macroF1, int8: report.macroF1),
                    int8HostAccuracy: int8.int8Test.accuracy,
                    latencyMs: .init(limit: latencyMs, predicted: fit.figures.predictedMs, measured: report.latency.medianMs, measuredMax: report.latency.maxMs),
                    arenaBytes: .init(limit: arenaBytes, planned: report.arenaBytesPlanned, measured: report.arenaBytesMeasured),
                    stackBytes: report.stackBytes, flashBytes: report.flashBytes, flashLimit: flashBytes, staticRAMBytes: report.staticRAMBytes,
                    shrunk: changes, repairs: outcome.extraction.repairs, searchEpochs: epochs, retrainEpochs: retrainEpochs,
                    testWindows: report.windows, retrainOn: retrainOn.rawValue, retrainWindows: retrainData.summary(.train).windows,
                    augmentation: settings.augmentation, retrainSeed: tc.seed, retrainStarts: retrained.probes, wallSeconds: wall.merging(["total_this_invocation": Date().timeIntervalSince(started)]) { a, _ in a },
                    out: dir.path)
                try writeJSON(summary, to: dir.appendingPathComponent("summary.json"))
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    print(String(decoding: try encoder.encode(summary), as: UTF8.self))
                } else {
                    printTable(summary, clockMHz: b.clockHz.value / 1e6)
                }
                return
            }
        }
    }

    func defaultName(_ board: String) -> String {
        let name = URL(fileURLWithPath: dataset).lastPathComponent.replacingOccurrences(of: " ", with: "_")
        func clean(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "." } }
        return "search-\(board)-\(name)-\(clean(latency))-\(clean(memory))-seed\(data.seed)"
    }

    /// Creates or checks the output folder; true when it holds this run (continue it). `checkOnly`:
    /// the same refusals without touching anything (before the long work starts).
    func prepare(_ dir: URL, _ settings: Settings, checkOnly: Bool = false) throws -> Bool {
        let fm = FileManager.default
        let runFile = dir.appendingPathComponent("run.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: dir.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("--out \(dir.path) is a file, not a folder") }
            if let bytes = fm.contents(atPath: runFile.path) {
                let old = try? JSONDecoder().decode(Settings.self, from: bytes)
                if old == settings && !force { return true }
                guard force else {
                    let what = old.map { "a run of \($0.board), \($0.dataset), \(String(format: "%g", $0.limits.latencyMs)) ms / \($0.limits.arenaBytes) B, seed \($0.seed), \($0.epochs)+\($0.retrainEpochs) epochs, \($0.threads) thread(s)" } ?? "an unreadable run.json"
                    throw ValidationError("--out \(dir.path) holds another run (\(what)); pass --force to start over there, or choose another --out")
                }
            } else if !(try fm.contentsOfDirectory(atPath: dir.path)).isEmpty && !force {
                throw ValidationError("--out \(dir.path) is not empty and holds no micronas run; choose an empty or new folder (or --force)")
            }
            if resume { throw ValidationError("--resume: \(dir.path) holds no run with these settings") }
            if checkOnly { return false }
            for name in ["run.json", "table.json", "search-checkpoint.json", "search-log.jsonl", "architecture.json", "model.tflite", "model.json", "c", "summary.json"]
                + ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter({ $0.hasPrefix("retrain-checkpoint") }) {
                try? fm.removeItem(at: dir.appendingPathComponent(name))
            }
        } else {
            if resume { throw ValidationError("--resume: \(dir.path) does not exist") }
            let parent = dir.deletingLastPathComponent()
            if out != nil && !fm.fileExists(atPath: parent.path) {
                throw ValidationError("--out: cannot create \(dir.path): directory \(parent.path) does not exist")
            }
            if checkOnly { return false }
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        try AtomicWrite.file(try encoder.encode(settings), to: runFile)
        return false
    }

    struct ArchitectureFile: Codable {
        var searched: Architecture, delivered: Architecture
        var repairs: [String], shrunk: [String]
        var figures: FitGuarantee.Figures
        var summary: String
    }

    struct Summary: Codable {
        struct Pair: Codable { var float: Double, int8: Double }
        struct Latency: Codable {
            var limit: Double, predicted: Double, measured: Double, measuredMax: Double
            enum CodingKeys: String, CodingKey { case limit, predicted, measured, measuredMax = "measured_max" }
        }
        struct Arena: Codable { var limit: Int, planned: Int, measured: Int }
        var board: String, clockHz: Double, dataset: String, split: String, seed: UInt64, threads: Int
        var architecture: Architecture, architectureSummary: String
        var accuracy: Pair, macroF1: Pair
        var int8HostAccuracy: Double
        var latencyMs: Latency, arenaBytes: Arena
        var stackBytes: Int, flashBytes: Int, flashLimit: Int?, staticRAMBytes: Int
        var shrunk: [String], repairs: [String]
        var searchEpochs: Int, retrainEpochs: Int, testWindows: Int
        var retrainOn: String, retrainWindows: Int, augmentation: Augmentation?
        /// The seed of the delivered retraining, and every start's figures after the probe epochs (empty: one start).
        var retrainSeed: UInt64, retrainStarts: [RestartedTraining.Probe]
        var wallSeconds: [String: Double]
        var out: String
        enum CodingKeys: String, CodingKey {
            case board, dataset, split, seed, threads, architecture, accuracy, shrunk, repairs, out
            case clockHz = "clock_hz", architectureSummary = "architecture_summary", macroF1 = "macro_f1", int8HostAccuracy = "int8_host_accuracy"
            case latencyMs = "latency_ms", arenaBytes = "arena_bytes", stackBytes = "stack_bytes", flashBytes = "flash_bytes", flashLimit = "flash_limit_bytes"
            case staticRAMBytes = "static_ram_bytes", searchEpochs = "search_epochs", retrainEpochs = "retrain_epochs", testWindows = "test_windows"
            case wallSeconds = "wall_seconds", retrainOn = "retrain_on", retrainWindows = "retrain_windows", augmentation
            case retrainSeed = "retrain_seed", retrainStarts = "retrain_starts"
        }
    }

    func printTable(_ s: Summary, clockMHz: Double) {
        func n(_ v: Int) -> String { let f = NumberFormatter(); f.numberStyle = .decimal; f.groupingSeparator = ","; return f.string(from: NSNumber(value: v)) ?? "\(v)" }
        print("micronas search: \(s.board) (\(Int(clockMHz)) MHz), \(s.dataset) (\(s.split) split), seed \(s.seed)")
        print("architecture   \(s.architectureSummary)")
        print(pad("", 15) + right("predicted", 12) + right("measured", 12) + right("limit", 12))
        print(pad("latency (ms)", 15) + right(String(format: "%.3f", s.latencyMs.predicted), 12) + right(String(format: "%.3f", s.latencyMs.measured), 12)
              + right(String(format: "%.3f", s.latencyMs.limit), 12) + String(format: "   worst window %.3f", s.latencyMs.measuredMax))
        print(pad("arena (B)", 15) + right(n(s.arenaBytes.planned), 12) + right(n(s.arenaBytes.measured), 12) + right(n(s.arenaBytes.limit), 12) + "   planned / high-water")
        print(pad("stack (B)", 15) + right("", 12) + right(n(s.stackBytes), 12))
        print(pad("flash (B)", 15) + right("", 12) + right(n(s.flashBytes), 12) + right(s.flashLimit.map(n) ?? "board", 12))
        print(pad("accuracy", 15) + String(format: "float %.4f  int8 %.4f on the board (macro-F1 %.4f / %.4f), %d test windows",
                                           s.accuracy.float, s.accuracy.int8, s.macroF1.float, s.macroF1.int8, s.testWindows))
        print(pad("retrained on", 15) + "\(n(s.retrainWindows)) windows (\(s.retrainOn)\(s.augmentation == nil ? "" : ", augmented")), \(s.retrainEpochs) epochs, seed \(s.retrainSeed)"
              + (s.retrainStarts.isEmpty ? "" : " (best of \(s.retrainStarts.count) starts by training accuracy: " + s.retrainStarts.map { String(format: "%.3f", $0.trainAccuracy) }.joined(separator: " / ") + ")"))
        print(pad("shrunk", 15) + (s.shrunk.isEmpty ? "nothing (fitted as searched)" : s.shrunk.joined(separator: "; ")))
        let order = ["characterize", "search", "guarantee", "retrain", "evaluate"]
        print(pad("wall", 15) + order.compactMap { k in s.wallSeconds[k].map { String(format: "%@ %.0f s", k, $0) } }.joined(separator: " · "))
        print(pad("out", 15) + s.out)
    }
}

/// The lookup-table entries a run used (its space's configurations on its board), with the overhead.
private func writeTable(_ t: LookupTable, overhead: Double, space: SearchSpace, to url: URL) throws {
    let keys = space.operatorKeys().map(\.text).sorted()
    var entries: [String: Any] = [:]
    for k in keys { if let e = t.entries[k] { entries[k] = ["cycles": Int(e.cycles), "macs": e.macs] } }
    let object: [String: Any] = ["board": t.board, "cost_hash": t.costHash, "kernel_hash": t.kernelHash, "overhead_cycles": overhead, "entries": entries]
    try AtomicWrite.file(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), to: url)
}

private func writeLog(_ log: [DNAS.EpochLog], to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var text = ""
    for e in log { text += String(decoding: try encoder.encode(e), as: UTF8.self) + "\n" }
    try AtomicWrite.file(Data(text.utf8), to: url)
}

private func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    try AtomicWrite.file(try encoder.encode(value), to: url)
}

/// The C deployment folder `dir/c`, replaced as a whole (never half-written).
private func writeC(_ model: QuantizedModel, name: String, into dir: URL, toolchain: KernelToolchain, catalog: BoardCatalog) throws {
    let fm = FileManager.default
    let staging = dir.appendingPathComponent(".c-new-\(getpid())"), target = dir.appendingPathComponent("c")
    try? fm.removeItem(at: staging)
    _ = try Export.writeC(model, name: name, to: staging, toolchain: toolchain, boards: catalog.boards)
    try? fm.removeItem(at: target)
    try fm.moveItem(at: staging, to: target)
}
