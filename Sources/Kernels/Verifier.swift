import Emulator
import Support
import Targets

/// Runs kernel cases through several executors and compares each output with the Swift reference.
public enum KernelVerifier {
    /// Something that runs the verification firmware's input stream and returns its output stream
    /// (host process, emulated board, …).
    public struct Executor: Sendable {
        public var name: String
        public var run: @Sendable ([UInt8]) throws -> [UInt8]
        public init(name: String, run: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
            self.name = name
            self.run = run
        }
    }

    public struct Mismatch: Sendable, CustomStringConvertible {
        public var executor: String
        public var caseIndex: Int
        public var call: String
        public var firstDifference: Int
        public var expected: Int8
        public var got: Int8?
        public var description: String {
            "\(executor): case \(caseIndex) (\(call)): output[\(firstDifference)] = \(got.map(String.init) ?? "missing"), reference \(expected)"
        }
    }

    public struct OpSummary: Sendable {
        public var op: KernelCase.Op
        public var cases: Int
        public var outputs: Int
        /// Per executor: cases whose whole output was bit-identical to the reference.
        public var identical: [String: Int]
    }

    public struct Report: Sendable {
        public var summaries: [OpSummary]
        public var mismatches: [Mismatch]
        public var passed: Bool { mismatches.isEmpty }
    }

    /// Encodes `cases` once, runs every executor on the stream, compares per case and per byte.
    public static func verify(_ cases: [KernelCase], executors: [Executor]) throws -> Report {
        let stream = try encode(cases, warm: false)
        let expected = cases.map { $0.reference() }
        var results: [String: [[Int8]]] = [:]
        for e in executors {
            results[e.name] = try run(stream, cases: cases.count, on: e).map(\.output)
        }
        var mismatches: [Mismatch] = []
        var summaries: [KernelCase.Op: OpSummary] = [:]
        for (i, c) in cases.enumerated() {
            var s = summaries[c.op] ?? OpSummary(op: c.op, cases: 0, outputs: 0, identical: [:])
            s.cases += 1
            s.outputs += expected[i].count
            for e in executors {
                let got = results[e.name]![i]
                if got == expected[i] {
                    s.identical[e.name, default: 0] += 1
                } else {
                    let k = zip(got, expected[i]).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, expected[i].count)
                    mismatches.append(Mismatch(executor: e.name, caseIndex: i, call: c.description, firstDifference: k,
                                               expected: k < expected[i].count ? expected[i][k] : 0, got: k < got.count ? got[k] : nil))
                }
            }
            summaries[c.op] = s
        }
        return Report(summaries: KernelCase.Op.allCases.compactMap { summaries[$0] }, mismatches: mismatches)
    }

    /// Validates every call (nothing runs if one is malformed) and encodes them as one stream.
    static func encode(_ cases: [KernelCase], warm: Bool) throws -> [UInt8] {
        var writer = CaseWriter(warm: warm)
        for c in cases {
            try c.validate()
            writer.append(c)
        }
        return writer.finish()
    }

    /// Runs a stream of `cases` calls on `executor`; one output per call, or an error naming the executor.
    static func run(_ stream: [UInt8], cases: Int, on executor: Executor) throws -> [CaseOutput] {
        let outputs: [CaseOutput]
        do {
            outputs = try decodeOutputs(try executor.run(stream))
        } catch let error as KernelError {
            throw KernelError.executorFailed(executor: executor.name, message: error.description)
        }
        guard outputs.count == cases else {
            throw KernelError.executorFailed(executor: executor.name, message: "returned \(outputs.count) outputs for \(cases) calls")
        }
        return outputs
    }

    /// The host build of the verification program as an executor.
    public static func hostExecutor(_ toolchain: KernelToolchain) throws -> Executor {
        let binary = try toolchain.hostProgram()
        return Executor(name: "host") { input in
            let r = try Subprocess.run(binary.path, [], stdin: input)
            guard r.status == 0 else { throw KernelError.executorFailed(executor: "host", message: "exit \(r.status): \(r.output)") }
            return r.stdout
        }
    }
}

extension KernelVerifier {
    /// The board build of the verification program, run on the emulated board. `report` receives
    /// the run's statistics (for progress output).
    public static func emulatedExecutor(_ toolchain: KernelToolchain, board: Board,
                                        report: (@Sendable (RunResult) -> Void)? = nil) throws -> Executor {
        let image = try ELFImage(path: try toolchain.firmware(board: board).path)
        return Executor(name: board.name) { input in
            let r = try Machine(board: board, image: image).runToSuccess(RunOptions(maxInstructions: 50_000_000_000, stdin: input))
            report?(r)
            return r.stdout
        }
    }
}
