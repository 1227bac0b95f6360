import ArgumentParser
import Datasets
import Foundation
import Graph
import Metrics
import Support
import Tensor
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network described by a Graph JSON on a window dataset (float, or quantization-aware with --qat); write the int8 model with --model-out.",
        discussion: """
        Adam with a cosine schedule and gradient clipping, log-softmax + NLL on the output logits. Progress on stderr. \
        Reference network: examples/reference_har.json.

        --qat: quantization-aware training. By default the first half of the epochs trains in float and the second half \
        fine-tunes with fake quantization (per-channel int8 weights; every activation the int8 model requantizes on its \
        int8 grid, ranges calibrated on --calibration-windows training windows when QAT starts, then moving min/max), \
        ranges frozen for the last tenth of the epochs (--qat-start and --freeze-ranges move both).

        --model-out m.tflite writes the int8 model (and m.json, its quantized form, beside it) with the training split's \
        normalization inside; without --qat it is post-training quantization, ranges calibrated on --calibration-windows \
        training windows. The int8 model's test accuracy (Swift reference interpreter) and its agreement with the \
        fake-quantized forward are printed.

        --checkpoint c.json is written atomically before training and after every epoch with everything needed to resume: \
        the same command run again after an interruption (even kill -9) continues after the last finished epoch and ends \
        as the uninterrupted run would have. --fresh starts over instead.
        """
    )

    @Option(help: "The network (Graph JSON).") var graph: String
    @Option(help: "Dataset name (uci-har) or path.") var dataset: String
    @Option(help: "Epochs.") var epochs = 20
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Peak learning rate (Adam).") var lr: Float = 2e-3
    @Option(help: "Threads: the batch is split over this many (default: all cores).") var threads: Int?
    @Option(help: "Checkpoint file written after every epoch; an existing one of the same run is resumed (default: none).") var checkpoint: String?
    @Flag(help: "Ignore an existing --checkpoint and start over (it is overwritten).") var fresh = false
    @Flag(help: "Quantization-aware training (see below).") var qat = false
    @Option(help: "With --qat: the first epoch trained with fake quantization (default: epochs/2 + 1; 1 = QAT from the start).") var qatStart: Int?
    @Option(help: "With --qat: the first epoch with frozen activation ranges (default: the last tenth of the epochs).") var freezeRanges: Int?
    @Option(help: "Training windows the activation ranges are calibrated on (QAT start, post-training quantization).") var calibrationWindows = 2048
    @Option(help: "Write the int8 model here (.tflite; its quantized JSON goes beside it).") var modelOut: String?
    @Flag(help: "Augment the training windows: one random rotation of every x/y/z triad per window and one random gain (see --augment-rotation, --augment-gain).") var augment = false
    @Option(help: "With --augment: the largest rotation, in degrees, about a random axis.") var augmentRotation: Float = 15
    @Option(help: "With --augment: the gain is drawn from [1 - G, 1 + G].") var augmentGain: Float = 0.1
    @OptionGroup var data: DatasetOptions
    @Flag(help: "Print one JSON object (per-epoch metrics) instead of a table.") var json = false

    func validate() throws {
        if let t = threads { try require(t, in: threadRange, "--threads") }
        try require(epochs, in: 1 ... 100_000, "--epochs")
        try require(batch, in: 1 ... 1 << 20, "--batch")
        guard lr > 0, lr <= 10 else { throw ValidationError("--lr must be a number in (0, 10], got \(lr)") }
        try require(calibrationWindows, in: calibrationRange, "--calibration-windows")
        if !qat, qatStart != nil || freezeRanges != nil { throw ValidationError("--qat-start and --freeze-ranges need --qat") }
        if let s = qatStart, !(1...epochs).contains(s) { throw ValidationError("--qat-start must be an epoch from 1 to \(epochs)") }
        if let f = freezeRanges, f < (qatStart ?? 1) { throw ValidationError("--freeze-ranges must not come before --qat-start") }
        if let p = Augmentation.rotationProblem(augmentRotation) { throw ValidationError("--augment-rotation \(p)") }
        if let p = Augmentation.gainProblem(augmentGain) { throw ValidationError("--augment-gain \(p)") }
        if let m = modelOut, !m.lowercased().hasSuffix(".tflite") { throw ValidationError("--model-out must name a .tflite file (its quantized JSON goes beside it)") }
    }

    func run() throws {
        try reportingErrors {
            // Where the results go must exist before training, not be found missing after it.
            for path in [checkpoint, modelOut].compactMap({ $0 }) { try AtomicWrite.checkParent(of: URL(fileURLWithPath: path)) }
            let g = try readGraph(graph)
            if let t = threads { BLASThreads.count = t }
            let network: GraphNetwork
            do { network = try GraphNetwork(g, seed: data.seed) } catch let e as GraphError { throw GraphError("\(graph): \(e)") }
            var config = Trainer.Config()
            (config.epochs, config.batch, config.seed, config.learningRate) = (epochs, batch, data.seed, lr)
            if let t = threads { config.workers = t }
            if augment { config.augmentation = Augmentation(rotationDegrees: augmentRotation, gain: augmentGain) }
            if qat {
                var q = Trainer.QAT.fineTuning(epochs: epochs)
                if let s = qatStart { q.start = s; q.freeze = max(q.freeze, s) }
                if let f = freezeRanges { q.freeze = f }
                q.calibrationWindows = calibrationWindows
                config.qat = q
            }
            let checkpointURL = checkpoint.map { URL(fileURLWithPath: $0) }
            var resume: Checkpoint? = nil
            if let url = checkpointURL, !fresh, FileManager.default.fileExists(atPath: url.path) {
                let c = try Checkpoint.read(from: url)
                guard c.state != nil else {
                    throw GraphError("\(url.path) holds parameters without a training state (not written by `micronas train`); pass --fresh to overwrite it")
                }
                resume = c
            }
            printError("loading \(dataset)…")
            let d = try data.load(dataset)
            let trainer = Trainer(network: network, config: config, checkpoint: checkpointURL)
            if let r = resume { printError("resuming \(checkpointURL!.path) after epoch \(r.epoch) of \(epochs)") }
            let schedule = config.qat.map { " (QAT from epoch \($0.start), ranges frozen from epoch \($0.freeze))" } ?? ""
            printError("training \(network.parameters.reduce(0) { $0 + $1.count }) parameters on \(d.summary(.train).windows) windows, \(config.workers) thread(s)\(schedule)…")
            let started = Date()
            let outcome = try trainer.run(d, resume: resume, progress: { r in
                printError(String(format: "epoch %3d%@  loss %.4f  train %.4f  val %@  test %.4f (F1 %.4f)  %.1f s", r.epoch, r.quantized ? " qat" : "    ",
                                  r.loss, r.train.accuracy, r.val.map { String(format: "%.4f", $0.accuracy) } ?? "-", r.test.accuracy, r.test.macroF1, r.seconds))
            })
            let wall = Date().timeIntervalSince(started)
            var int8: Int8Output? = nil
            if let path = modelOut {
                let ranges: [String: ActivationRange]
                if let r = outcome.ranges { ranges = r } else {
                    printError("post-training quantization: calibrating on \(min(calibrationWindows, d.summary(.train).windows)) training windows…")
                    network.fakeQuantization = nil
                    ranges = Trainer.calibrate(network, d, windows: calibrationWindows, frozen: true)
                }
                int8 = try Int8Output.write(network: network, ranges: ranges, dataset: d, to: path)
            }
            let reports = outcome.reports
            if json {
                func m(_ x: ClassificationScore?) -> Any { x.map { ["accuracy": $0.accuracy, "macro_f1": $0.macroF1] } ?? NSNull() }
                var object: [String: Any] = ["graph": graph, "dataset": dataset, "epochs": reports.map {
                    ["epoch": $0.epoch, "loss": $0.loss, "lr": Double($0.learningRate), "train": m($0.train), "val": m($0.val), "test": m($0.test),
                     "seconds": $0.seconds, "qat": $0.quantized]
                }, "wall_seconds": wall, "resumed_after_epoch": outcome.resumedAfter,
                   "windows_per_second": Double(d.summary(.train).windows * (epochs - outcome.resumedAfter)) / wall]
                if let i = int8 {
                    object["model"] = modelOut!
                    object["quantization"] = qat ? "qat" : "post-training"
                    for (k, v) in i.json { object[k] = v }
                }
                print(try jsonLine(object))
            } else {
                let last = reports.last!
                print(String(format: "%@ on %@: test accuracy %.4f, macro-F1 %.4f after %d epochs%@ (%.0f s)", graph, dataset,
                             last.test.accuracy, last.test.macroF1, epochs, last.quantized ? " (fake-quantized)" : "", wall))
                if let i = int8 {
                    print("\(qat ? "QAT" : "post-training quantized") int8 model: \(modelOut!) (+ \(i.jsonPath))")
                    for line in i.summaryLines { print(line) }
                }
            }
        }
    }
}
