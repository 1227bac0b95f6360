import Foundation
import Graph
import Quant

/// Reads int8 `.tflite` models (schema v3) made of the operators micronas runs, as written by
/// `TFLiteWriter` or by the TensorFlow Lite converter, into a `QuantizedModel`. Anything else is
/// rejected with the operator or tensor at fault, e.g.
/// `unsupported operator LOGISTIC (builtin code 14) at operator 3`.
public enum TFLiteReader {
    public static func decode(_ bytes: [UInt8]) throws -> QuantizedModel {
        guard bytes.count >= 8 else { throw TFLiteError("not a TFLite file: \(bytes.count) bytes is too short for a FlatBuffer header") }
        let ident = bytes[4..<8]
        guard Array(ident) == Array(TFLiteSchema.identifier.utf8) else {
            let shown = ident.allSatisfy { $0 >= 32 && $0 < 127 } ? "'\(String(decoding: ident, as: UTF8.self))'"
                                                                   : ident.map { String($0, radix: 16) }.joined(separator: " ")
            throw TFLiteError("not a TFLite file: file identifier \(shown), expected 'TFL3'")
        }
        do {
            return try Reader(FlatBufferDecoder(bytes: bytes)).model()
        } catch let e as FlatBufferError {
            throw TFLiteError("malformed TFLite file (truncated or corrupt): \(e)")
        }
    }

    private struct TensorInfo {
        var name: String
        var shape: [Int]
        var type: Int8
        var buffer: Int
        var scales: [Float]
        var zeroPoints: [Int64]
        var quantizedDimension: Int
    }

    private struct Reader {
        let d: FlatBufferDecoder
        init(_ d: FlatBufferDecoder) { self.d = d }

        func model() throws -> QuantizedModel {
            let root = try d.rootTable()
            let version = try root.scalar(0, UInt32.self, default: 0, "version")
            guard version == TFLiteSchema.version else { throw TFLiteError("unsupported TFLite schema version \(version) (expected 3)") }
            let codes = try root.tables(1, "operator_codes").map { c -> Int32 in
                let deprecated = Int32(try c.scalar(0, Int8.self, default: 0, "deprecated_builtin_code"))
                let extended = try c.scalar(3, Int32.self, default: 0, "builtin_code")
                if try c.field(1) != nil { return -1 }  // custom op
                return max(deprecated, extended)
            }
            let customNames = try root.tables(1, "operator_codes").map { try $0.string(1, "custom_code") }
            let subgraphs = try root.tables(2, "subgraphs")
            guard subgraphs.count == 1 else { throw TFLiteError("model has \(subgraphs.count) subgraphs; micronas runs single-subgraph models") }
            let buffers = try root.tables(4, "buffers")
            let sg = subgraphs[0]
            let tensors = try sg.tables(0, "tensors").enumerated().map { i, t -> TensorInfo in
                let q = try t.table(4, "quantization")
                let shape = (try t.int32s(0, "shape") ?? []).map(Int.init)
                guard shape.allSatisfy({ $0 >= 0 && $0 <= Graph.maxDimension }), Graph.elementCount(shape) != nil else {
                    throw TFLiteError("tensor \(i) ('\(try t.string(3, "name") ?? "")') has an invalid shape \(shape)")
                }
                return TensorInfo(name: try t.string(3, "name") ?? "tensor\(i)",
                                  shape: shape,
                                  type: try t.scalar(1, Int8.self, default: 0, "type"),
                                  buffer: Int(try t.scalar(2, UInt32.self, default: 0, "buffer")),
                                  scales: try q?.floats(2, "scale") ?? [],
                                  zeroPoints: try q?.int64s(3, "zero_point") ?? [],
                                  quantizedDimension: Int(try q?.scalar(6, Int32.self, default: 0, "quantized_dimension") ?? 0))
            }
            func data(_ t: Int) throws -> [UInt8]? {
                let b = tensors[t].buffer
                guard b > 0 else { return nil }
                guard b < buffers.count else { throw TFLiteError("tensor '\(tensors[t].name)' refers to buffer \(b) of \(buffers.count)") }
                if try buffers[b].field(1) != nil, try buffers[b].scalar(1, UInt64.self, default: 0, "offset") > 1 {
                    throw TFLiteError("tensor '\(tensors[t].name)': buffers stored outside the FlatBuffer (models > 2 GB) are not supported")
                }
                guard let bytes = try buffers[b].bytes(0, "buffer[\(b)].data"), !bytes.isEmpty else { return nil }
                return Array(bytes)
            }
            func tensorIndex(_ i: Int32, _ what: String) throws -> Int {
                guard i >= 0, Int(i) < tensors.count else { throw TFLiteError("\(what) refers to tensor \(i) of \(tensors.count)") }
                return Int(i)
            }

            // Unique value names (converter names can repeat or be empty).
            var valueNames: [Int: String] = [:]
            var used = Set<String>()
            func valueName(_ t: Int) -> String {
                if let n = valueNames[t] { return n }
                var n = tensors[t].name.isEmpty ? "tensor\(t)" : tensors[t].name
                if used.contains(n) { n = "\(n)#\(t)" }
                used.insert(n)
                valueNames[t] = n
                return n
            }
            var values: [String: ValueQuantization] = [:]
            var known: [String: [Int]] = [:]
            var weights: [String: NodeWeights] = [:]
            func activation(_ t: Int, _ context: String) throws -> (name: String, shape: [Int]) {
                let info = tensors[t]
                let constantData = try data(t)
                guard constantData == nil else {
                    throw TFLiteError("\(context): constant tensor '\(info.name)' where an activation is expected is not supported")
                }
                guard let batch = info.shape.first, batch == 1, info.shape.count >= 2 else {
                    throw TFLiteError("\(context): tensor '\(info.name)' shape \(info.shape) must be [1, …] (batch 1)")
                }
                let name = valueName(t)
                known[name] = Array(info.shape.dropFirst())
                switch info.type {
                case TFLiteSchema.TensorType.int8.rawValue:
                    guard info.scales.count == 1, info.zeroPoints.count == 1 else {
                        throw TFLiteError("\(context): int8 tensor '\(info.name)' needs one scale and zero point, has \(info.scales.count)/\(info.zeroPoints.count)")
                    }
                    values[name] = ValueQuantization(scale: info.scales[0], zeroPoint: Int32(clamping: info.zeroPoints[0]))
                case TFLiteSchema.TensorType.float32.rawValue:
                    values[name] = .float32
                default:
                    let typeName = TFLiteSchema.TensorType(rawValue: info.type)?.name ?? "type \(info.type)"
                    throw TFLiteError("\(context): tensor '\(info.name)' has type \(typeName); micronas runs int8 models (float32 only at QUANTIZE/DEQUANTIZE edges)")
                }
                return (name, Array(info.shape.dropFirst()))
            }

            var graphInputs: [Graph.Input] = []
            guard tensors.count < Int(Int32.max) else { throw TFLiteError("too many tensors") }
            for i in try sg.int32s(1, "inputs") ?? [] {
                let t = try tensorIndex(i, "subgraph input")
                let a = try activation(t, "model input")
                graphInputs.append(Graph.Input(name: a.name, shape: a.shape))
            }
            var nodes: [Node] = []
            for (index, op) in try sg.tables(3, "operators").enumerated() {
                let at = "operator \(index)"
                let opcodeIndex = Int(try op.scalar(0, UInt32.self, default: 0, "opcode_index"))
                guard opcodeIndex < codes.count else { throw TFLiteError("\(at): opcode index \(opcodeIndex) of \(codes.count)") }
                let code = codes[opcodeIndex]
                guard code >= 0 else {
                    throw TFLiteError("unsupported operator CUSTOM '\(customNames[opcodeIndex] ?? "")' (builtin code 32) at \(at)")
                }
                guard let builtin = TFLiteSchema.Builtin(rawValue: code) else {
                    throw TFLiteError("unsupported operator \(TFLiteSchema.operatorName(code)) (builtin code \(code)) at \(at)")
                }
                let opName = TFLiteSchema.operatorName(code)
                let context = "\(opName) at \(at)"
                let ins = try (op.int32s(1, "inputs") ?? []).map { $0 < 0 ? nil : try tensorIndex($0, context) }
                let outs = try (op.int32s(2, "outputs") ?? []).map { try tensorIndex($0, context) }
                guard outs.count == 1 else { throw TFLiteError("\(context): \(outs.count) outputs, expected 1") }
                guard let first = ins.first, let x = first else { throw TFLiteError("\(context): no input tensor") }
                let options = try op.table(4, "builtin_options")
                func opt<T: FixedWidthInteger>(_ id: Int, _ t: T.Type, _ d: T, _ what: String) throws -> T {
                    try options?.scalar(id, T.self, default: d, what) ?? d
                }
                func act(_ id: Int) throws -> Activation {
                    switch try opt(id, Int8.self, 0, "fused_activation_function") {
                    case 0: return .none
                    case 1: return .relu
                    case 3: return .relu6
                    case let a: throw TFLiteError("\(context): fused activation \(a) is not supported (NONE, RELU, RELU6 are)")
                    }
                }
                func padding(_ id: Int) throws -> Padding { try opt(id, Int8.self, 0, "padding") == 1 ? .valid : .same }
                let input = try activation(x, context)
                let output = try activation(outs[0], context)
                var node = Node(name: output.name, op: .dropout, inputs: [input.name])

                /// Little-endian int32 values of a constant tensor's data, which must be whole words.
                func int32s(_ bytes: [UInt8], _ t: TensorInfo, _ role: String) throws -> [Int32] {
                    guard bytes.count % 4 == 0 else { throw TFLiteError("\(context): \(role) '\(t.name)' has \(bytes.count) bytes of data, not whole int32 values") }
                    return stride(from: 0, to: bytes.count, by: 4).map {
                        Int32(bitPattern: UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24)
                    }
                }
                func constant(_ position: Int, _ role: String) throws -> (TensorInfo, [UInt8])? {
                    guard position < ins.count, let t = ins[position] else { return nil }
                    guard let bytes = try data(t) else { throw TFLiteError("\(context): \(role) tensor '\(tensors[t].name)' has no constant data") }
                    return (tensors[t], bytes)
                }
                func filterAndBias(channels: (TensorInfo) -> Int, dimension: Int) throws {
                    guard let (f, fbytes) = try constant(1, "filter") else { throw TFLiteError("\(context): missing filter") }
                    guard f.type == TFLiteSchema.TensorType.int8.rawValue else {
                        let typeName = TFLiteSchema.TensorType(rawValue: f.type)?.name ?? "type \(f.type)"
                        throw TFLiteError("\(context): filter '\(f.name)' is \(typeName); micronas needs int8 weights (float model where int8 is needed)")
                    }
                    guard fbytes.count == f.shape.reduce(1, *) else { throw TFLiteError("\(context): filter '\(f.name)' data size \(fbytes.count) does not match shape \(f.shape)") }
                    guard f.zeroPoints.allSatisfy({ $0 == 0 }) else { throw TFLiteError("\(context): filter '\(f.name)' has non-zero zero points (weights must be symmetric)") }
                    guard f.scales.count == 1 || f.quantizedDimension == dimension else {
                        throw TFLiteError("\(context): filter '\(f.name)' is quantized along dimension \(f.quantizedDimension), expected \(dimension)")
                    }
                    var bias: [Int32]? = nil
                    if let (b, bbytes) = try constant(2, "bias") {
                        guard b.type == TFLiteSchema.TensorType.int32.rawValue else {
                            throw TFLiteError("\(context): bias '\(b.name)' must be int32 (int64 biases belong to 16-bit activations)")
                        }
                        guard bbytes.count == 4 * channels(f) else { throw TFLiteError("\(context): bias '\(b.name)' has \(bbytes.count / 4) values, needs \(channels(f))") }
                        bias = try int32s(bbytes, b, "bias")
                    }
                    node.bias = bias != nil
                    weights[node.name] = NodeWeights(filter: fbytes.map { Int8(bitPattern: $0) }, scales: f.scales, bias: bias)
                }
                func window(strideW: Int, strideH: Int) throws -> [Int] {
                    let s = [Int(try opt(strideH, Int32.self, 1, "stride_h")), Int(try opt(strideW, Int32.self, 1, "stride_w"))]
                    return s
                }
                func noDilation(_ wId: Int, _ hId: Int) throws {
                    let dw = try opt(wId, Int32.self, 1, "dilation_w_factor"), dh = try opt(hId, Int32.self, 1, "dilation_h_factor")
                    guard dw == 1, dh == 1 else { throw TFLiteError("\(context): dilation \(dh)x\(dw) is not supported") }
                }

                switch builtin {
                case .conv2d:
                    try noDilation(4, 5)
                    node.op = .conv2d
                    node.padding = try padding(0)
                    node.stride = try window(strideW: 1, strideH: 2)
                    node.activation = try act(3)
                    try filterAndBias(channels: { $0.shape.first ?? 0 }, dimension: 0)
                    let f = tensors[ins[1]!]
                    guard f.shape.count == 4 else { throw TFLiteError("\(context): filter shape \(f.shape) is not OHWI") }
                    node.filters = f.shape[0]
                    node.kernel = [f.shape[1], f.shape[2]]
                case .depthwiseConv2d:
                    try noDilation(5, 6)
                    node.op = .depthwiseConv2d
                    node.padding = try padding(0)
                    node.stride = try window(strideW: 1, strideH: 2)
                    node.activation = try act(4)
                    try filterAndBias(channels: { $0.shape.last ?? 0 }, dimension: 3)
                    let f = tensors[ins[1]!]
                    guard f.shape.count == 4, f.shape[0] == 1, input.shape.count == 3 else {
                        throw TFLiteError("\(context): filter shape \(f.shape) / input \(input.shape) is not a 2-D depthwise convolution")
                    }
                    node.kernel = [f.shape[1], f.shape[2]]
                    let multiplier = f.shape[3] / max(1, input.shape[2])
                    if multiplier > 1 {
                        // One input channel: a depthwise conv with multiplier m is a CONV_2D with m filters
                        // (1HWm → mHW1). Other multipliers are not supported.
                        guard input.shape[2] == 1 else {
                            throw TFLiteError("\(context): depth multiplier \(multiplier) is not supported (only 1, or any with one input channel)")
                        }
                        let (kh, kw, m) = (f.shape[1], f.shape[2], f.shape[3])
                        var w = weights[node.name]!
                        let old = w.filter
                        w.filter = (0..<(m * kh * kw)).map { i in old[(i % (kh * kw)) * m + i / (kh * kw)] }
                        weights[node.name] = w
                        node.op = .conv2d
                        node.filters = m
                    }
                case .fullyConnected:
                    node.op = .dense
                    node.activation = try act(0)
                    guard try opt(1, Int8.self, 0, "weights_format") == 0 else { throw TFLiteError("\(context): shuffled weights format is not supported") }
                    try filterAndBias(channels: { $0.shape.first ?? 0 }, dimension: 0)
                    let f = tensors[ins[1]!]
                    guard f.shape.count == 2 else { throw TFLiteError("\(context): filter shape \(f.shape) is not [units, depth]") }
                    guard input.shape.reduce(1, *) == f.shape[1] else {
                        throw TFLiteError("\(context): input \(input.shape) holds \(input.shape.reduce(1, *)) values per sample, filter depth is \(f.shape[1]) (batched FULLY_CONNECTED is not supported)")
                    }
                    node.units = f.shape[0]
                case .add:
                    guard ins.count == 2, let y = ins[1] else { throw TFLiteError("\(context): expects 2 inputs") }
                    let other = try activation(y, context)
                    guard other.shape == input.shape else {
                        throw TFLiteError("\(context): inputs of shapes \(input.shape) and \(other.shape): broadcasting ADD is not supported")
                    }
                    node.op = .add
                    node.inputs.append(other.name)
                    node.activation = try act(0)
                case .averagePool2d, .maxPool2d:
                    node.op = builtin == .averagePool2d ? .averagePool2d : .maxPool2d
                    node.padding = try padding(0)
                    node.stride = try window(strideW: 1, strideH: 2)
                    node.pool = [Int(try opt(4, Int32.self, 0, "filter_height")), Int(try opt(3, Int32.self, 0, "filter_width"))]
                    node.activation = try act(5)
                case .mean:
                    guard let (axesInfo, axesBytes) = try constant(1, "axes"), axesInfo.type == TFLiteSchema.TensorType.int32.rawValue else {
                        throw TFLiteError("\(context): axes must be a constant int32 tensor")
                    }
                    let axes = Set(try int32s(axesBytes, axesInfo, "axes"))
                    guard input.shape.count == 3, axes == [1, 2] else {
                        throw TFLiteError("\(context): MEAN over axes \(axes.sorted()) of a rank-\(input.shape.count + 1) tensor is not supported (axes 1 and 2 of NHWC are)")
                    }
                    node.op = .mean
                    node.keepDims = try options?.scalar(0, UInt8.self, default: 0, "keep_dims") == 1
                case .softmax:
                    node.op = .softmax
                    node.beta = try options?.float(0, default: 1, "beta") ?? 1
                case .reshape:
                    node.op = .reshape
                    node.inputs = [input.name]
                    node.shape = output.shape
                case .quantize:
                    node.op = .quantize
                case .dequantize:
                    node.op = .dequantize
                }
                guard node.op != .dropout else { throw TFLiteError("\(context): not mapped") }
                // Shapes written by the converter may differ in rank from micronas' (e.g. dense [1, U] vs
                // [1, 1, 1, U]); the element count must agree.
                let inferred = try node.outputShape(inputs: node.inputs.map { known[$0] ?? [] })
                guard inferred.reduce(1, *) == output.shape.reduce(1, *) else {
                    throw TFLiteError("\(context): output '\(output.name)' has shape \(output.shape), the operator gives \(inferred)")
                }
                if inferred != output.shape && node.op != .reshape {
                    if node.op == .dense {
                        // A dense output is flat in micronas; the file's extra 1s (keep_num_dims) come back by a reshape.
                        let flat = Node(name: output.name, op: .reshape, inputs: [output.name + "#flat"], shape: output.shape)
                        node.name = output.name + "#flat"
                        values[node.name] = values[output.name]
                        if let w = weights.removeValue(forKey: output.name) { weights[node.name] = w }
                        nodes.append(node)
                        nodes.append(flat)
                        continue
                    }
                    throw TFLiteError("\(context): output '\(output.name)' has shape \(output.shape), the operator gives \(inferred)")
                }
                nodes.append(node)
            }
            let outputs = try (sg.int32s(2, "outputs") ?? []).map { valueName(try tensorIndex($0, "subgraph output")) }
            let name = try sg.string(4, "name")
            let order = valueNames.sorted { $0.key < $1.key }.map(\.value) + nodes.map(\.name).filter { $0.hasSuffix("#flat") }
            var preprocessing: Preprocessing? = nil
            for entry in try root.tables(6, "metadata") where try entry.string(0, "metadata.name") == Preprocessing.metadataName {
                let b = Int(try entry.scalar(1, UInt32.self, default: 0, "metadata.buffer"))
                guard b > 0, b < buffers.count, let bytes = try buffers[b].bytes(0, "buffer[\(b)].data") else {
                    throw TFLiteError("metadata '\(Preprocessing.metadataName)' refers to buffer \(b) of \(buffers.count), which holds no data")
                }
                do { preprocessing = try JSONDecoder().decode(Preprocessing.self, from: Data(bytes)) } catch {
                    throw TFLiteError("metadata '\(Preprocessing.metadataName)' is not valid preprocessing JSON (\(error))")
                }
            }
            let model = QuantizedModel(graph: Graph(name: name, inputs: graphInputs, nodes: nodes, outputs: outputs),
                                       values: values, weights: weights, tensorOrder: order, preprocessing: preprocessing)
            do { try model.validate() } catch let e as GraphError { throw TFLiteError("model is not runnable: \(e)") }
            return model
        }
    }
}
