import ArgumentParser
import Datasets
import Foundation
import Graph
import Tensor
import Training

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Convert a trained float checkpoint to an int8 model (.tflite + quantized JSON) with the dataset's normalization inside.",
        discussion: """
        Post-training quantization: activation ranges are the min and max seen on --calibration-windows training windows \
        (evenly spaced over the training split). A checkpoint written by `train --qat` already holds its trained ranges; \
        they are used unless --recalibrate is given. The int8 model's test accuracy (Swift reference interpreter) and its \
        agreement with the fake-quantized forward are printed. Use the dataset options the network was trained with: the \
        normalization comes from this split's training windows.
        """
    )

    @Option(help: "The network (Graph JSON); must be the checkpoint's graph.") var graph: String
    @Option(help: "The float checkpoint (`micronas train --checkpoint`).") var checkpoint: String
    @Option(help: "Dataset name (uci-har) or path (calibration windows and normalization).") var dataset: String
    @Option(help: "Write the int8 model here (.tflite; its quantized JSON goes beside it).") var modelOut: String
    @Option(help: "Training windows the activation ranges are calibrated on.") var calibrationWindows = 2048
    @Flag(help: "Calibrate ranges even if the checkpoint holds QAT ranges.") var recalibrate = false
    @OptionGroup var data: DatasetOptions
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        try require(calibrationWindows, in: calibrationRange, "--calibration-windows")
        guard modelOut.lowercased().hasSuffix(".tflite") else { throw ValidationError("--model-out must name a .tflite file (its quantized JSON goes beside it)") }
    }

    func run() throws {
        try reportingErrors {
            let g = try readGraph(graph)
            let c = try Checkpoint.read(from: URL(fileURLWithPath: checkpoint))
            guard c.graph == g else { throw GraphError("\(checkpoint): holds the parameters of another graph than \(graph)") }
            let network: GraphNetwork
            do { network = try c.makeNetwork() } catch let e as GraphError { throw GraphError("\(checkpoint): \(e)") }
            printError("loading \(dataset)…")
            let d = try data.load(dataset)
            do { try Trainer.check(d, fits: network) } catch let e as GraphError { throw GraphError("\(graph): \(e)") }
            let ranges: [String: ActivationRange]
            let kind: String
            if let r = c.ranges, !recalibrate {
                guard Set(r.keys) == Set(network.quantizationPoints) else {
                    throw GraphError("\(checkpoint): activation ranges for \(r.keys.sorted()) do not match the quantization points \(network.quantizationPoints)")
                }
                (ranges, kind) = (r, "QAT ranges from the checkpoint")
            } else {
                printError("calibrating on \(min(calibrationWindows, d.summary(.train).windows)) training windows…")
                (ranges, kind) = (Trainer.calibrate(network, d, windows: calibrationWindows, frozen: true), "post-training quantization")
            }
            let out = try Int8Output.write(network: network, ranges: ranges, dataset: d, to: modelOut)
            if json {
                var object: [String: Any] = ["graph": graph, "checkpoint": checkpoint, "dataset": dataset, "model": modelOut, "quantization": kind,
                                             "calibration_windows": c.ranges != nil && !recalibrate ? 0 : min(calibrationWindows, d.summary(.train).windows)]
                for (k, v) in out.json { object[k] = v }
                print(try jsonLine(object))
            } else {
                print("\(modelOut) (+ \(out.jsonPath)): int8, \(kind)")
                for line in out.summaryLines { print(line) }
            }
        }
    }
}
