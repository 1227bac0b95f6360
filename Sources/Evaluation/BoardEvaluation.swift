import Deploy
import Dispatch
import Foundation
import Metrics

/// An int8 model over a whole split on the emulated board: the windows go in batches, each batch
/// one run of the model-runner firmware (every window after the batch's first follows the previous
/// one's invoke, as on a device classifying a stream), batches spread over worker threads; every
/// window's output is checked byte for byte against the Swift reference interpreter.
public enum BoardEvaluation {
    public struct Options: Sendable {
        /// Windows per firmware run.
        public var batch = 96
        /// Threads (each emulates its own batches and runs the reference on them).
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        /// Instruction budget per window (a runaway firmware stops with an error).
        public var maxInstructionsPerWindow: UInt64 = 200_000_000
        public init() {}
    }

    /// One window's outcome.
    public struct Prediction: Sendable {
        public var window: Int
        public var subject: Int32
        public var label: Int
        public var predicted: Int
        public var cycles: UInt32
        public var output: [Int8]
    }

    public struct Outcome: Sendable {
        public var report: EvaluationReport
        public var predictions: [Prediction]
        /// The board's raw output bytes per window (what `--arrays-out` writes).
        public var outputs: [[UInt8]]
    }

    /// `progress(done, total)` is called after every batch (from the worker that finished it, one at a time).
    /// `reference`: what each window's output must equal (default: the Swift reference interpreter).
    public static func run(_ deployment: Deployment, inputs: ModelInputs, model: String, dataset: String, split: String,
                           options: Options = Options(), reference: (@Sendable ([UInt8]) throws -> [UInt8])? = nil,
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        let started = Date()
        let n = inputs.count
        let batches = stride(from: 0, to: n, by: max(1, options.batch)).map { $0..<min(n, $0 + max(1, options.batch)) }
        let state = Shared(count: n)
        nonisolated(unsafe) let deployment = deployment
        let lowered = deployment.lowered
        let expected = reference ?? { try ReferenceInterpreter.run(lowered, inputs: [$0])[0] }
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.workers, batches.count))) { _ in
            while let b = state.nextBatch(of: batches.count) {
                let range = batches[b]
                do {
                    let samples = Array(inputs.inputs[range])
                    let r = try deployment.run(samples, warmup: .firstSample,
                                               maxInstructions: options.maxInstructionsPerWindow * UInt64(range.count + 1))
                    for (k, i) in range.enumerated() {
                        let reference = try expected(samples[k])
                        let board = r.outputs[k]
                        if let byte = board.indices.first(where: { board[$0] != reference[$0] }) {
                            throw EvaluationError("window \(i) (dataset window \(inputs.windows[i]), subject \(inputs.subjects[i])): output byte \(byte) is \(Int8(bitPattern: board[byte])) on \(deployment.board.name) but \(Int8(bitPattern: reference[byte])) in the Swift reference interpreter")
                        }
                    }
                    state.finish(range: range, outputs: r.outputs, cycles: r.invokeCycles, arena: r.arenaHighWater, stack: r.stackBytes) {
                        progress($0, n)
                    }
                } catch {
                    state.fail(error)
                }
            }
        }
        if let error = state.error { throw error }
        let outputs = state.outputs.map { $0! }
        var confusion = ConfusionMatrix(classes: inputs.classes.count)
        var predictions: [Prediction] = []
        for i in 0..<n {
            let predicted = predictedClass(outputs[i])
            confusion.add(actual: inputs.labels[i], predicted: predicted)
            predictions.append(Prediction(window: inputs.windows[i], subject: inputs.subjects[i], label: inputs.labels[i], predicted: predicted,
                                          cycles: state.cycles[i], output: outputs[i].map { Int8(bitPattern: $0) }))
        }
        let report = EvaluationReport(target: deployment.board.name, model: model, dataset: dataset, split: split, confusion: confusion,
                                      classes: inputs.classes, cycles: state.cycles, clockHz: deployment.board.clockHz.value,
                                      footprint: deployment.footprint, arenaMeasured: state.arena, stack: state.stack, workers: options.workers,
                                      wallSeconds: Date().timeIntervalSince(started))
        return Outcome(report: report, predictions: predictions, outputs: outputs)
    }

    /// What the workers share, behind one lock.
    private final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var done = 0
        var outputs: [[UInt8]?]
        var cycles: [UInt32]
        var arena = 0, stack = 0
        var error: Error?

        init(count: Int) {
            outputs = [[UInt8]?](repeating: nil, count: count)
            cycles = [UInt32](repeating: 0, count: count)
        }

        func nextBatch(of count: Int) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard error == nil, next < count else { return nil }
            next += 1
            return next - 1
        }

        func finish(range: Range<Int>, outputs o: [[UInt8]], cycles c: [UInt32], arena a: Int, stack s: Int, then report: (Int) -> Void) {
            lock.lock(); defer { lock.unlock() }
            for (k, i) in range.enumerated() { (outputs[i], cycles[i]) = (o[k], c[k]) }
            done += range.count
            (arena, stack) = (max(arena, a), max(stack, s))
            report(done)
        }

        func fail(_ e: Error) {
            lock.lock(); defer { lock.unlock() }
            if error == nil { error = e }
        }
    }
}
