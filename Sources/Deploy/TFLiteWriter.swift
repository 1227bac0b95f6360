import Foundation
import Graph
import Quant

/// Writes a `QuantizedModel` as a TFLite FlatBuffer (schema v3, identifier TFL3).
///
/// Conventions (those of the TensorFlow Lite converter): buffer 0 is the empty sentinel and every
/// activation tensor points to it; every constant has its own buffer with data 16-byte aligned;
/// activations carry a batch dimension of 1; both opcode fields are set; options are written in full
/// (strides, dilation 1, depth multiplier, beta, keep_dims…), defaults included; filters are
/// per-channel along `quantized_dimension` (0 for CONV_2D, 3 for DEPTHWISE_CONV_2D) or per-tensor;
/// biases are int32 with scale s_in · s_w (zeros for a bias-less convolution, which LiteRT
/// requires). Dropout nodes are not written (identity at inference).
public enum TFLiteWriter {
    public static func encode(_ model: QuantizedModel) throws -> [UInt8] {
        let shapes: [String: [Int]]
        do { shapes = try model.validate() } catch let e as GraphError { throw TFLiteError("cannot export: \(e)") }
        var w = State(model: model, shapes: shapes)
        for input in model.graph.inputs { _ = w.activation(input.name) }
        var operators: [FBObject] = []
        for node in model.graph.nodes where node.op != .dropout {
            operators.append(try w.op(node))
        }
        let subgraph = FBObject.table([
            .object(.tables(w.tensors)),
            .object(.int32s(model.graph.inputs.map { w.tensorIndex[$0.name]! })),
            .object(.int32s(model.graph.outputs.map { w.tensorIndex[w.resolve($0)]! })),
            .object(.tables(operators)),
            .object(.string(model.graph.name ?? "main")),
        ])
        let codes = w.opcodes.map { b -> FBObject in
            .table([.i8(Int8(min(b.rawValue, 127))), nil, .i32(b.int8Version), .i32(b.rawValue)])
        }
        // The preprocessing travels as a metadata entry (name + buffer of JSON), which the reference
        // runtimes skip: LiteRT and TFLM read only metadata they know by name.
        var metadata: FBField? = nil
        if let p = model.preprocessing {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = try encoder.encode(p)
            w.buffers.append(.table([.object(.bytes([UInt8](json), align: 16))]))
            metadata = .object(.tables([.table([.object(.string(Preprocessing.metadataName)), .u32(UInt32(w.buffers.count - 1))])]))
        }
        let root = FBObject.table([
            .u32(TFLiteSchema.version), .object(.tables(codes)), .object(.tables([subgraph])),
            .object(.string("micronas")), .object(.tables(w.buffers)), nil, metadata,
        ])
        return FlatBufferEncoder.encode(root: root, identifier: TFLiteSchema.identifier)
    }

    private struct State {
        let model: QuantizedModel
        let shapes: [String: [Int]]
        var tensors: [FBObject] = []
        var buffers: [FBObject] = [.table([])]
        var tensorIndex: [String: Int32] = [:]
        var opcodes: [TFLiteSchema.Builtin] = []

        init(model: QuantizedModel, shapes: [String: [Int]]) { (self.model, self.shapes) = (model, shapes) }

        /// The value a name stands for once dropout (identity) nodes are skipped.
        func resolve(_ name: String) -> String {
            var n = name
            while let node = model.graph.node(named: n), node.op == .dropout { n = node.inputs[0] }
            return n
        }

        mutating func tensor(name: String, shape: [Int], type: TFLiteSchema.TensorType,
                             quantization: (scales: [Float], zeroPoints: [Int64], dimension: Int32)?, data: [UInt8]?) -> Int32 {
            var buffer: UInt32 = 0
            if let data {
                buffer = UInt32(buffers.count)
                buffers.append(.table([.object(.bytes(data, align: 16))]))
            }
            let q: FBField? = quantization.map {
                .object(.table([nil, nil, .object(.floats($0.scales)), .object(.int64s($0.zeroPoints)), nil, nil, .i32($0.dimension)]))
            }
            tensors.append(.table([.object(.int32s(shape.map(Int32.init))), .i8(type.rawValue), .u32(buffer), .object(.string(name)), q]))
            return Int32(tensors.count - 1)
        }

        /// The tensor of an activation value (created on first use), shape [1] + graph shape.
        mutating func activation(_ value: String) -> Int32 {
            let name = resolve(value)
            if let i = tensorIndex[name] { return i }
            let v = model.values[name]!
            let i = v.type == .float32
                ? tensor(name: name, shape: [1] + shapes[name]!, type: .float32, quantization: nil, data: nil)
                : tensor(name: name, shape: [1] + shapes[name]!, type: .int8,
                         quantization: ([v.scale], [Int64(v.zeroPoint)], 0), data: nil)
            tensorIndex[name] = i
            return i
        }

        mutating func opcode(_ b: TFLiteSchema.Builtin) -> UInt32 {
            if let i = opcodes.firstIndex(of: b) { return UInt32(i) }
            opcodes.append(b)
            return UInt32(opcodes.count - 1)
        }

        mutating func op(_ node: Node) throws -> FBObject {
            let ins = node.inputs.map(resolve)
            let act = FBField.i8(TFLiteSchema.activationCode(node.fusedActivation.rawValue))
            let padding = FBField.i8(node.window?.padding == .valid ? 1 : 0)
            var inputs = ins.map { activation($0) }
            let builtin: TFLiteSchema.Builtin
            var options: [FBField?]
            switch node.op {
            case .conv2d, .depthwiseConv2d, .dense:
                let weights = model.weights[node.name]!
                let input = model.values[ins[0]]!
                let fshape = QuantizedModel.filterShape(node, input: shapes[ins[0]]!, output: shapes[node.name]!)
                let dimension: Int32 = node.op == .depthwiseConv2d ? 3 : 0
                let channels = fshape[Int(dimension)]
                inputs.append(tensor(name: "\(node.name)/filter", shape: fshape, type: .int8,
                                     quantization: (weights.scales, [Int64](repeating: 0, count: weights.scales.count), dimension),
                                     data: weights.filter.map { UInt8(bitPattern: $0) }))
                // LiteRT's int8 CONV_2D / DEPTHWISE_CONV_2D require a bias tensor: a bias-less node gets zeros.
                let bias = weights.bias ?? (node.op == .dense ? nil : [Int32](repeating: 0, count: channels))
                if let bias {
                    // One bias scale per filter scale (LiteRT reads a per-tensor bias scale to check s_in · s_w).
                    let scales = weights.scales.map { Float(Double(input.scale) * Double($0)) }
                    inputs.append(tensor(name: "\(node.name)/bias", shape: [channels], type: .int32,
                                         quantization: (scales, [Int64](repeating: 0, count: scales.count), 0),
                                         data: bias.flatMap(littleEndianBytes)))
                } else {
                    inputs.append(-1)
                }
                switch node.op {
                case .conv2d:
                    builtin = .conv2d
                    let win = node.window!
                    options = [padding, .i32(Int32(win.strideW)), .i32(Int32(win.strideH)), act, .i32(1), .i32(1)]
                case .depthwiseConv2d:
                    builtin = .depthwiseConv2d
                    let win = node.window!
                    options = [padding, .i32(Int32(win.strideW)), .i32(Int32(win.strideH)), .i32(1), act, .i32(1), .i32(1)]
                default:
                    builtin = .fullyConnected
                    options = [act, .i8(0), .bool(false), .bool(false)]
                }
            case .add:
                builtin = .add
                options = [act, .bool(true)]
            case .averagePool2d, .maxPool2d:
                builtin = node.op == .averagePool2d ? .averagePool2d : .maxPool2d
                let win = node.window!
                options = [padding, .i32(Int32(win.strideW)), .i32(Int32(win.strideH)), .i32(Int32(win.kernelW)), .i32(Int32(win.kernelH)), act]
            case .mean:
                builtin = .mean
                inputs.append(tensor(name: "\(node.name)/axes", shape: [2], type: .int32, quantization: nil,
                                     data: [Int32(1), 2].flatMap(littleEndianBytes)))
                options = [.bool(node.keepDims == true)]
            case .softmax:
                builtin = .softmax
                options = [.f32(node.beta ?? 1)]
            case .reshape:
                builtin = .reshape
                let newShape = [Int32(1)] + shapes[node.name]!.map(Int32.init)
                inputs.append(tensor(name: "\(node.name)/shape", shape: [newShape.count], type: .int32, quantization: nil,
                                     data: newShape.flatMap(littleEndianBytes)))
                options = [.object(.int32s(newShape))]
            case .quantize:
                builtin = .quantize
                options = []
            case .dequantize:
                builtin = .dequantize
                options = []
            case .dropout:
                throw TFLiteError("node '\(node.name)': dropout is not exported")
            }
            let output = activation(node.name)
            return .table([.u32(opcode(builtin)), .object(.int32s(inputs)), .object(.int32s([output])),
                           .u8(builtin.optionsType), .object(.table(options))])
        }
    }
}

func littleEndianBytes(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
