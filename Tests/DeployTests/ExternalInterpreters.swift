import Datasets
import Deploy
import Foundation
import Kernels
import Support
import TestSupport

/// Runs `scripts/reference_interpreters.py` (LiteRT BUILTIN_REF and TFLM's Python runtime from the
/// project venv that `make setup` creates).
enum ExternalInterpreters {
    struct Result {
        var litert: NPYArray
        var tflm: NPYArray
        /// TFLM's recorded arena use: tflm_arena_head / _tail / _total.
        var arena: [String: Int]
    }

    static func run(model: [UInt8], input: NPYArray) throws -> Result {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("model.tflite")
        try Data(model).write(to: path)
        try input.write(to: dir.appendingPathComponent("in.npy"))
        let out = try Fixtures.run(Fixtures.root.appendingPathComponent(".venv/bin/python").path,
                                   [Fixtures.root.appendingPathComponent("scripts/reference_interpreters.py").path,
                                    path.path, dir.appendingPathComponent("in.npy").path, dir.path])
        let arena = (try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [String: Int] ?? [:]
        return Result(litert: try NPYArray(contentsOf: dir.appendingPathComponent("litert.npy")),
                      tflm: try NPYArray(contentsOf: dir.appendingPathComponent("tflm.npy")), arena: arena)
    }

    /// `samples` random inputs for the model's first input (int8 bytes, or floats in [−3, 3]).
    static func randomInput(_ lowered: LoweredModel, samples: Int, seed: UInt64) -> NPYArray {
        var g = SplitMix64(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B)
        let name = lowered.inputs[0]
        let isFloat = lowered.model.values[name]!.type.isFloat
        let count = samples * lowered.shapes[name]!.reduce(1, *)
        let data: [UInt8] = isFloat
            ? (0..<count).flatMap { _ in withUnsafeBytes(of: Float.random(in: -3...3, using: &g).bitPattern.littleEndian) { Array($0) } }
            : (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
        return NPYArray(dtype: isFloat ? .float32 : .int8, shape: [samples] + lowered.shapes[name]!, data: data)
    }

    /// Reference outputs for every sample of `input`, concatenated.
    static func reference(_ lowered: LoweredModel, input: NPYArray, flavor: ReferenceInterpreter.Flavor = .tflm) throws -> [UInt8] {
        let per = lowered.byteSize(lowered.inputs[0])
        return try (0..<input.shape[0]).flatMap { s in
            try ReferenceInterpreter.run(lowered, inputs: [Array(input.data[(s * per)..<((s + 1) * per)])], flavor: flavor)[0]
        }
    }

    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
        guard a.count == b.count else { return "sizes \(a.count) vs \(b.count)" }
        let diffs = zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }
        guard let first = diffs.first else { return "equal" }
        return "\(diffs.count) of \(a.count) bytes differ, first at \(first.offset): \(Int8(bitPattern: first.element.0)) vs \(Int8(bitPattern: first.element.1))"
    }
}
