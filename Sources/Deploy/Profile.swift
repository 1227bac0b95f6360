import Support

/// Per-operator cycles of a deployed model over random inputs, with its measured memory.
public struct Profile: Sendable {
    public struct Op: Sendable {
        public var index: Int
        public var opName: String
        public var nodeName: String
        /// Median over the samples.
        public var cycles: Double
        public var macs: Int
    }
    public var ops: [Op]
    /// Median cycles of a whole `micronas_invoke()`.
    public var invokeCycles: Double
    /// The highest arena byte any invoke wrote, and the stack the invokes used (painted-stack measurement).
    public var arenaHighWater: Int, stackBytes: Int
    /// The arena the same planner gives with the scratch TFLM's reference kernels ask for.
    public var tflmReferenceArenaBytes: Int
    public var samples: Int, warm: Bool
}

extension Deployment {
    /// `count` seeded random samples (every input's bytes, one after another): uniform int8 bytes, or
    /// floats in [−2, 2] for a float input.
    public func randomInputs(count: Int, seed: UInt64) -> [[UInt8]] {
        var g = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            lowered.inputs.flatMap { input -> [UInt8] in
                let elements = lowered.shapes[input]!.reduce(1, *)
                return lowered.model.values[input]!.type.isFloat
                    ? (0..<elements).flatMap { _ in withUnsafeBytes(of: Float.random(in: -2...2, using: &g).bitPattern.littleEndian) { Array($0) } }
                    : (0..<elements).map { _ in UInt8.random(in: 0...255, using: &g) }
            }
        }
    }

    /// Runs `samples` random inputs (seeded) and takes the median per op and per invoke.
    public func profile(samples: Int, seed: UInt64, warm: Bool) throws -> Profile {
        precondition(samples >= 1, "profile needs a sample")
        let r = try run(randomInputs(count: samples, seed: seed), warmup: warm ? .everySample : .none)
        func median(_ v: [UInt32]) -> Double {
            let s = v.sorted()
            return s.count % 2 == 1 ? Double(s[s.count / 2]) : (Double(s[s.count / 2 - 1]) + Double(s[s.count / 2])) / 2
        }
        let ops = lowered.ops.map { op in
            Profile.Op(index: op.index, opName: op.opName, nodeName: op.node.name, cycles: median(r.opCycles.map { $0[op.index] }), macs: op.macs)
        }
        return Profile(ops: ops, invokeCycles: median(r.invokeCycles), arenaHighWater: r.arenaHighWater, stackBytes: r.stackBytes,
                       tflmReferenceArenaBytes: MemoryPlanner.plan(lowered, kernels: .tflmReference).arenaBytes, samples: samples, warm: warm)
    }
}
