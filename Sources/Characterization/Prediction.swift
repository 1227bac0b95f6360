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

    /// Prices `arch` (valid in `space`) with `table` and `overheadCycles`.
    public func predict(_ arch: Architecture, table: LookupTable, overheadCycles: Double) throws -> Prediction {
        let graph = try space.graph(for: arch)
        let cycles = try Self.predictCycles(graph, table: table) + overheadCycles
        let plan = MemoryPlanner.plan(try LoweredModel(try RandomQuantization.model(for: graph, seed: 1)))
        return Prediction(cycles: cycles, overheadCycles: overheadCycles, plannedArenaBytes: plan.arenaBytes,
                          milliseconds: cycles / board.clockHz.value * 1000)
    }
}
