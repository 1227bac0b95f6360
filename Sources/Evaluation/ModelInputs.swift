import Datasets
import Graph
import Quant

/// A split's windows as the int8 model takes them: normalized with the model's own statistics,
/// quantized with its input's scale and zero point.
public struct ModelInputs: Sendable {
    /// Per window: the input bytes (int8 bit patterns, T × S).
    public var inputs: [[UInt8]]
    /// Per window: its index in the dataset, true class and subject.
    public var windows: [Int]
    public var labels: [Int]
    public var subjects: [Int32]
    public var classes: [String]

    public var count: Int { inputs.count }

    /// Checks that the model is an int8 classifier carrying its preprocessing and that the dataset
    /// matches it (window, channel names and order, classes, normalization), then quantizes every
    /// window of `split`. Errors name `modelName` and the mismatch.
    public static func prepare(model: QuantizedModel, modelName: String, dataset d: WindowDataset,
                               split: WindowDataset.Split) throws -> ModelInputs {
        let p = try requirePreprocessing(model, modelName: modelName)
        guard d.length == p.window else {
            throw EvaluationError("\(modelName) takes windows of \(p.window) samples; the dataset's are \(d.length) (use --window \(p.window))")
        }
        guard d.channels == p.channels else {
            throw EvaluationError("\(modelName) takes \(p.channels.count) channels (\(p.channels.joined(separator: ", "))); the dataset has \(d.channels.count) (\(d.channels.joined(separator: ", ")))")
        }
        guard d.classes.count == p.classes.count else {
            throw EvaluationError("\(modelName) predicts \(p.classes.count) classes (\(p.classes.joined(separator: ", "))); the dataset has \(d.classes.count) (\(d.classes.joined(separator: ", ")))")
        }
        guard d.mean == p.mean, d.std == p.std else {
            throw EvaluationError("the dataset was normalized with other statistics than \(modelName)'s; load it with the model's normalization")
        }
        let input = model.values[model.graph.inputs[0].name]!
        let idx = d.indices(split)
        guard !idx.isEmpty else { throw EvaluationError("\(d.name): the \(split.name) split has no windows") }
        let w = d.windowSize
        let inputs = idx.map { i -> [UInt8] in
            ReferenceOps.quantize(Array(d.x[(i * w)..<((i + 1) * w)]), scale: input.scale, zeroPoint: input.zeroPoint).map { UInt8(bitPattern: $0) }
        }
        return ModelInputs(inputs: inputs, windows: idx, labels: idx.map { Int(d.y[$0]) }, subjects: idx.map { d.subjects[$0] }, classes: d.classes)
    }

    /// The model's preprocessing, after checking that it is an int8 model with one input [T, S(, 1)]
    /// and one output of one score per class.
    public static func requirePreprocessing(_ model: QuantizedModel, modelName: String) throws -> Preprocessing {
        guard model.graph.inputs.count == 1, model.graph.outputs.count == 1 else {
            throw EvaluationError("\(modelName): a classifier has one input and one output; this model has \(model.graph.inputs.count) and \(model.graph.outputs.count)")
        }
        let inputName = model.graph.inputs[0].name
        guard let input = model.values[inputName], input.type == .int8 else {
            throw EvaluationError("\(modelName) is a float model (input '\(inputName)' is float32); micronas evaluates int8 models — convert it with `micronas quantize` or train with --qat")
        }
        guard let outputQ = model.values[model.graph.outputs[0]], outputQ.type == .int8 else {
            throw EvaluationError("\(modelName): output '\(model.graph.outputs[0])' is float32; micronas evaluates int8 models end to end")
        }
        guard let p = model.preprocessing else {
            throw EvaluationError("\(modelName) carries no normalization (no '\(Preprocessing.metadataName)' metadata): micronas cannot know how its inputs were scaled; use a model written by `micronas train --model-out` or `micronas quantize`")
        }
        do { try p.validate(inputShape: model.graph.inputs[0].shape) } catch let e as GraphError { throw EvaluationError("\(modelName): \(e)") }
        let shapes = try model.graph.inferShapes()
        let outputs = shapes[model.graph.outputs[0]]!.reduce(1, *)
        guard outputs == p.classes.count else {
            throw EvaluationError("\(modelName): the output has \(outputs) values but the preprocessing names \(p.classes.count) classes")
        }
        return p
    }
}

/// The class a board would report for an int8 output: the largest score, the first of equal ones.
public func predictedClass(_ output: [UInt8]) -> Int {
    var best = 0
    for i in output.indices where Int8(bitPattern: output[i]) > Int8(bitPattern: output[best]) { best = i }
    return best
}
