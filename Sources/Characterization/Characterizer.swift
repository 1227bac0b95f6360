import Deploy
import Dispatch
import Foundation
import Graph
import Kernels
import SearchSpace
import Support
import Targets

/// Fills a lookup table for a search space on an emulated board: every operator configuration not
/// yet in the table runs as deployed models run it (see `fill`); entries are committed after every
/// firmware, so a killed run resumes where it stopped.
public struct Characterizer: Sendable {
    public let space: SearchSpace
    public let board: Board
    public let toolchain: KernelToolchain

    public init(space: SearchSpace, board: Board, toolchain: KernelToolchain) {
        (self.space, self.board, self.toolchain) = (space, board, toolchain)
    }

    /// The kernel build's content hash (`KernelToolchain.kernelHash(board:)`: kernel sources,
    /// headers, harness, flags, linker script), computed without building anything.
    public func kernelHash() throws -> String {
        try toolchain.kernelHash(board: board)
    }

    public struct Progress: Sendable { public var done: Int; public var total: Int; public var newEntries: Int }

    /// Measures every configuration of the space (of shard `shard` = (i, n): the keys whose sorted
    /// position is i mod n; of `only`, when given) that `table` lacks, and writes each firmware's
    /// entries to `store` in one transaction as soon as it finishes.
    ///
    /// First, configurations `store` holds for the same board, kernel build and event model under
    /// another cost table are re-priced from their events (events · this board's costs) without
    /// emulating. The rest run as deployed models run them: each firmware is the deploy code
    /// generator's output for a graph of independent one-op branches — weights as `const` arrays in
    /// flash, activations in the arena, every op timed by DWT in the model runner, its events
    /// recorded — built and emulated on `workers` threads. Returns (emulated, re-priced) counts.
    @discardableResult
    public func fill(_ table: inout LookupTable, store: TableStore?, shard: (Int, Int) = (0, 1), only: Set<String>? = nil,
                     workers: Int = ProcessInfo.processInfo.activeProcessorCount, arenaBudget: Int = 48 * 1024,
                     progress: (Progress) -> Void = { _ in }) throws -> (emulated: Int, repriced: Int) {
        let specs = space.operatorSpecs()
        let keys = specs.keys.sorted().enumerated().filter { $0.offset % shard.1 == shard.0 }.map(\.element)
            .filter { only?.contains($0.text) ?? true }
        var missing = keys.filter { table.entries[$0.text] == nil }
        guard !missing.isEmpty else { return (0, 0) }
        let eventModel = LookupTable.eventModelHash(board)
        var repriced = 0
        if let store {
            let costs = board.costVector
            let found = try store.eventsElsewhere(board: table.board, costHash: table.costHash, kernelHash: table.kernelHash,
                                                  eventModel: eventModel, configs: Set(missing.map(\.text)))
            var entries: [String: LookupTable.Entry] = [:]
            for (config, e) in found {
                let cycles = e.events.dot(costs).rounded()
                guard cycles >= 0, cycles <= Double(UInt32.max) else {
                    throw CharacterizationError("\(config): re-priced at \(cycles) cycles on \(board.name), outside what a table entry holds (0 to \(UInt32.max)); check the board's costs")
                }
                entries[config] = .init(cycles: UInt32(cycles), macs: e.macs, events: e.events)
            }
            if !entries.isEmpty {
                try store.insert(entries, into: table, eventModel: eventModel, source: "repriced")
                table.entries.merge(entries) { a, _ in a }
                repriced = entries.count
                missing = missing.filter { entries[$0.text] == nil }
                progress(Progress(done: keys.count - missing.count, total: keys.count, newEntries: repriced))
            }
        }
        // Group configurations so each firmware's arena (all inputs live until their op) stays in budget.
        var groups: [[OperatorKey]] = missing.isEmpty ? [] : [[]]
        var bytes = 0
        for key in missing {
            let spec = specs[key]!
            let need = spec.inputs.reduce(0) { $0 + $1.reduce(1, *) } + ((try? spec.node.outputShape(inputs: spec.inputs))?.reduce(1, *) ?? 0)
            if bytes + need > arenaBudget && !groups[groups.count - 1].isEmpty { groups.append([]); bytes = 0 }
            groups[groups.count - 1].append(key)
            bytes += need
        }
        let state = FillState(table: table, done: keys.count - missing.count, repriced: repriced)
        nonisolated(unsafe) let store = store, progress = progress
        let groupsCopy = groups
        // Workers take the next firmware; results are stored and reported under the lock (progress
        // runs on worker threads, one call at a time).
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, groups.count))) { _ in
            while let index = state.take(groupsCopy.count) {
                do {
                    let entries = try measureGroup(groupsCopy[index], seed: UInt64(index + 1), specs: specs)
                    try state.locked {
                        try store?.insert(entries, into: state.table, eventModel: eventModel, source: "emulated")
                        state.table.entries.merge(entries) { a, _ in a }
                        state.added += entries.count
                        state.done += entries.count
                        progress(Progress(done: state.done, total: keys.count, newEntries: state.added + state.repriced))
                    }
                } catch {
                    state.fail(error)
                }
            }
        }
        table = state.table
        if let failure = state.failure { throw failure }
        return (state.added, repriced)
    }

    /// One firmware of independent one-op branches, emulated: each op's DWT cycles and events.
    func measureGroup(_ group: [OperatorKey], seed: UInt64, specs: [OperatorKey: (node: Node, inputs: [[Int]])]) throws -> [String: LookupTable.Entry] {
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
        let deployment = try Deployment(model: try RandomQuantization.model(for: graph, seed: seed), name: "characterization firmware \(seed)",
                                        board: board, toolchain: toolchain, timingOnly: true)
        let sample = [UInt8]((0..<deployment.runner.generator.inputBytes).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        let r = try deployment.run([sample], warmup: .everySample, recordEvents: true)
        var entries: [String: LookupTable.Entry] = [:]
        for (i, key) in group.enumerated() {
            entries[key.text] = LookupTable.Entry(cycles: r.opCycles[0][i], macs: deployment.lowered.ops[i].macs, events: r.opEvents?[0][i])
        }
        return entries
    }

    /// Σ of the table's cycles over an architecture's operators; throws naming a missing configuration.
    public static func predictCycles(_ graph: Graph, table: LookupTable) throws -> Double {
        try graph.operatorKeys().reduce(0.0) { sum, key in
            guard let e = table.entries[key.text] else { throw CharacterizationError("no table entry for \(key); run micronas characterize") }
            return sum + Double(e.cycles)
        }
    }
}

/// The fill's shared state: the next firmware to build, the table so far, counts, the first error.
final class FillState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    var table: LookupTable
    var done: Int, added = 0
    let repriced: Int
    private(set) var failure: Error?

    init(table: LookupTable, done: Int, repriced: Int) { (self.table, self.done, self.repriced) = (table, done, repriced) }

    /// The next firmware index, or nil when all are taken or a worker failed.
    func take(_ count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil, next < count else { return nil }
        next += 1
        return next - 1
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    func fail(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil { failure = error }
    }
}
