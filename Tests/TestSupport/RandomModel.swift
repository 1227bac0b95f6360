import Foundation
import Graph
import Quant
import Support

/// Random, valid int8 models for cross-executor verification: a chain of 1–5 body layers (CONV_2D,
/// DEPTHWISE_CONV_2D, pooling, a residual ADD of two convolutions, dropout) on a random
/// [time, sensors, channels] input, then a random head (MEAN → FULLY_CONNECTED → SOFTMAX, flat
/// FULLY_CONNECTED, 1×1 conv + MEAN, RESHAPE + FULLY_CONNECTED, or none), sometimes with float
/// QUANTIZE/DEQUANTIZE edges. Output scales follow the accumulator's spread so values use the int8
/// range instead of saturating; the same seed gives the same model.
public enum RandomModel {
    public static func generate(seed: UInt64) throws -> QuantizedModel {
        var g = SplitMix64(seed: seed &* 0x9E37_79B9 &+ 17)
        var b = Builder()
        func uniform(_ lo: Double, _ hi: Double) -> Double { Double.random(in: lo...hi, using: &g) }
        func logUniform(_ lo: Double, _ hi: Double) -> Float { Float(lo * pow(hi / lo, uniform(0, 1))) }
        func zeroPoint() -> Int32 { Bool.random(using: &g) ? Int32.random(in: -128...127, using: &g) : Int32.random(in: -40...40, using: &g) }
        func activation() -> Activation { Activation.allCases.randomElement(using: &g)! }

        let shape = [Int.random(in: 3...40, using: &g), Int.random(in: 1...9, using: &g), Int.random(in: 1...8, using: &g)]
        let floatEdges = Int.random(in: 0..<7, using: &g) == 0
        var current = "input"
        b.inputs.append(Graph.Input(name: "input", shape: shape))
        var q = ValueQuantization(scale: logUniform(0.005, 0.1), zeroPoint: zeroPoint())
        if floatEdges {
            b.values["input"] = .float32
            b.add(Node(name: "quantize", op: .quantize, inputs: [current]), q)
            current = "quantize"
        } else {
            b.values["input"] = q
        }
        var shapeNow = shape

        /// Output quantization for a weighted op whose accumulator sums `k` products.
        func weightedOutput(k: Int, inputScale: Float, weightScales: [Float]) -> ValueQuantization {
            let mean = weightScales.reduce(0, +) / Float(weightScales.count)
            let spread = sqrt(Double(k)) * Double(inputScale) * 50 * Double(mean) * 50
            return ValueQuantization(scale: Float(spread * 4 / 127 * exp(uniform(-0.7, 0.7))), zeroPoint: zeroPoint())
        }
        func weights(count: Int, channels: Int, perChannel: Bool, withBias: Bool) -> NodeWeights {
            let scales = (0..<(perChannel ? channels : 1)).map { _ in logUniform(0.002, 0.05) }
            return NodeWeights(filter: (0..<count).map { _ in Int8.random(in: -127...127, using: &g) }, scales: scales,
                               bias: withBias ? (0..<channels).map { _ in Int32.random(in: -(1 << 13)...(1 << 13), using: &g) } : nil)
        }
        func conv(_ name: String, from input: String, inShape: [Int], inQ: ValueQuantization, filters: Int, kernel: [Int],
                  stride: [Int], padding: Padding, act: Activation, outQ fixed: ValueQuantization? = nil) throws -> ([Int], ValueQuantization) {
            let node = Node(name: name, op: .conv2d, inputs: [input], filters: filters, kernel: kernel, stride: stride,
                            padding: padding, activation: act, bias: Bool.random(using: &g))
            let w = weights(count: filters * kernel[0] * kernel[1] * inShape[2], channels: filters,
                            perChannel: Bool.random(using: &g), withBias: node.hasBias)
            let outQ = fixed ?? weightedOutput(k: kernel[0] * kernel[1] * inShape[2], inputScale: inQ.scale, weightScales: w.scales)
            b.add(node, outQ, w)
            return (try node.outputShape(inputs: [inShape]), outQ)
        }
        func window(for s: [Int], maxK: Int = 7) -> (kernel: [Int], stride: [Int], padding: Padding) {
            let kh = Int.random(in: 1...min(maxK, s[0]), using: &g), kw = Int.random(in: 1...min(3, s[1]), using: &g)
            let stride = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
            return ([kh, kw], stride, Bool.random(using: &g) ? .same : .valid)
        }

        for layer in 0..<Int.random(in: 1...5, using: &g) {
            let name = "l\(layer)"
            switch Int.random(in: 0..<9, using: &g) {
            case 0, 1, 2:
                let w = window(for: shapeNow)
                (shapeNow, q) = try conv(name, from: current, inShape: shapeNow, inQ: q, filters: Int.random(in: 1...16, using: &g),
                                         kernel: w.kernel, stride: w.stride, padding: w.padding, act: activation())
            case 3:
                let w = window(for: shapeNow)
                let node = Node(name: name, op: .depthwiseConv2d, inputs: [current], kernel: w.kernel, stride: w.stride,
                                padding: w.padding, activation: activation(), bias: Bool.random(using: &g))
                let c = shapeNow[2]
                let wt = weights(count: w.kernel[0] * w.kernel[1] * c, channels: c, perChannel: Bool.random(using: &g), withBias: node.hasBias)
                q = weightedOutput(k: w.kernel[0] * w.kernel[1], inputScale: q.scale, weightScales: wt.scales)
                b.add(node, q, wt)
                shapeNow = try node.outputShape(inputs: [shapeNow])
            case 4, 5:
                let w = window(for: shapeNow, maxK: 4)
                let node = Node(name: name, op: Bool.random(using: &g) ? .averagePool2d : .maxPool2d, inputs: [current],
                                pool: w.kernel, stride: w.stride, padding: w.padding, activation: Bool.random(using: &g) ? .none : activation())
                b.add(node, q)
                shapeNow = try node.outputShape(inputs: [shapeNow])
            case 6, 7:
                // Residual block: two convolutions of the same input, same output shape, summed.
                let w = window(for: shapeNow, maxK: 5)
                let filters = Int.random(in: 1...12, using: &g)
                let (s1, q1) = try conv("\(name)a", from: current, inShape: shapeNow, inQ: q, filters: filters,
                                        kernel: w.kernel, stride: w.stride, padding: .same, act: activation())
                let (_, q2) = try conv("\(name)b", from: current, inShape: shapeNow, inQ: q, filters: filters,
                                       kernel: [1, 1], stride: w.stride, padding: .same, act: .none)
                let outQ = ValueQuantization(scale: max(q1.scale, q2.scale) * Float(uniform(0.8, 2)), zeroPoint: zeroPoint())
                b.add(Node(name: name, op: .add, inputs: ["\(name)a", "\(name)b"], activation: activation()), outQ)
                (shapeNow, q) = (s1, outQ)
            default:
                b.add(Node(name: name, op: .dropout, inputs: [current], rate: 0.3), q)
            }
            current = name
        }

        func dense(_ name: String, units: Int) {
            let node = Node(name: name, op: .dense, inputs: [current], activation: Bool.random(using: &g) ? .none : activation(),
                            bias: Bool.random(using: &g), units: units)
            let depth = shapeNow.reduce(1, *)
            let w = weights(count: units * depth, channels: units, perChannel: Bool.random(using: &g), withBias: node.hasBias)
            q = weightedOutput(k: depth, inputScale: q.scale, weightScales: w.scales)
            b.add(node, q, w)
            shapeNow = [units]
            current = name
        }
        func mean(keepDims: Bool) {
            q = ValueQuantization(scale: q.scale * Float(exp(uniform(-0.5, 0.5))), zeroPoint: zeroPoint())
            b.add(Node(name: "gap", op: .mean, inputs: [current], keepDims: keepDims), q)
            shapeNow = keepDims ? [1, 1, shapeNow[2]] : [shapeNow[2]]
            current = "gap"
        }
        func softmax() {
            let beta: Float = Bool.random(using: &g) ? 1 : Float(uniform(0.5, 2))
            b.add(Node(name: "softmax", op: .softmax, inputs: [current], beta: beta), .softmaxOutput)
            q = .softmaxOutput
            current = "softmax"
        }
        switch Int.random(in: 0..<5, using: &g) {
        case 0:
            mean(keepDims: false)
            dense("fc", units: Int.random(in: 2...10, using: &g))
            softmax()
        case 1:
            dense("fc", units: Int.random(in: 2...12, using: &g))
            if Bool.random(using: &g) { softmax() }
        case 2:
            (shapeNow, q) = try conv("head", from: current, inShape: shapeNow, inQ: q, filters: Int.random(in: 2...8, using: &g),
                                     kernel: [1, 1], stride: [1, 1], padding: .valid, act: .none)
            current = "head"
            mean(keepDims: Bool.random(using: &g))
            if Bool.random(using: &g) { softmax() }
        case 3:
            b.add(Node(name: "flatten", op: .reshape, inputs: [current], shape: [-1]), q)
            shapeNow = [shapeNow.reduce(1, *)]
            current = "flatten"
            dense("fc", units: Int.random(in: 2...8, using: &g))
        default:
            break
        }
        if floatEdges {
            b.add(Node(name: "dequantize", op: .dequantize, inputs: [current]), .float32)
            current = "dequantize"
        }
        let model = QuantizedModel(graph: Graph(name: "random\(seed)", inputs: b.inputs, nodes: b.nodes, outputs: [current]),
                                   values: b.values, weights: b.weights)
        try model.validate()
        return model
    }

    private struct Builder {
        var inputs: [Graph.Input] = []
        var nodes: [Node] = []
        var values: [String: ValueQuantization] = [:]
        var weights: [String: NodeWeights] = [:]

        mutating func add(_ node: Node, _ q: ValueQuantization, _ w: NodeWeights? = nil) {
            nodes.append(node)
            values[node.name] = q
            if let w { weights[node.name] = w }
        }
    }
}
