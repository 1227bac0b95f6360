import Datasets
import Deploy
import Evaluation
import Foundation
import Graph
import Tensor
import Training

/// What `train --model-out` and `quantize` share: the network with its activation ranges converted
/// to int8, written as `.tflite` + quantized JSON, and measured on the host with the Swift reference
/// interpreter over the test split (int8 accuracy, and how closely the fake-quantized forward
/// predicted it).
struct Int8Output {
    var model: QuantizedModel
    var jsonPath: String
    var int8Test: ClassificationScoreFigures
    /// Fake-quantized forward vs int8: probabilities (the model output) and, for a softmax output, the logits.
    var outputAgreement: HostEvaluation.Agreement
    var logitAgreement: HostEvaluation.Agreement?

    struct ClassificationScoreFigures { var accuracy: Double, macroF1: Double, windows: Int }

    static func write(network: GraphNetwork, ranges: [String: ActivationRange], dataset d: WindowDataset, to path: String) throws -> Int8Output {
        let model = try network.quantizedModel(ranges: ranges, preprocessing: d.preprocessing)
        let lowered = try ModelFile.lower(model, name: path)
        let inputs = try ModelInputs.prepare(model: model, modelName: path, dataset: d, split: .test)
        printError("int8: the Swift reference interpreter over \(inputs.count) test windows…")
        let outputs = try HostEvaluation.outputs(lowered, inputs: inputs.inputs)
        let score = HostEvaluation.score(outputs, labels: inputs.labels, classes: d.classes.count)
        // The fake-quantized forward on the same windows.
        let saved = network.fakeQuantization
        network.fakeQuantization = Trainer.quantization(ranges)
        defer { network.fakeQuantization = saved }
        let probabilities = Trainer.outputs(network, d, inputs.windows)
        let outQ = model.values[lowered.outputs[0]]!
        let outputAgreement = HostEvaluation.agreement(fakeQuantized: probabilities, int8: outputs, quantization: outQ)
        var logitAgreement: HostEvaluation.Agreement? = nil
        if let logits = HostEvaluation.logitsModel(model) {
            let l = try ModelFile.lower(logits, name: path)
            let int8Logits = try HostEvaluation.outputs(l, inputs: inputs.inputs)
            logitAgreement = HostEvaluation.agreement(fakeQuantized: Trainer.outputs(network, d, inputs.windows, logits: true), int8: int8Logits,
                                                      quantization: logits.values[l.outputs[0]]!)
        }
        let json = try ModelFile.write(model, tflite: path)
        return Int8Output(model: model, jsonPath: json, int8Test: .init(accuracy: score.accuracy, macroF1: score.macroF1, windows: inputs.count),
                          outputAgreement: outputAgreement, logitAgreement: logitAgreement)
    }

    var summaryLines: [String] {
        var lines = [String(format: "int8 (Swift reference) test accuracy %.4f, macro-F1 %.4f over %d windows", int8Test.accuracy, int8Test.macroF1, int8Test.windows),
                     String(format: "fake-quant vs int8: same class %.2f %%, probabilities equal %.2f %% (max difference %d)",
                            outputAgreement.sameClass * 100, outputAgreement.valuesEqual * 100, outputAgreement.maxDifference)]
        if let l = logitAgreement {
            lines.append(String(format: "fake-quant vs int8 logits: equal %.2f %% (max difference %d), same class %.2f %%", l.valuesEqual * 100, l.maxDifference, l.sameClass * 100))
        }
        return lines
    }

    var json: [String: Any] {
        func agreement(_ a: HostEvaluation.Agreement) -> [String: Any] {
            ["windows": a.windows, "same_class": a.sameClass, "values_equal": a.valuesEqual, "max_difference": a.maxDifference]
        }
        return ["int8_test": ["accuracy": int8Test.accuracy, "macro_f1": int8Test.macroF1, "windows": int8Test.windows],
                "fake_quant_vs_int8": agreement(outputAgreement), "fake_quant_vs_int8_logits": logitAgreement.map(agreement) ?? NSNull(),
                "model_json": jsonPath]
    }
}
