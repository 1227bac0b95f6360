import ArgumentParser
import Datasets
import Deploy
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an int8 model on an emulated board over the samples of a .npy file.",
        discussion: """
        The input's dtype must be the model input's (int8, or float32 for a model with a QUANTIZE edge); its
        shape the model input's without batch, or [N, …] for N samples. The output .npy has the same leading
        dimension. The model runs as generated C (the same code `micronas export` writes) on the emulated board.
        """
    )

    @OptionGroup var board: BoardOption
    @Option(help: "The model: .tflite or a micronas quantized-model .json.") var model: String
    @Option(help: "Input samples (.npy).") var input: String
    @Option(help: "Where to write the outputs (.npy).") var output: String
    @Flag(help: "Run each sample once untimed first (warm caches, as in a steady-state loop).") var warm = false
    @Flag(help: "Smallest arena: a conv whose im2col scratch would raise it runs the scratch-free kernel path (slower), so the arena is TFLM's reference-kernel plan.") var minArena = false
    @Flag(help: "Print one JSON object (per-sample cycles and ms) instead of text.") var json = false

    func run() throws {
        try reportingErrors {
            let (b, _, toolchain) = try board.resolve()
            let d = try Deployment.open(model, board: b, toolchain: toolchain, convScratch: minArena ? .whereFree : .always)
            let array = try NPYArray(contentsOf: URL(fileURLWithPath: input))
            let inName = d.lowered.inputs[0], outName = d.lowered.outputs[0]
            let inShape = d.lowered.shapes[inName]!, outShape = d.lowered.shapes[outName]!
            let isFloatIn = d.lowered.model.values[inName]!.type.isFloat
            guard array.dtype == (isFloatIn ? .float32 : .int8) else {
                throw DeployError("\(input): dtype \(array.dtype.name), the model input '\(inName)' is \(isFloatIn ? "float32" : "int8")")
            }
            let batched: Bool
            if array.shape == inShape { batched = false } else if array.shape.count == inShape.count + 1 && Array(array.shape.dropFirst()) == inShape {
                batched = true
            } else {
                throw DeployError("\(input): shape \(array.shape) does not match the model input \(inShape) (or [N] + \(inShape) for a batch)")
            }
            let n = batched ? array.shape[0] : 1
            let per = d.runner.generator.inputBytes
            if isFloatIn {  // the model quantizes its input: NaN or ±inf would become garbage, not an error
                let values = array.doubles()
                if let bad = values.firstIndex(where: { !$0.isFinite }) {
                    let each = max(1, values.count / n)
                    throw DeployError("\(input): sample \(bad / each) holds \(values[bad]) at element \(bad % each); the model's input must be finite")
                }
            }
            let samples = (0..<n).map { Array(array.data[($0 * per)..<(($0 + 1) * per)]) }
            printError("running \(n) sample(s) of \(model) on the emulated \(b.name)…")
            let r = try d.run(samples, warmup: warm ? .everySample : .none)
            let isFloatOut = d.lowered.model.values[outName]!.type.isFloat
            let out = NPYArray(dtype: isFloatOut ? .float32 : .int8, shape: (batched ? [n] : []) + outShape, data: r.outputs.flatMap { $0 })
            try out.write(to: URL(fileURLWithPath: output))
            let cycles = r.invokeCycles.map(Double.init)
            let mean = cycles.reduce(0, +) / Double(max(1, n))
            if json {
                print(try jsonLine(["target": b.name, "samples": n, "output": output, "output_shape": out.shape,
                                    "cycles": r.invokeCycles, "ms": cycles.map(d.milliseconds), "mean_ms": d.milliseconds(mean)]))
            } else {
                print(String(format: "%d sample(s) on %@: %.0f cycles (%.3f ms) per invoke on average; outputs in %@",
                             n, b.name, mean, d.milliseconds(mean), output))
            }
        }
    }
}
