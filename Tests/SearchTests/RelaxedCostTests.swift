import Characterization
import Deploy
import Foundation
import Graph
import Search
import SearchSpace
import Support
import Tensor
import XCTest

/// The differentiable cost (Eq. 5) against the discrete predictions it relaxes, and its gradients
/// against finite differences.
final class RelaxedCostTests: XCTestCase {
    /// A table with a distinct random cycle count for every configuration of the space.
    func randomTable(_ space: SearchSpace, seed: UInt64, range: ClosedRange<UInt32>) -> LookupTable {
        var g = SplitMix64(seed: seed)
        var t = LookupTable(board: "test", costHash: "0", kernelHash: "0")
        for key in space.operatorKeys().sorted() { t.entries[key.text] = .init(cycles: UInt32.random(in: range, using: &g), macs: 0) }
        return t
    }

    func spaces() throws -> [SearchSpace] {
        [try SearchSpace(time: 128, sensors: 9, classes: 6),
         try SearchSpace(time: 32, sensors: 10, classes: 3, trMaxFilters: 8, trGranularity: 4, sfMaxFilters: 16, sfGranularity: 8, stride1Cells: 1)]
    }

    /// One-hot probabilities give exactly the table's prediction for the lowered architecture (Σ
    /// entries over its graph's operator keys + overhead) and the liveness peak of the deploy
    /// planner's buffers for its int8 lowering; the planned arena is never below it.
    func testOneHotEqualsDiscretePredictions() throws {
        for space in try spaces() {
            let table = randomTable(space, seed: 7, range: 1_000...400_000)
            let cost = try RelaxedCost(space: space, table: table, overheadCycles: 4321)
            var g = SplitMix64(seed: 11)
            var equalArena = 0, identities = 0, worst = 1.0
            let count = 40
            for _ in 0..<count {
                let a = space.sample(using: &g)
                identities += a.sensorFusion.filter(\.identity).count
                let graph = try space.graph(for: a)
                let (cycles, bytes) = Tensor.withoutGradients { cost.expected(DecisionProbabilities.oneHot(a, in: space)) }
                let predicted = try Characterizer.predictCycles(graph, table: table) + 4321
                XCTAssertEqual(Double(cycles.data[0]), predicted, accuracy: predicted * 1e-6, "\(a)")
                let plan = MemoryPlanner.plan(try LoweredModel(try RandomQuantization.model(for: graph, seed: 1)))
                XCTAssertEqual(Int(bytes.data[0]), MemoryPlanner.livenessPeak(plan), "\(a)")
                XCTAssertGreaterThanOrEqual(plan.arenaBytes, Int(bytes.data[0]))
                if plan.arenaBytes == Int(bytes.data[0]) { equalArena += 1 }
                worst = max(worst, Double(plan.arenaBytes) / Double(bytes.data[0]))
            }
            if ProcessInfo.processInfo.environment["MICRONAS_REPORT"] != nil { print("\(space.time)x\(space.sensors): arena = liveness peak on \(equalArena)/\(count), worst arena/peak \(worst)") }
            XCTAssertGreaterThan(identities, 0, "the sample exercises skipped cells")
            XCTAssertGreaterThan(equalArena, count / 4, "the greedy arena is often the liveness peak")
            XCTAssertLessThan(worst, 1.5, "and never far above it")
        }
    }

    /// ∂(expected cycles)/∂p and ∂(expected bytes)/∂p for random (not one-hot) probability vectors
    /// against central differences.
    func testGradientsMatchFiniteDifferences() throws {
        let space = try spaces()[1]
        let table = randomTable(space, seed: 3, range: 10...1_000)
        let cost = try RelaxedCost(space: space, table: table, overheadCycles: 50)
        var g = SplitMix64(seed: 5)
        func probabilities(_ n: Int) -> Tensor {
            let logits = Tensor(shape: [n], data: (0..<n).map { _ in Float.random(in: -1...1, using: &g) })
            return Tensor(shape: [n], data: Tensor.withoutGradients { logits.softmax() }.data, requiresGrad: true)
        }
        let p = DecisionProbabilities(
            timeReduce: (0..<space.timeReduceCells).map { _ in .init(kernel: probabilities(3), filters: probabilities(space.trFilterChoices.count)) },
            sensorFusion: (0..<space.sensorFusionCells).map { j in
                .init(identity: space.isStride2(sensorCell: j) ? nil : probabilities(2), bottleneck: probabilities(space.sfFilterChoices.count),
                      branches: (0..<3).map { _ in probabilities(2) }, residual: probabilities(2), filters: probabilities(space.sfFilterChoices.count))
            })
        var leaves = p.timeReduce.flatMap { [$0.kernel, $0.filters] }
        for c in p.sensorFusion { leaves += (c.identity.map { [$0] } ?? []) + [c.bottleneck] + c.branches + [c.residual, c.filters] }
        for pick in [0, 1] {
            for t in leaves { t.grad = nil }
            let out = cost.expected(p)
            (pick == 0 ? out.cycles : out.bytes).backward()
            func value() -> Double {
                let o = Tensor.withoutGradients { cost.expected(p) }
                return Double((pick == 0 ? o.cycles : o.bytes).data[0])
            }
            let eps: Float = 1e-2
            var checked = 0
            for t in leaves {
                let analytic = t.grad ?? [Float](repeating: 0, count: t.count)
                for i in 0..<t.count {
                    let saved = t.data[i]
                    t.data[i] = saved + eps; let plus = value()
                    t.data[i] = saved - eps; let minus = value()
                    t.data[i] = saved
                    let numeric = (plus - minus) / Double(2 * eps)
                    XCTAssertEqual(Double(analytic[i]), numeric, accuracy: max(1, abs(numeric)) * 1e-2, "\(pick == 0 ? "cycles" : "bytes") ∂/∂p[\(i)]")
                    if numeric != 0 { checked += 1 }
                }
            }
            // Cycles depend on every decision; the peak on the largest cell's only.
            XCTAssertGreaterThan(checked, pick == 0 ? leaves.count : 2, "derivatives are non-zero")
        }
    }

    func testMissingEntryIsNamed() throws {
        let space = try spaces()[1]
        var table = randomTable(space, seed: 1, range: 1...9)
        let key = table.entries.keys.sorted()[0]
        table.entries[key] = nil
        XCTAssertThrowsError(try RelaxedCost(space: space, table: table, overheadCycles: 0)) {
            XCTAssertEqual("\($0)", "no table entry for \(key); run micronas characterize")
        }
    }
}
