import Deploy
import Emulator
import Foundation
import Graph
import Kernels
import SearchSpace
import Targets

/// Fills a lookup table for a search space on an emulated board: for every operator configuration
/// not yet in the table, a kernel call with seeded random data (built through the same lowering
/// that deploys models) runs warm on the board, timed by DWT inside the firmware; entries are saved
/// after every chunk, so a killed run resumes where it stopped.
public struct Characterizer {
    public let space: SearchSpace
    public let board: Board
    public let toolchain: KernelToolchain

    public init(space: SearchSpace, board: Board, toolchain: KernelToolchain) {
        (self.space, self.board, self.toolchain) = (space, board, toolchain)
    }

    /// The kernel build's content hash (the verification firmware's cached name ends with it).
    public func kernelHash() throws -> String {
        String(try toolchain.firmware(board: board).lastPathComponent.split(separator: "-").last ?? "")
    }

    /// The kernel call of one configuration: a one-node graph (plus a second input for ADD) with
    /// random int8 weights and scales, lowered like any model.
    static func kernelCase(for node: Node, inputs shapes: [[Int]], seed: UInt64) throws -> KernelCase? {
        var n = node
        let inputNames = (0..<shapes.count).map { "x\($0)" }
        n.inputs = inputNames
        n.name = "op"
        let graph = Graph(inputs: zip(inputNames, shapes).map { Graph.Input(name: $0, shape: $1) }, nodes: [n], outputs: ["op"])
        let lowered = try LoweredModel(try RandomQuantization.model(for: graph, seed: seed))
        var g = SeededGenerator(seed: seed)
        let data = shapes.map { s in (0..<s.reduce(1, *)).map { _ in UInt8.random(in: 0...255, using: &g) } }
        return lowered.ops.first?.kernelCase(inputs: data, weights: lowered.model.weights["op"])
    }

    public struct Progress: Sendable { public var done: Int; public var total: Int; public var newEntries: Int }

    /// Measures every missing configuration into `table` (saved to `url` after each chunk).
    /// `shard` (i, n) measures only the keys whose sorted position is i mod n.
    @discardableResult
    public func fill(_ table: inout LookupTable, saveTo url: URL?, shard: (Int, Int) = (0, 1), chunk: Int = 24,
                     progress: (Progress) -> Void = { _ in }) throws -> Int {
        let specs = space.operatorSpecs()
        let keys = specs.keys.sorted().enumerated().filter { $0.offset % shard.1 == shard.0 }.map(\.element)
        let missing = keys.filter { table.entries[$0.text] == nil }
        guard !missing.isEmpty else { return 0 }
        let executor = try KernelVerifier.emulatedExecutor(toolchain, board: board)
        var added = 0
        var start = 0
        while start < missing.count {
            let part = Array(missing[start..<min(missing.count, start + chunk)])
            var entries: [KernelBench.Entry] = []
            for (i, key) in part.enumerated() {
                let spec = specs[key]!
                guard let call = try Self.kernelCase(for: spec.node, inputs: spec.inputs, seed: UInt64(start + i + 1)) else { continue }
                entries.append(KernelBench.Entry(name: key.text, group: "characterization", call: call))
            }
            for r in try KernelBench.run(entries, on: executor) {
                guard r.bitExact else { throw CharacterizationError("\(r.entry.name): the emulated kernel's output differs from the reference") }
                table.entries[r.entry.name] = LookupTable.Entry(cycles: r.cycles, macs: r.macs)
                added += 1
            }
            if let url { try table.save(url) }
            start += part.count
            progress(Progress(done: keys.count - missing.count + start, total: keys.count, newEntries: added))
        }
        return added
    }

    /// Σ of the table's cycles over an architecture's operators; throws naming a missing configuration.
    public static func predictCycles(_ graph: Graph, table: LookupTable) throws -> Double {
        try graph.operatorKeys().reduce(0.0) { sum, key in
            guard let e = table.entries[key.text] else { throw CharacterizationError("no table entry for \(key); run micronas characterize") }
            return sum + Double(e.cycles)
        }
    }
}
