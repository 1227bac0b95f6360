import ArgumentParser
import Datasets
import Deploy
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an int8 model on an emulated board over the samples of .npy files (one per input) or an .npz.",
        discussion: """
        One --input .npy per model input, in the model's input order, or one .npz holding them (members named as \
        the model's inputs, or numpy's arr_0, arr_1, … in order). Each input's dtype must be the model input's (int8, \
        or float32 for a model with a QUANTIZE edge); its shape the model input's without batch, or [N, …] for N \
        samples (the same N for every input). --output is a .npy for a model with one output, an .npz (members named \
        as the outputs) for several; the outputs have the inputs' leading dimension. The model runs as generated C \
        (the same code `micronas export` writes) on the emulated board.
        """
    )

    @OptionGroup var board: BoardOption
    @Option(help: "The model: .tflite or a micronas quantized-model .json.") var model: String
    @Option(help: "Input samples: a .npy per model input (repeat the option, in input order) or one .npz.") var input: [String]
    @Option(help: "Where to write the outputs (.npy for one output, .npz for any number).") var output: String
    @Flag(help: "Run each sample once untimed first (warm caches, as in a steady-state loop).") var warm = false
    @Flag(help: "Smallest arena: a conv whose im2col scratch would raise it runs the scratch-free kernel path (slower), so the arena is TFLM's reference-kernel plan.") var minArena = false
    @Flag(help: "Print one JSON object (per-sample cycles and ms) instead of text.") var json = false

    /// The arrays for the model's inputs, each with the file it came from (for errors).
    static func inputArrays(_ paths: [String], inputs: [String]) throws -> [(array: NPYArray, file: String)] {
        if paths.count == 1, paths[0].lowercased().hasSuffix(".npz") {
            let archive = try NPZArchive(contentsOf: URL(fileURLWithPath: paths[0]))
            let byName = inputs.allSatisfy { archive[$0] != nil }
            let numpy = (0..<inputs.count).map { "arr_\($0)" }
            guard archive.names.count == inputs.count, byName || archive.names == numpy else {
                throw DeployError("\(paths[0]): holds \(archive.names.count) array(s) (\(archive.names.joined(separator: ", "))); the model's \(inputs.count) input(s) are \(inputs.joined(separator: ", ")) (name the members so, or arr_0 … in order)")
            }
            return inputs.enumerated().map { i, name in
                (byName ? archive[name]! : archive.arrays[i], "\(paths[0]): \(byName ? name : numpy[i])")
            }
        }
        guard paths.count == inputs.count else {
            throw DeployError("\(paths.count) --input file(s) for a model with \(inputs.count) input(s) (\(inputs.joined(separator: ", "))): one .npy per input, in order, or one .npz")
        }
        if let npz = paths.first(where: { $0.lowercased().hasSuffix(".npz") }) { throw DeployError("\(npz): an .npz must be the only --input") }
        return try paths.map { (try NPYArray(contentsOf: URL(fileURLWithPath: $0)), $0) }
    }

    func run() throws {
        try reportingErrors {
            let (b, _, toolchain) = try board.resolve()
            let outputIsArchive = output.lowercased().hasSuffix(".npz")
            guard outputIsArchive || output.lowercased().hasSuffix(".npy") else { throw ValidationError("--output must name a .npy or .npz file") }
            let d = try Deployment.open(model, board: b, toolchain: toolchain, convScratch: minArena ? .whereFree : .always)
            let lowered = d.lowered
            if lowered.outputs.count > 1 && !outputIsArchive {
                throw DeployError("\(output): the model has \(lowered.outputs.count) outputs (\(lowered.outputs.joined(separator: ", "))); write them to an .npz")
            }
            let arrays = try Self.inputArrays(input, inputs: lowered.inputs)
            var count: Int? = nil, batched = false
            var perInput: [[UInt8]] = []   // each input's bytes, all samples
            for ((array, file), name) in zip(arrays, lowered.inputs) {
                let shape = lowered.shapes[name]!
                let isFloat = lowered.model.values[name]!.type.isFloat
                guard array.dtype == (isFloat ? .float32 : .int8) else {
                    throw DeployError("\(file): dtype \(array.dtype.name), the model input '\(name)' is \(isFloat ? "float32" : "int8")")
                }
                let n: Int, isBatch: Bool
                if array.shape == shape { (n, isBatch) = (1, false) } else if array.shape.count == shape.count + 1 && Array(array.shape.dropFirst()) == shape {
                    (n, isBatch) = (array.shape[0], true)
                } else {
                    throw DeployError("\(file): shape \(array.shape) does not match the model input '\(name)' \(shape) (or [N] + \(shape) for a batch)")
                }
                if let c = count, c != n || batched != isBatch {
                    throw DeployError("\(file): \(isBatch ? "\(n) sample(s)" : "one unbatched sample") for input '\(name)'; the first input has \(batched ? "\(c) sample(s)" : "one unbatched sample")")
                }
                (count, batched) = (n, isBatch)
                if isFloat {  // the model quantizes its input: NaN or ±inf would become garbage, not an error
                    let values = array.doubles()
                    if let bad = values.firstIndex(where: { !$0.isFinite }) {
                        let each = max(1, values.count / max(1, n))
                        throw DeployError("\(file): sample \(bad / each) holds \(values[bad]) at element \(bad % each); the model's input '\(name)' must be finite")
                    }
                }
                perInput.append(array.data)
            }
            let n = count ?? 0
            guard n > 0 else { throw DeployError("\(input[0]): no samples (leading dimension 0)") }
            let sizes = d.runner.generator.inputSizes
            let samples = (0..<n).map { s in zip(perInput, sizes).flatMap { data, per in data[(s * per)..<((s + 1) * per)] } }
            printError("running \(n) sample(s) of \(model) on the emulated \(b.name)…")
            let r = try d.run(samples, warmup: warm ? .everySample : .none)
            // Split every sample's output bytes into the model's outputs.
            var offset = 0
            var outputs: [NPYArray] = []
            for (name, per) in zip(lowered.outputs, d.runner.generator.outputSizes) {
                let isFloat = lowered.model.values[name]!.type.isFloat
                let data = r.outputs.flatMap { $0[offset..<(offset + per)] }
                outputs.append(NPYArray(dtype: isFloat ? .float32 : .int8, shape: (batched ? [n] : []) + lowered.shapes[name]!, data: data))
                offset += per
            }
            let url = URL(fileURLWithPath: output)
            if outputIsArchive { try NPZArchive(names: lowered.outputs, arrays: outputs).write(to: url) } else { try outputs[0].write(to: url) }
            let cycles = r.invokeCycles.map(Double.init)
            let mean = cycles.reduce(0, +) / Double(max(1, n))
            if json {
                var object: [String: Any] = ["target": b.name, "samples": n, "output": output, "output_shape": outputs[0].shape,
                                             "cycles": r.invokeCycles, "ms": cycles.map(d.milliseconds), "mean_ms": d.milliseconds(mean)]
                if outputs.count > 1 { object["output_shapes"] = Dictionary(uniqueKeysWithValues: zip(lowered.outputs, outputs.map(\.shape))) }
                print(try jsonLine(object))
            } else {
                print(String(format: "%d sample(s) on %@: %.0f cycles (%.3f ms) per invoke on average; outputs in %@",
                             n, b.name, mean, d.milliseconds(mean), output))
            }
        }
    }
}
