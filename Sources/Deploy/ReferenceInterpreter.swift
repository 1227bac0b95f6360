import Graph
import Kernels
import Quant

/// Runs a model with the Swift reference kernels (`Quant`): the executor every other one is held to.
public enum ReferenceInterpreter {
    /// Whose arithmetic to follow where the two reference runtimes differ.
    public enum Flavor: Sendable {
        /// TensorFlow Lite Micro's (what runs on the board; micronas' C kernels match it).
        case tflm
        /// LiteRT's BUILTIN_REF kernels: FULLY_CONNECTED requantizes with single rounding.
        case litert
    }

    /// `inputs`: one byte buffer per graph input (int8: one byte per element; float32: 4 bytes LE).
    /// Returns one byte buffer per graph output.
    public static func run(_ lowered: LoweredModel, inputs: [[UInt8]], flavor: Flavor = .tflm) throws -> [[UInt8]] {
        guard inputs.count == lowered.inputs.count else {
            throw GraphError("model takes \(lowered.inputs.count) inputs, got \(inputs.count)")
        }
        var memory: [String: [UInt8]] = [:]
        for (name, data) in zip(lowered.inputs, inputs) {
            guard data.count == lowered.byteSize(name) else {
                throw GraphError("input '\(name)' needs \(lowered.byteSize(name)) bytes (shape \(lowered.shapes[name]!)), got \(data.count)")
            }
            memory[name] = data
        }
        for op in lowered.ops {
            let data = op.inputs.map { memory[$0]! }
            guard let call = op.kernelCase(inputs: data, weights: lowered.model.weights[op.node.name]) else {
                memory[op.output] = data[0]  // RESHAPE
                continue
            }
            if flavor == .litert, case .fullyConnected(let c) = call {
                memory[op.output] = ReferenceOps.fullyConnected(input: c.input, batches: c.batches, depth: c.depth, inputZeroPoint: c.inputZeroPoint,
                                                                filter: c.filter, units: c.units, bias: c.bias, requant: c.requant,
                                                                singleRounding: true).map { UInt8(bitPattern: $0) }
            } else {
                memory[op.output] = call.reference().map { UInt8(bitPattern: $0) }
            }
        }
        return lowered.outputs.map { memory[$0]! }
    }
}
