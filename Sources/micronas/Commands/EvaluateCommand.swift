import ArgumentParser
import Datasets
import Deploy
import Evaluation
import Foundation
import Graph
import Support

enum SplitPart: String, CaseIterable, ExpressibleByArgument { case test, val, train
    var split: WindowDataset.Split { self == .test ? .test : (self == .val ? .val : .train) }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Run an int8 model over every window of a dataset split on an emulated board: accuracy, latency, memory.",
        discussion: """
        The model must carry its normalization (models written by `micronas train --model-out` or `micronas quantize`); the \
        dataset is windowed with the model's window length (unless --window says otherwise) and normalized with the \
        model's statistics, then quantized with the model input's scale and zero point. Windows stream through the model \
        runner firmware in batches (each firmware run classifies --batch windows one after another; only each batch's \
        first window is preceded by an untimed warm-up invoke), batches spread over --threads. Every window's output is \
        checked byte for byte against the Swift reference interpreter: any difference stops the run naming the window \
        and byte. Reports accuracy, macro-F1, per-class precision/recall/F1, the confusion matrix, per-window latency \
        (median, p99, max; cycles and ms at the board's clock), arena planned and measured, stack, flash and static RAM.
        """
    )

    @OptionGroup var board: BoardOption
    @Option(help: "The int8 model (.tflite or quantized .json).") var model: String
    @Option(help: "Dataset name (uci-har) or path.") var dataset: String
    @Option(help: "Which split to evaluate.") var subset: SplitPart = .test
    @OptionGroup var data: DatasetOptions
    @Option(help: "Windows per firmware run.") var batch = 96
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Write per-window predictions here (CSV).") var predictions: String?
    @Option(help: "Write inputs.npy, labels.npy and outputs.npy (the board's int8 outputs) into this folder, for scripts/compare_runtimes.py.") var arraysOut: String?
    @Flag(help: "Print one JSON object with every figure instead of text.") var json = false

    func validate() throws {
        try require(batch, in: 1 ... 100_000, "--batch")
        if let t = threads { try require(t, in: threadRange, "--threads") }
    }

    func run() throws {
        try reportingErrors {
            let (b, _, toolchain) = try board.resolve()
            let m = try ModelFile.read(model)
            let preprocessing = try ModelInputs.requirePreprocessing(m, modelName: model)
            printError("loading \(dataset)…")
            let d = try data.load(dataset, preprocessing: preprocessing)
            let inputs = try ModelInputs.prepare(model: m, modelName: model, dataset: d, split: subset.split)
            printError("building \(model) for \(b.name)…")
            let deployment = try Deployment(model: m, name: model, board: b, toolchain: toolchain)
            var options = BoardEvaluation.Options()
            options.batch = batch
            if let t = threads { options.workers = t }
            printError("evaluating \(inputs.count) \(subset.rawValue) windows on \(b.name), \(options.workers) thread(s)…")
            let progress = ProgressLine(total: inputs.count, unit: "windows")
            let outcome = try BoardEvaluation.run(deployment, inputs: inputs, model: model, dataset: dataset, split: subset.rawValue,
                                                  options: options, progress: { done, _ in progress.update(done) })
            progress.finish()
            let r = outcome.report
            if let path = predictions {
                var csv = "window,subject,label,predicted,label_name,predicted_name,cycles," + d.classes.indices.map { "output_\($0)" }.joined(separator: ",") + "\n"
                for p in outcome.predictions {
                    csv += "\(p.window),\(p.subject),\(p.label),\(p.predicted),\(d.classes[p.label]),\(d.classes[p.predicted]),\(p.cycles),"
                        + p.output.map(String.init).joined(separator: ",") + "\n"
                }
                try AtomicWrite.file(Data(csv.utf8), to: URL(fileURLWithPath: path))
            }
            if let dir = arraysOut {
                let url = URL(fileURLWithPath: dir)
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                let inputShape = deployment.lowered.shapes[deployment.lowered.inputs[0]]!
                try NPYArray(dtype: .int8, shape: [inputs.count] + inputShape, data: inputs.inputs.flatMap { $0 }).write(to: url.appendingPathComponent("inputs.npy"))
                try NPYArray(dtype: .int32, shape: [inputs.count], data: inputs.labels.flatMap { v in withUnsafeBytes(of: Int32(v).littleEndian) { Array($0) } })
                    .write(to: url.appendingPathComponent("labels.npy"))
                try NPYArray(dtype: .int8, shape: [inputs.count, outcome.outputs.first?.count ?? 0], data: outcome.outputs.flatMap { $0 })
                    .write(to: url.appendingPathComponent("outputs.npy"))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(r), as: UTF8.self))
                return
            }
            print("\(model) on \(b.name) (\(Int(b.clockHz.value / 1e6)) MHz): \(r.windows) \(subset.rawValue) windows of \(dataset)")
            print(String(format: "accuracy %.4f, macro-F1 %.4f; every output bit-exact with the Swift reference", r.accuracy, r.macroF1))
            print(String(format: "latency per window: median %.0f cycles (%.3f ms), p99 %.3f ms, max %.3f ms", r.latency.medianCycles, r.latency.medianMs,
                         r.latency.p99Ms, r.latency.maxMs))
            print("memory: arena \(r.arenaBytesPlanned) B planned, \(r.arenaBytesMeasured) B written; stack \(r.stackBytes) B; flash \(r.flashBytes) B; static RAM \(r.staticRAMBytes) B (+ \(deployment.footprint.runtimeReserveBytes) B runtime reserve)")
            let width = max(10, d.classes.map(\.count).max()! + 2)
            print(pad("class", width) + right("precision", 10) + right("recall", 8) + right("F1", 8) + right("windows", 9))
            for c in r.perClass {
                print(pad(c.name, width) + right(String(format: "%.3f", c.precision), 10) + right(String(format: "%.3f", c.recall), 8)
                      + right(String(format: "%.3f", c.f1), 8) + right("\(c.support)", 9))
            }
            print("confusion (rows: true class, columns: predicted)")
            for (i, row) in r.confusion.enumerated() { print(pad(d.classes[i], width) + row.map { right("\($0)", 6) }.joined()) }
            print(String(format: "%.1f s wall", r.wallSeconds))
        }
    }
}

/// Progress of long work on stderr: a bar with an ETA redrawn in place on a terminal, a plain line
/// every tenth of the work otherwise (logs, CI).
final class ProgressLine: @unchecked Sendable {
    let total: Int, unit: String
    let started = Date()
    let terminal = isatty(2) != 0
    var lastTenth = -1
    let lock = NSLock()

    init(total: Int, unit: String) { (self.total, self.unit) = (total, unit) }

    func update(_ done: Int) {
        lock.lock(); defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(started)
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        if terminal {
            let filled = Int(fraction * 30)
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled)
            FileHandle.standardError.write(Data(String(format: "\r[%@] %d/%d %@ %3.0f %%  ETA %.0f s ", bar, done, total, unit, fraction * 100, eta).utf8))
        } else {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            printError(String(format: "%d/%d %@ (%.0f %%), %.0f s elapsed, ETA %.0f s", done, total, unit, fraction * 100, elapsed, eta))
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
