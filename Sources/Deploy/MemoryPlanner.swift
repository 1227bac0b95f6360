import Graph

/// Where every activation tensor and kernel scratch buffer lives in the arena, planned the way
/// TensorFlow Lite Micro's GreedyMemoryPlanner plans it: sizes rounded up to 16 bytes; buffers sorted
/// by size, largest first — equal sizes in *reverse* buffer order (TFLM fills its sort array from
/// the tail, then bubble-sorts stably; buffer order is tensor order — inputs, node outputs — then
/// scratch buffers; a model read from a .tflite keeps the file's tensor order); each placed at the lowest offset where it overlaps no already placed buffer
/// that is alive at the same time. A buffer lives from the op that writes it (graph inputs:
/// op 0) to the last op that reads it (graph outputs: the last op).
public struct MemoryPlan: Sendable, Codable, Equatable {
    public struct Buffer: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable { case activation, scratch }
        public var name: String
        public var kind: Kind
        /// Bytes the tensor needs, and the 16-byte rounded size the planner reserves.
        public var bytes: Int
        public var reserved: Int
        /// Op indices of the first write and last read.
        public var first: Int
        public var last: Int
        public var offset: Int
    }

    public var buffers: [Buffer]
    /// The planned arena: the end of the highest buffer.
    public var arenaBytes: Int
    /// The same plan without kernel scratch buffers (what TFLM's reference kernels would need).
    public var activationBytes: Int

    public static let alignment = 16

    public func offset(of value: String) -> Int? { buffers.first { $0.kind == .activation && $0.name == value }?.offset }
    public func scratch(op: Int) -> Buffer? { buffers.first { $0.kind == .scratch && $0.first == op } }
}

public enum MemoryPlanner {
    /// Whose kernels' scratch buffers to plan.
    public enum Kernels: Sendable {
        /// micronas' C kernels (the generated code's arena).
        case micronas
        /// TFLM's reference kernels: int8 MEAN asks for three arena scratch buffers — an int32
        /// accumulator per output element, an int per input dimension (iterator), an int per axis
        /// (resolved axes), in that order (reduce_common.cc, RequestScratchBufferInArena); no other
        /// supported op asks for any. Planning with these reproduces TFLM's own non-persistent arena
        /// ("head") byte for byte (ExternalInterpreterTests).
        case tflmReference
    }

    /// Which CONV_2D ops get their im2col scratch.
    public enum ConvScratch: Sendable {
        /// Every one (the fastest kernels).
        case always
        /// Only where it fits in the arena the activations need anyway: a conv whose columns would
        /// raise the arena runs the scratch-free kernel path (1.4–1.8x its cycles, kernels/README.md),
        /// so the arena is the scratch-free plan's — TFLM's reference kernels' (`micronas --min-arena`).
        case whereFree
    }

    /// Scratch buffers (bytes each, in request order) the kernel of `call` needs. For micronas' C
    /// kernels, the `mn_*_scratch_bytes` functions of kernels/src (the generated code checks them at
    /// start-up).
    public static func scratchBytes(_ call: LoweredOp.Call, kernels: Kernels = .micronas) -> [Int] {
        switch (kernels, call) {
        case let (.micronas, .conv(input, filter, _, _, _)): return [convScratchBytes(kernelH: filter.h, kernelW: filter.w, inputChannels: input.c)]
        case let (.tflmReference, .mean(input, _)): return [4 * input.n * input.c, 4 * 4, 4 * 2]
        default: return []
        }
    }

    /// micronas' conv kernel scratch (mn_conv2d_s8_scratch_bytes): two int16 im2col columns of
    /// kh·kw·c_in, except for one input channel and at most `oneChannelTaps` taps (a network's
    /// first layer), whose path keeps its taps on the stack and needs none.
    public static func convScratchBytes(kernelH: Int, kernelW: Int, inputChannels: Int) -> Int {
        inputChannels == 1 && kernelH * kernelW <= oneChannelTaps ? 0 : 2 * 2 * kernelH * kernelW * inputChannels
    }

    /// MN_TAPS of kernels/src/conv.c.
    public static let oneChannelTaps = 16

    /// The largest sum of 16-byte-rounded buffers alive at one op: a lower bound of any placement's
    /// arena, which the greedy placement reaches when fragmentation costs nothing.
    public static func livenessPeak(_ plan: MemoryPlan) -> Int {
        let ops = (plan.buffers.map(\.last).max() ?? -1) + 1
        return (0..<max(ops, 1)).map { i in plan.buffers.filter { $0.first <= i && i <= $0.last }.reduce(0) { $0 + $1.reserved } }.max() ?? 0
    }

    public static func plan(_ lowered: LoweredModel, kernels: Kernels = .micronas, convScratch: ConvScratch = .always) -> MemoryPlan {
        let lastOp = max(0, lowered.ops.count - 1)
        var order: [String] = lowered.inputs
        var first: [String: Int] = [:], last: [String: Int] = [:]
        for name in lowered.inputs { first[name] = 0; last[name] = 0 }
        for op in lowered.ops {
            for i in op.inputs { last[i] = max(last[i] ?? op.index, op.index) }
            if first[op.output] == nil { order.append(op.output) }
            first[op.output] = op.index
            last[op.output] = max(last[op.output] ?? op.index, op.index)
        }
        for o in lowered.outputs { last[o] = lastOp }
        if let fileOrder = lowered.model.tensorOrder {
            let rank = Dictionary(fileOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            order = order.enumerated().sorted { (rank[$0.element] ?? fileOrder.count + $0.offset, $0.offset) < (rank[$1.element] ?? fileOrder.count + $1.offset, $1.offset) }
                .map(\.element)
        }
        func rounded(_ n: Int) -> Int { (n + MemoryPlan.alignment - 1) / MemoryPlan.alignment * MemoryPlan.alignment }
        var buffers = order.map { name in
            MemoryPlan.Buffer(name: name, kind: .activation, bytes: lowered.byteSize(name), reserved: rounded(lowered.byteSize(name)),
                              first: first[name]!, last: last[name]!, offset: 0)
        }
        for op in lowered.ops {
            for n in scratchBytes(op.call, kernels: kernels) where n > 0 {
                buffers.append(MemoryPlan.Buffer(name: "\(op.node.name)/scratch", kind: .scratch, bytes: n, reserved: rounded(n),
                                                 first: op.index, last: op.index, offset: 0))
            }
        }
        func end(_ placed: [MemoryPlan.Buffer]) -> Int { placed.map { $0.offset + $0.reserved }.max() ?? 0 }
        let activations = place(buffers.filter { $0.kind == .activation })
        if convScratch == .whereFree {
            // Each scratch buffer in turn, kept only if the placement with it still ends within the
            // activations' arena.
            var kept = buffers.filter { $0.kind == .activation }
            for b in buffers where b.kind == .scratch && end(place(kept + [b])) <= end(activations) { kept.append(b) }
            buffers = kept
        }
        let all = place(buffers)
        return MemoryPlan(buffers: all, arenaBytes: end(all), activationBytes: end(activations))
    }

    /// Greedy placement, largest first, first fitting gap among buffers alive at the same time.
    static func place(_ input: [MemoryPlan.Buffer]) -> [MemoryPlan.Buffer] {
        var buffers = input
        let order = buffers.indices.sorted { a, b in
            buffers[a].reserved != buffers[b].reserved ? buffers[a].reserved > buffers[b].reserved : a > b
        }
        var placed: [Int] = []
        for i in order {
            let overlapping = placed.filter { buffers[$0].first <= buffers[i].last && buffers[i].first <= buffers[$0].last }
                .sorted { buffers[$0].offset < buffers[$1].offset }
            var candidate = 0
            for j in overlapping {
                if candidate + buffers[i].reserved <= buffers[j].offset { break }
                candidate = max(candidate, buffers[j].offset + buffers[j].reserved)
            }
            buffers[i].offset = candidate
            placed.append(i)
        }
        return buffers
    }
}
