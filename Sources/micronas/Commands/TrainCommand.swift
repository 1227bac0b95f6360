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
        abstract: "Train a float network described by a Graph JSON on a window dataset; accuracy and macro-F1 per epoch.",
        discussion: "Adam with a cosine schedule and gradient clipping, log-softmax + NLL on the output logits. Progress on stderr; parameters checkpointed after every epoch. Reference network: examples/reference_har.json."
    )

    @Option(help: "The network (Graph JSON).") var graph: String
    @Option(help: "Dataset name (uci-har) or path.") var dataset: String
    @Option(help: "Epochs.") var epochs = 20
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Peak learning rate (Adam).") var lr: Float = 2e-3
    @Option(help: "Threads: the batch is split over this many (default: all cores).") var threads: Int?
    @Option(help: "Checkpoint file written after every epoch (default: none).") var checkpoint: String?
    @OptionGroup var data: DatasetOptions
    @Flag(help: "Print one JSON object (per-epoch metrics) instead of a table.") var json = false

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
    }

    func run() throws {
        try reportingErrors {
            guard let bytes = FileManager.default.contents(atPath: graph) else { throw ValidationError("\(graph): cannot read file") }
            let g: Graph
            do { g = try JSONDecoder().decode(Graph.self, from: bytes) } catch let e as DecodingError {
                throw GraphError("\(graph): not a Graph: \(e.summary)")
            }
            if let t = threads { BLASThreads.count = t }
            let network: GraphNetwork
            do { network = try GraphNetwork(g, seed: data.seed) } catch let e as GraphError { throw GraphError("\(graph): \(e)") }
            printError("loading \(dataset)…")
            let d = try data.load(dataset)
            var config = Trainer.Config()
            (config.epochs, config.batch, config.seed, config.learningRate) = (epochs, batch, data.seed, lr)
            if let t = threads { config.workers = t }
            let trainer = Trainer(network: network, config: config, checkpoint: checkpoint.map { URL(fileURLWithPath: $0) })
            printError("training \(network.parameters.reduce(0) { $0 + $1.count }) parameters on \(d.summary(.train).windows) windows, \(config.workers) thread(s)…")
            let started = Date()
            let reports = try trainer.run(d, progress: { r in
                printError(String(format: "epoch %3d  loss %.4f  train %.4f  val %@  test %.4f (F1 %.4f)  %.1f s", r.epoch, r.loss, r.train.accuracy,
                                  r.val.map { String(format: "%.4f", $0.accuracy) } ?? "-", r.test.accuracy, r.test.macroF1, r.seconds))
            })
            let wall = Date().timeIntervalSince(started)
            if json {
                func m(_ x: ClassificationScore?) -> Any { x.map { ["accuracy": $0.accuracy, "macro_f1": $0.macroF1] } ?? NSNull() }
                print(try jsonLine(["graph": graph, "dataset": dataset, "epochs": reports.map {
                    ["epoch": $0.epoch, "loss": $0.loss, "lr": Double($0.learningRate), "train": m($0.train), "val": m($0.val), "test": m($0.test), "seconds": $0.seconds]
                }, "wall_seconds": wall, "windows_per_second": Double(d.summary(.train).windows * epochs) / wall]))
            } else {
                let last = reports.last!
                print(String(format: "%@ on %@: test accuracy %.4f, macro-F1 %.4f after %d epochs (%.0f s)", graph, dataset,
                             last.test.accuracy, last.test.macroF1, epochs, wall))
            }
        }
    }
}
