import Deploy
import Foundation
import Graph
import SearchSpace
import Targets

extension Characterizer {
    /// An architecture priced from a lookup table: invoke cycles = Σ the table's entries for its
    /// operators + the space's per-invoke overhead (stored with a complete table); the arena is
    /// the deploy planner's for it (weights do not change the plan, so random ones serve).
    public struct Prediction: Sendable {
        public var cycles: Double
        public var overheadCycles: Double
        public var plannedArenaBytes: Int
        public var milliseconds: Double
    }

    /// This board's and kernel build's table in `store`, with the space's overhead if it was measured.
    public func table(in store: TableStore) throws -> (table: LookupTable, overheadCycles: Double?) {
        let (costHash, kernelHash) = (LookupTable.costHash(board), try kernelHash())
        let t = try store.table(board: board.name, costHash: costHash, kernelHash: kernelHash)
        return (t, try store.overhead(board: board.name, costHash: costHash, kernelHash: kernelHash, space: Self.spaceKey(space)))
    }

    /// What `complete` did: the table (every configuration of the space), its per-invoke overhead,
    /// and how many entries were emulated or re-priced from stored events.
    public struct Completion: Sendable {
        public var table: LookupTable
        public var overheadCycles: Double?
        public var emulated: Int, repriced: Int, before: Int
    }

    /// Fills this board's table in `store` with every missing configuration of the space (of
    /// `shard`), and — once the table holds all of them — measures and stores the space's per-invoke
    /// overhead if it is not stored yet (`note` says so first: it runs one whole architecture).
    public func complete(store: TableStore, shard: (Int, Int) = (0, 1), progress: (Progress) -> Void = { _ in },
                         note: (String) -> Void = { _ in }) throws -> Completion {
        let costHash = LookupTable.costHash(board)
        let kernelHash = try kernelHash()
        var t = try store.table(board: board.name, costHash: costHash, kernelHash: kernelHash)
        let configurations = Set(space.operatorKeys().map(\.text))
        let before = t.entries.keys.filter(configurations.contains).count
        let (emulated, repriced) = try fill(&t, store: store, shard: shard, progress: progress)
        let entries = t.entries.keys.filter(configurations.contains).count
        let spaceKey = Self.spaceKey(space)
        var overhead = try store.overhead(board: board.name, costHash: costHash, kernelHash: kernelHash, space: spaceKey)
        if overhead == nil && entries == configurations.count {
            note("measuring the per-invoke overhead on one whole architecture…")
            overhead = try measureOverhead(table: t)
            try store.setOverhead(overhead!, board: board.name, costHash: costHash, kernelHash: kernelHash, space: spaceKey)
        }
        return Completion(table: t, overheadCycles: overhead, emulated: emulated, repriced: repriced, before: before)
    }

    /// Prices `arch` (valid in `space`) with `table` and `overheadCycles`.
    public func predict(_ arch: Architecture, table: LookupTable, overheadCycles: Double) throws -> Prediction {
        let graph = try space.graph(for: arch)
        let cycles = try Self.predictCycles(graph, table: table) + overheadCycles
        let plan = MemoryPlanner.plan(try LoweredModel(try RandomQuantization.model(for: graph, seed: 1)))
        return Prediction(cycles: cycles, overheadCycles: overheadCycles, plannedArenaBytes: plan.arenaBytes,
                          milliseconds: cycles / board.clockHz.value * 1000)
    }
}
