import Foundation
import Quant
import Support

/// The fixed shape set of `micronas kernels bench`: what the MicroNAS search space runs on a
/// 128×9 (UCI-HAR) window, plus the other operators once. Data are seeded random, so every run times
/// the same calls.
public enum KernelBench {
    public struct Entry: Sendable {
        /// Short label, e.g. "TR 5x1/2 128x9x1->16".
        public var name: String
        /// The role in the search space: time-reduce, sensor-fusion, pointwise, output, edge, other.
        public var group: String
        public var call: KernelCase
    }

    public struct Result: Sendable {
        public var entry: Entry
        public var cycles: UInt32
        public var macs: Int
        /// The output matched the Swift reference bit for bit.
        public var bitExact: Bool
        public var cyclesPerMAC: Double? { macs > 0 ? Double(cycles) / Double(macs) : nil }
    }

    /// The documented shape set (see kernels/README.md, "Benchmark shapes").
    public static func standardSet(seed: UInt64 = 1) throws -> [Entry] {
        var g = SplitMix64(seed: seed)
        var entries: [Entry] = []
        func int8s(_ n: Int) -> [Int8] { (0..<n).map { _ in Int8.random(in: -128...127, using: &g) } }
        func conv(_ name: String, _ group: String, input s: Shape4, cout: Int, kh: Int, kw: Int,
                  stride: (Int, Int), padding: Padding) throws {
            let f = Shape4(cout, kh, kw, s.c)
            let c = KernelCase.WindowCase(
                input: int8s(s.count), inputShape: s, inputZeroPoint: -3,
                filter: int8s(f.count).map { $0 == -128 ? -127 : $0 }, filterShape: f,
                bias: (0..<cout).map { _ in Int32.random(in: -5000...5000, using: &g) },
                window: WindowParams(kernelH: kh, kernelW: kw, strideH: stride.0, strideW: stride.1, padding: padding),
                requant: try Requantization(inputScale: 0.05, weightScales: (0..<cout).map { _ in Float.random(in: 0.002...0.01, using: &g) },
                                            outputScale: 0.1, outputZeroPoint: -128, activation: .relu))
            entries.append(Entry(name: name, group: group, call: .conv(c)))
        }
        // Time-Reduce cells: (k×1) stride-2 convs in time, 16 filters, 1–16 input channels.
        for h in [128, 64, 32] {
            for cin in [1, 8, 16] {
                for k in [3, 5, 7] {
                    try conv("TR \(k)x1/2 \(h)x9x\(cin)->16", "time-reduce", input: Shape4(1, h, 9, cin), cout: 16,
                             kh: k, kw: 1, stride: (2, 1), padding: .same)
                }
            }
        }
        // Sensor-Fusion cells on 16 time steps: the (1×S) bottleneck and the (k×1) convs.
        for w in [9, 5, 3] {
            for cin in [8, 16, 32, 64] {
                try conv("SF 1x\(w) 16x\(w)x\(cin)->32", "sensor-fusion", input: Shape4(1, 16, w, cin), cout: 32,
                         kh: 1, kw: w, stride: (1, 1), padding: .valid)
            }
        }
        for w in [9, 3] {
            for c in [8, 32, 64] {
                for k in [3, 5, 7] {
                    try conv("SF \(k)x1 16x\(w)x\(c)->\(c)", "sensor-fusion", input: Shape4(1, 16, w, c), cout: c,
                             kh: k, kw: 1, stride: (1, 1), padding: .same)
                }
            }
        }
        // 1×1 convs: residual projections and the output cell's conv to the classes.
        for (s, cout) in [(Shape4(1, 16, 9, 16), 16), (Shape4(1, 16, 3, 64), 64), (Shape4(1, 16, 1, 64), 6), (Shape4(1, 16, 1, 64), 64)] {
            try conv("1x1 \(s.h)x\(s.w)x\(s.c)->\(cout)", "pointwise", input: s, cout: cout, kh: 1, kw: 1, stride: (1, 1), padding: .valid)
        }
        for s in [Shape4(1, 16, 9, 16), Shape4(1, 16, 3, 64)] {
            let p = try ReferenceOps.AddParams(scale1: 0.05, zeroPoint1: -10, scale2: 0.07, zeroPoint2: 4,
                                               outputScale: 0.1, outputZeroPoint: -20, activation: .none)
            entries.append(Entry(name: "ADD \(s.h)x\(s.w)x\(s.c)", group: "sensor-fusion",
                                 call: .add(.init(a: int8s(s.count), b: int8s(s.count), params: p))))
        }
        // Output cell: global average pooling as MEAN (what the TFLite converter emits) and SOFTMAX.
        for s in [Shape4(1, 16, 1, 6), Shape4(1, 16, 3, 6), Shape4(1, 16, 9, 64)] {
            let p = try MeanParams(inputScale: 0.1, inputZeroPoint: -5, outputScale: 0.08, outputZeroPoint: 2)
            entries.append(Entry(name: "MEAN \(s.h)x\(s.w)x\(s.c)", group: "output", call: .mean(.init(input: int8s(s.count), shape: s, params: p))))
        }
        for depth in [6, 12] {
            entries.append(Entry(name: "SOFTMAX 1x\(depth)", group: "output", call: .softmax(.init(
                input: int8s(depth), rows: 1, depth: depth, params: try SoftmaxParams(inputScale: 0.1)))))
        }
        // Model edges and the remaining operators, once each.
        let window = (0..<(128 * 9)).map { _ in Float.random(in: -3...3, using: &g) }
        entries.append(Entry(name: "QUANTIZE 128x9", group: "edge", call: .quantize(.init(input: window, scale: 0.03, zeroPoint: 1))))
        entries.append(Entry(name: "DEQUANTIZE 1x6", group: "edge", call: .dequantize(.init(input: int8s(6), scale: 1.0 / 256, zeroPoint: -128))))
        for (depth, units) in [(64, 6), (576, 64)] {
            entries.append(Entry(name: "FC \(depth)->\(units)", group: "other", call: .fullyConnected(.init(
                input: int8s(depth), batches: 1, depth: depth, inputZeroPoint: -7,
                filter: int8s(depth * units).map { $0 == -128 ? -127 : $0 }, units: units,
                bias: (0..<units).map { _ in Int32.random(in: -5000...5000, using: &g) },
                requant: try Requantization(inputScale: 0.05, weightScales: [0.004], outputScale: 0.1, outputZeroPoint: 0, activation: .none)))))
        }
        // Depthwise (multiplier 1): the space's 3x1 shape, then the 3x3 shapes of keyword-spotting
        // (DS-CNN: 25x5x64) and visual-wake-word MobileNets (stride 1 and 2).
        for (name, dw, kh, kw, stride) in [("DEPTHWISE 3x1 16x9x64", Shape4(1, 16, 9, 64), 3, 1, 1),
                                           ("DEPTHWISE 3x3 25x5x64", Shape4(1, 25, 5, 64), 3, 3, 1),
                                           ("DEPTHWISE 3x3 24x24x32", Shape4(1, 24, 24, 32), 3, 3, 1),
                                           ("DEPTHWISE 3x3/2 24x24x32", Shape4(1, 24, 24, 32), 3, 3, 2),
                                           ("DEPTHWISE 3x3 12x12x8", Shape4(1, 12, 12, 8), 3, 3, 1)] {
            let c = dw.c
            entries.append(Entry(name: name, group: "depthwise", call: .depthwise(.init(
                input: int8s(dw.count), inputShape: dw, inputZeroPoint: 5,
                filter: int8s(kh * kw * c).map { $0 == -128 ? -127 : $0 }, filterShape: Shape4(1, kh, kw, c),
                bias: (0..<c).map { _ in Int32.random(in: -5000...5000, using: &g) },
                window: WindowParams(kernelH: kh, kernelW: kw, strideH: stride, strideW: stride, padding: .same),
                requant: try Requantization(inputScale: 0.05, weightScales: (0..<c).map { _ in Float.random(in: 0.002...0.01, using: &g) },
                                            outputScale: 0.1, outputZeroPoint: -128, activation: .relu6)))))
        }
        let pool = Shape4(1, 32, 9, 16)
        for (name, max) in [("AVERAGE_POOL 2x1/2 32x9x16", false), ("MAX_POOL 2x1/2 32x9x16", true)] {
            let c = KernelCase.PoolCase(input: int8s(pool.count), shape: pool,
                                        window: WindowParams(kernelH: 2, kernelW: 1, strideH: 2, strideW: 1, padding: .valid),
                                        activationMin: -128, activationMax: 127)
            entries.append(Entry(name: name, group: "other", call: max ? .maxPool(c) : .averagePool(c)))
        }
        return entries
    }

    /// Runs `entries` once each through `executor` with warm caches (every call runs twice; the
    /// second run is timed) and checks each output against the Swift reference.
    /// The shape classes the kernels are judged by (issue 24), each with its entries' cycles per
    /// MAC, sorted (ADD: cycles per element). A result may fall in several classes.
    public static func shapeClasses(_ results: [Result]) -> [(name: String, values: [Double])] {
        func conv(_ r: Result) -> KernelCase.WindowCase? { if case .conv(let c) = r.entry.call { return c } else { return nil } }
        let classes: [(String, (Result) -> Double?)] = [
            ("first-layer convs (1 input channel)", { r in conv(r).flatMap { $0.inputShape.c == 1 ? r.cyclesPerMAC : nil } }),
            ("convs with >= 16 input channels", { r in conv(r).flatMap { $0.inputShape.c >= 16 ? r.cyclesPerMAC : nil } }),
            ("1x1 convs with >= 16 input channels", { r in
                conv(r).flatMap { $0.filterShape.h == 1 && $0.filterShape.w == 1 && $0.inputShape.c >= 16 ? r.cyclesPerMAC : nil } }),
            ("convs with <= 10 filters", { r in conv(r).flatMap { $0.filterShape.n <= 10 ? r.cyclesPerMAC : nil } }),
            ("depthwise 3x3 (multiplier 1)", { r in
                if case .depthwise(let c) = r.entry.call, c.filterShape.h == 3, c.filterShape.w == 3 { return r.cyclesPerMAC }
                return nil }),
            ("fully connected", { r in if case .fullyConnected = r.entry.call { return r.cyclesPerMAC } else { return nil } }),
            ("ADD, cycles per element", { r in if case .add(let a) = r.entry.call { return Double(r.cycles) / Double(max(1, a.a.count)) } else { return nil } }),
        ]
        return classes.map { name, value in (name, results.compactMap(value).sorted()) }.filter { !$0.values.isEmpty }
    }

    public static func run(_ entries: [Entry], on executor: KernelVerifier.Executor) throws -> [Result] {
        let calls = entries.map(\.call)
        let outputs = try KernelVerifier.run(try KernelVerifier.encode(calls, warm: true), cases: calls.count, on: executor)
        return zip(entries, outputs).map { e, o in
            Result(entry: e, cycles: o.cycles, macs: e.call.macs, bitExact: o.output == e.call.reference())
        }
    }
}
