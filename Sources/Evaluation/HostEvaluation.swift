import Deploy
import Dispatch
import Foundation
import Graph
import Metrics

/// The int8 model run by the Swift reference interpreter on the host (no board): what training
/// reports as the int8 accuracy, and the fake-quantized forward's agreement with it.
public enum HostEvaluation {
    /// The reference interpreter's output for every input, spread over `workers` threads.
    public static func outputs(_ lowered: LoweredModel, inputs: [[UInt8]],
                               workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [[UInt8]] {
        var outputs = [[UInt8]](repeating: [], count: inputs.count)
        let failure = NSLock()
        nonisolated(unsafe) var firstError: Error?
        let parts = max(1, min(workers, inputs.count))
        outputs.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: parts) { w in
                for i in stride(from: w, to: inputs.count, by: parts) {
                    do { out[i] = try ReferenceInterpreter.run(lowered, inputs: [inputs[i]])[0] } catch {
                        failure.lock(); defer { failure.unlock() }
                        if firstError == nil { firstError = error }
                        return
                    }
                }
            }
        }
        if let firstError { throw firstError }
        return outputs
    }

    /// Accuracy and macro-F1 of int8 outputs against the labels.
    public static func score(_ outputs: [[UInt8]], labels: [Int], classes: Int) -> ClassificationScore {
        var confusion = ConfusionMatrix(classes: classes)
        for (o, l) in zip(outputs, labels) { confusion.add(actual: l, predicted: predictedClass(o)) }
        return confusion.score
    }

    /// The model without a final softmax (its output is then the logits the softmax takes), or nil
    /// when the output is not a softmax.
    public static func logitsModel(_ model: QuantizedModel) -> QuantizedModel? {
        guard let last = model.graph.nodes.last, model.graph.outputs == [last.name], last.op == .softmax else { return nil }
        var m = model
        m.graph.nodes.removeLast()
        m.graph.outputs = [last.inputs[0]]
        m.values[last.name] = nil
        m.tensorOrder = nil
        return m
    }

    /// How closely a fake-quantized forward predicted the int8 model: the fraction of windows given
    /// the same class, and the fraction of values where round(y / s) + z of the fake-quantized value
    /// equals the int8 value.
    public struct Agreement: Sendable, Codable {
        public var windows: Int
        public var sameClass: Double
        public var valuesEqual: Double
        public var maxDifference: Int

        enum CodingKeys: String, CodingKey { case windows, sameClass = "same_class", valuesEqual = "values_equal", maxDifference = "max_difference" }
    }

    public static func agreement(fakeQuantized: [[Float]], int8: [[UInt8]], quantization q: ValueQuantization) -> Agreement {
        var same = 0, equal = 0, total = 0, worst = 0
        for (f, o) in zip(fakeQuantized, int8) {
            let grid = f.map { Int(($0 / q.scale).rounded(.toNearestOrAwayFromZero)) + Int(q.zeroPoint) }
            var best = 0
            for i in grid.indices where grid[i] > grid[best] { best = i }
            if best == predictedClass(o) { same += 1 }
            for (g, b) in zip(grid, o) {
                let d = abs(g - Int(Int8(bitPattern: b)))
                if d == 0 { equal += 1 }
                worst = max(worst, d)
                total += 1
            }
        }
        return Agreement(windows: int8.count, sameClass: int8.isEmpty ? 0 : Double(same) / Double(int8.count),
                         valuesEqual: total == 0 ? 0 : Double(equal) / Double(total), maxDifference: worst)
    }
}
