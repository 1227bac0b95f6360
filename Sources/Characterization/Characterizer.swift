import Deploy
import Foundation
import Graph
import Kernels
import SearchSpace
import Targets

/// Fills a lookup table for a search space on an emulated board: every operator configuration not
/// yet in the table runs as deployed models run it (see `fill`); entries are saved after every
/// firmware, so a killed run resumes where it stopped.
public struct Characterizer {
    public let space: SearchSpace
    public let board: Board
    public let toolchain: KernelToolchain

    public init(space: SearchSpace, board: Board, toolchain: KernelToolchain) {
        (self.space, self.board, self.toolchain) = (space, board, toolchain)
    }

    /// The kernel build's content hash (the verification firmware's cached name ends with it; it
    /// covers the kernel sources, headers, harness and flags).
    public func kernelHash() throws -> String {
        String(try toolchain.firmware(board: board).lastPathComponent.split(separator: "-").last ?? "")
    }

    public struct Progress: Sendable { public var done: Int; public var total: Int; public var newEntries: Int }

    /// Measures every missing configuration into `table` (saved to `url` after each firmware).
    /// Each firmware is the deploy code generator's output for a graph of independent one-op
    /// branches — weights as `const` arrays in flash, activations in the arena, every op timed by
    /// DWT in the model runner — exactly how a deployed model runs its ops. `shard` (i, n) measures
    /// only the keys whose sorted position is i mod n.
    @discardableResult
    public func fill(_ table: inout LookupTable, saveTo url: URL?, shard: (Int, Int) = (0, 1), only: Set<String>? = nil,
                     arenaBudget: Int = 48 * 1024, progress: (Progress) -> Void = { _ in }) throws -> Int {
        let specs = space.operatorSpecs()
        let keys = specs.keys.sorted().enumerated().filter { $0.offset % shard.1 == shard.0 }.map(\.element)
            .filter { only?.contains($0.text) ?? true }
        let missing = keys.filter { table.entries[$0.text] == nil }
        guard !missing.isEmpty else { return 0 }
        // Group configurations so each firmware's arena (all inputs live until their op) stays in budget.
        var groups: [[OperatorKey]] = [[]]
        var bytes = 0
        for key in missing {
            let spec = specs[key]!
            let need = spec.inputs.reduce(0) { $0 + $1.reduce(1, *) } + ((try? spec.node.outputShape(inputs: spec.inputs))?.reduce(1, *) ?? 0)
            if bytes + need > arenaBudget && !groups[groups.count - 1].isEmpty { groups.append([]); bytes = 0 }
            groups[groups.count - 1].append(key)
            bytes += need
        }
        var added = 0, done = keys.count - missing.count
        for (index, group) in groups.enumerated() {
            var inputs: [Graph.Input] = [], nodes: [Node] = []
            for (i, key) in group.enumerated() {
                let spec = specs[key]!
                var n = spec.node
                n.name = "op\(i)"
                n.inputs = spec.inputs.indices.map { "x\(i)_\($0)" }
                inputs += zip(n.inputs, spec.inputs).map { Graph.Input(name: $0, shape: $1) }
                nodes.append(n)
            }
            let graph = Graph(name: "characterization", inputs: inputs, nodes: nodes, outputs: nodes.map(\.name))
            let lowered = try LoweredModel(try RandomQuantization.model(for: graph, seed: UInt64(index + 1)))
            let runner = try ModelRunner(lowered, toolchain: toolchain, boards: [board], multipleIO: true)
            let sample = [UInt8]((0..<runner.generator.inputBytes).map { UInt8(truncatingIfNeeded: $0 &* 37) })
            let r = try runner.runEmulated(board: board, samples: [sample], warm: true)
            for (i, key) in group.enumerated() {
                table.entries[key.text] = LookupTable.Entry(cycles: r.opCycles[0][i], macs: lowered.ops[i].macs)
                added += 1
            }
            if let url { try table.save(url) }
            done += group.count
            progress(Progress(done: done, total: keys.count, newEntries: added))
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
