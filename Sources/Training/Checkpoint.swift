import Foundation
import Graph
import Support
import Tensor

/// A network's parameters after some epoch, with the graph they belong to:
/// `{graph, epoch, parameters: {node: {weight: {shape, data}, bias: {shape, data}}}}`
/// (conv2d weights HWIO, dense weights [D, U]). Written atomically, so a killed run keeps the last
/// complete checkpoint.
public struct Checkpoint: Codable, Sendable {
    public struct Parameter: Codable, Sendable, Equatable {
        public var shape: [Int]
        public var data: [Float]
    }
    public struct NodeParameters: Codable, Sendable, Equatable {
        public var weight: Parameter?
        public var bias: Parameter?
    }

    /// Everything besides the parameters that an interrupted run needs to continue exactly.
    public struct TrainingState: Codable, Sendable {
        public var config: Trainer.Config
        /// `Trainer.fingerprint` of the dataset trained on.
        public var dataset: String
        /// The SplitMix64 state after the epoch, and the training windows' order then.
        public var generator: UInt64
        public var order: [Int]
        /// Adam's step count and moments, per parameter in `GraphNetwork.parameters` order.
        public var adamStep: Int
        public var adamM: [[Float]], adamV: [[Float]]
        public var reports: [Trainer.EpochReport]
    }

    public var graph: Graph
    public var epoch: Int
    public var parameters: [String: NodeParameters]
    /// Activation ranges of the quantization points (after QAT epochs; the int8 model's scales).
    public var ranges: [String: ActivationRange]?
    /// Present in checkpoints written by `Trainer.run`.
    public var state: TrainingState?

    /// The network's current parameters.
    public init(_ network: GraphNetwork, epoch: Int) {
        graph = network.graph
        self.epoch = epoch
        var parameters: [String: NodeParameters] = [:]
        for node in network.graph.nodes {
            let w = network.weights[node.name].map { Parameter(shape: $0.shape, data: $0.data) }
            let b = network.biases[node.name].map { Parameter(shape: $0.shape, data: $0.data) }
            if w != nil || b != nil { parameters[node.name] = NodeParameters(weight: w, bias: b) }
        }
        self.parameters = parameters
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicWrite.file(try encoder.encode(self), to: url)
    }

    /// Reads a checkpoint; errors name the file.
    public static func read(from url: URL) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw GraphError("\(url.path): cannot read file") }
        let c: Checkpoint
        do { c = try JSONDecoder().decode(Checkpoint.self, from: data) } catch let e as DecodingError {
            throw GraphError("\(url.path): not a micronas checkpoint (\(e.summary))")
        } catch {
            throw GraphError("\(url.path): not a micronas checkpoint (\(error))")
        }
        guard c.epoch >= 0 else { throw GraphError("\(url.path): epoch \(c.epoch) is negative") }
        for (name, r) in c.ranges ?? [:] where !(r.min.isFinite && r.max.isFinite && r.min <= r.max) {
            throw GraphError("\(url.path): activation range of '\(name)' [\(r.min), \(r.max)] is not a finite interval")
        }
        return c
    }

    /// A network of the checkpoint's graph holding its parameters; every trainable node must have
    /// them, in the shapes the graph gives.
    public func makeNetwork() throws -> GraphNetwork {
        let network = try GraphNetwork(graph, seed: 0)
        try network.load(self)
        return network
    }
}

extension GraphNetwork {
    /// Copies a checkpoint's parameters in; throws naming the first node whose parameters are
    /// missing or shaped differently.
    public func load(_ checkpoint: Checkpoint) throws {
        func copy(_ p: Checkpoint.Parameter?, into t: Tensor?, _ what: String, _ node: String) throws {
            guard let t else { return }
            guard let p else { throw GraphError("checkpoint has no \(what) for node '\(node)'") }
            guard p.shape == t.shape, p.data.count == t.count else {
                throw GraphError("checkpoint's \(what) of node '\(node)' is \(p.shape) with \(p.data.count) values; the graph needs \(t.shape)")
            }
            guard p.data.allSatisfy(\.isFinite) else { throw GraphError("checkpoint's \(what) of node '\(node)' holds NaN or infinite values") }
            t.data = p.data
        }
        for node in graph.nodes {
            let entry = checkpoint.parameters[node.name]
            try copy(entry?.weight, into: weights[node.name], "weight", node.name)
            try copy(entry?.bias, into: biases[node.name], "bias", node.name)
        }
    }
}
