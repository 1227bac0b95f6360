import Characterization
import Datasets
import Foundation
import Graph
import Search
import SearchSpace
import Support
import Tensor
import TestSupport
import Training
import XCTest

/// The supernet against the discrete networks it stands for, α's gradients against finite
/// differences, the space's extremes against brute force, and the search loop's resume.
final class SupernetTests: XCTestCase {
    /// 32×10, 3 classes: one Time-Reduce cell, a stride-2 and a stride-1 Sensor-Fusion cell.
    func smallSpace() throws -> SearchSpace {
        try SearchSpace(time: 32, sensors: 10, classes: 3, trMaxFilters: 8, trGranularity: 4, sfMaxFilters: 16, sfGranularity: 8, stride1Cells: 1)
    }

    func randomInput(_ shape: [Int], seed: UInt64) -> Tensor {
        var g = SplitMix64(seed: seed)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &g) })
    }

    /// At an architecture's one-hot probabilities the supernet's logits are those of the lowered
    /// `Graph` run by `GraphNetwork` with the supernet's leading weight channels (an independent
    /// forward: other convs, no masks), for architectures with and without skipped cells.
    func testOneHotSupernetIsTheDiscreteNetwork() throws {
        for space in [try smallSpace(), try SearchSpace(time: 128, sensors: 9, classes: 6)] {
            let net = Supernet(space: space, seed: 3)
            // Biases away from zero so that they are checked too.
            var g = SplitMix64(seed: 5)
            for n in net.names where n.hasSuffix(".b") { net.parameters[n]!.data = net.parameters[n]!.data.map { _ in Float.random(in: -0.2...0.2, using: &g) } }
            let x = randomInput([4, space.time, space.sensors, 1], seed: 9)
            var identities = 0
            for n in 0..<12 {
                var a = space.sample(using: &g)
                // Uniform samples almost never skip a cell: skip every stride-1 cell in a third of them.
                if n % 3 == 0 { for j in a.sensorFusion.indices where !space.isStride2(sensorCell: j) { a.sensorFusion[j].identity = true } }
                identities += a.sensorFusion.filter(\.identity).count
                let discrete = try net.network(for: a)
                let expected = Tensor.withoutGradients { discrete.forward(x, logits: true) }
                for skip: Float in [0, 0.5] {
                    let got = Tensor.withoutGradients { net.forward(x, DecisionProbabilities.oneHot(a, in: space), skipBelow: skip) }
                    XCTAssertEqual(got.shape, [4, space.classes])
                    for (u, v) in zip(got.data, expected.data) { XCTAssertEqual(u, v, accuracy: 1e-4 * max(1, abs(v)), "\(a)") }
                }
            }
            XCTAssertGreaterThan(identities, 0, "the sample exercises skipped cells")
        }
    }

    /// ∂CE/∂α through the Gumbel-softmax, the masks, the path weights and the skip against central
    /// differences (every path computed; fixed noise).
    func testArchitectureGradientsMatchFiniteDifferences() throws {
        let space = try smallSpace()
        let net = Supernet(space: space, seed: 1)
        let x = randomInput([3, space.time, space.sensors, 1], seed: 2)
        let labels = [0, 2, 1]
        var g = SplitMix64(seed: 4)
        let alpha = ArchitectureWeights(space: space, values: ArchitectureWeights.groupSizes(space).map { n in (0..<n).map { _ in Float.random(in: -1...1, using: &g) } })
        let noise = alpha.noise(using: &g)
        func loss() -> Tensor { net.forward(x, alpha.probabilities(noise: noise, temperature: 1.5)).crossEntropy(labels: labels) }
        loss().backward()
        let analytic = alpha.groups.map { $0.grad ?? [Float](repeating: 0, count: $0.count) }
        var checked = 0
        for (k, t) in alpha.groups.enumerated() {
            for i in 0..<t.count {
                let saved = t.data[i]
                t.data[i] = saved + 1e-2
                let up = Double(Tensor.withoutGradients { loss() }.data[0])
                t.data[i] = saved - 1e-2
                let down = Double(Tensor.withoutGradients { loss() }.data[0])
                t.data[i] = saved
                let numeric = (up - down) / 2e-2
                XCTAssertEqual(Double(analytic[k][i]), numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "group \(ArchitectureWeights.groupNames(space)[k]) option \(i)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, ArchitectureWeights.groupSizes(space).reduce(0, +))
        XCTAssertGreaterThan(analytic.flatMap { $0 }.map(abs).max()!, 1e-3, "the gradient is not trivially zero")
    }

    /// The fastest architecture, the smallest, and the fastest within an arena limit, from the
    /// dynamic programs, against every architecture of the small space priced one by one (cycles by
    /// the table's prediction for its lowered graph).
    func testExtremesAgainstBruteForce() throws {
        let space = try smallSpace()
        var g = SplitMix64(seed: 21)
        var table = LookupTable(board: "test", costHash: "0", kernelHash: "0")
        for key in space.operatorKeys().sorted() { table.entries[key.text] = .init(cycles: UInt32.random(in: 500...90_000, using: &g), macs: 0) }
        let cost = try RelaxedCost(space: space, table: table, overheadCycles: 100)
        var all: [(Architecture, Double, Int)] = []
        let tr = space.trFilterChoices, sf = space.sfFilterChoices
        func cells(_ j: Int) -> [Architecture.SensorFusion] {
            var c: [Architecture.SensorFusion] = space.isStride2(sensorCell: j) ? [] : [.init(identity: true, bottleneckFilters: sf[0], branches: [false, false, false], filters: sf[0], residual: false)]
            for b in sf { for f in sf { for bits in 1..<16 {
                c.append(.init(bottleneckFilters: b, branches: [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0], filters: f, residual: bits & 8 != 0))
            } } }
            return c
        }
        for k in SearchSpace.kernels { for f in tr { for c0 in cells(0) { for c1 in cells(1) {
            let a = Architecture(timeReduce: [.init(kernel: k, filters: f)], sensorFusion: [c0, c1])
            let cycles = try Characterizer.predictCycles(try space.graph(for: a), table: table) + 100
            let bytes = Tensor.withoutGradients { cost.expected(DecisionProbabilities.oneHot(a, in: space)).bytes.data[0] }
            all.append((a, cycles, Int(bytes)))
        } } } }
        XCTAssertEqual(Double(all.count), space.size.distinctArchitectures)
        let fastest = cost.fastest()
        XCTAssertEqual(fastest.cycles, all.map(\.1).min()!, accuracy: 1e-6 * fastest.cycles)
        XCTAssertEqual(try Characterizer.predictCycles(try space.graph(for: fastest.architecture), table: table) + 100, fastest.cycles, accuracy: 1e-3)
        let smallest = cost.smallest()
        let minBytes = all.map(\.2).min()!
        XCTAssertEqual(smallest.bytes, minBytes)
        XCTAssertEqual(smallest.cycles, all.filter { $0.2 == minBytes }.map(\.1).min()!, accuracy: 1e-6 * smallest.cycles)
        let sortedBytes = Array(Set(all.map(\.2))).sorted()
        for limit in [sortedBytes[sortedBytes.count / 4], sortedBytes[sortedBytes.count / 2], minBytes - 1] {
            let within = all.filter { $0.2 <= limit }
            let found = cost.fastest(withinBytes: limit)
            if within.isEmpty { XCTAssertNil(found); continue }
            XCTAssertEqual(found!.cycles, within.map(\.1).min()!, accuracy: 1e-6 * found!.cycles)
            XCTAssertLessThanOrEqual(found!.bytes, limit)
        }
    }

    /// A search of two epochs, and the same search killed after its first epoch and resumed from the
    /// checkpoint, end with identical α, weights and log figures; the hardware loss is zero under
    /// generous limits and positive under tight ones.
    func testSearchResumesExactly() throws {
        let space = try SearchSpace(time: 32, sensors: 3, classes: 3, trMaxFilters: 8, trGranularity: 4, sfMaxFilters: 16, sfGranularity: 8,
                                    minSensors: 2, stride1Cells: 1)
        let d = try SyntheticWindows.dataset(subjects: 6, perSubject: 24)
        var g = SplitMix64(seed: 2)
        var table = LookupTable(board: "test", costHash: "0", kernelHash: "0")
        for key in space.operatorKeys().sorted() { table.entries[key.text] = .init(cycles: UInt32.random(in: 500...90_000, using: &g), macs: 0) }
        let cost = try RelaxedCost(space: space, table: table, overheadCycles: 100)
        var config = DNAS.Config(limits: HardwareLimits(latencyMs: 1e6, arenaBytes: 1 << 30))
        (config.epochs, config.batch, config.workers) = (2, 16, 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("micronas-dnas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeAtPath(dir.path) }
        let uninterrupted = DNAS(space: space, config: config, cost: cost, clockHz: 1e8)
        let whole = try uninterrupted.run(d)
        XCTAssertTrue(whole.log.allSatisfy { $0.latencyLoss == 0 && $0.memoryLoss == 0 }, "within generous limits there is no hardware loss")

        var first = DNAS(space: space, config: config, cost: cost, clockHz: 1e8, checkpoint: dir.appendingPathComponent("search.json"))
        struct Stop: Error {}
        XCTAssertThrowsError(try first.run(d, progress: { if $0.epoch == 1 { throw Stop() } }))
        let state = try DNAS.State.read(from: first.checkpoint!)
        XCTAssertEqual(state.epoch, 1)
        first = DNAS(space: space, config: config, cost: cost, clockHz: 1e8, checkpoint: first.checkpoint)
        let resumed = try first.run(d, resume: state)
        XCTAssertEqual(resumed.resumedAfter, 1)
        XCTAssertEqual(resumed.log.map(\.weightLoss), whole.log.map(\.weightLoss))
        XCTAssertEqual(resumed.log.map(\.validationAccuracy), whole.log.map(\.validationAccuracy))
        XCTAssertEqual(resumed.extraction.architecture, whole.extraction.architecture)
        XCTAssertEqual(first.alpha.values, uninterrupted.alpha.values)
        XCTAssertEqual(first.supernet.parameters["out.w"]!.data, uninterrupted.supernet.parameters["out.w"]!.data)
        XCTAssertEqual(first.alpha.values, try DNAS.State.read(from: first.checkpoint!).alpha)

        // Tight limits: the architecture step pays for latency and memory.
        config.limits = HardwareLimits(latencyMs: 0.001, arenaBytes: 16)
        config.epochs = 1
        let tight = try DNAS(space: space, config: config, cost: cost, clockHz: 1e8).run(d)
        XCTAssertGreaterThan(tight.log[0].latencyLoss, 0)
        XCTAssertGreaterThan(tight.log[0].memoryLoss, 0)
        // …and it moves α towards cheaper architectures: the expected latency and arena under
        // softmax(α) fall below those of the uniform start.
        let uniform = Tensor.withoutGradients {
            HardwareLoss(cost: cost, clockHz: 1e8, limits: config.limits).terms(ArchitectureWeights(space: space).probabilities())
        }
        XCTAssertLessThan(tight.log[0].expectedLatencyMs, 0.9 * uniform.expectedMs)
        XCTAssertLessThan(tight.log[0].expectedArenaBytes, uniform.expectedBytes)
    }
}

private extension FileManager {
    func removeAtPath(_ path: String) throws { try removeItem(atPath: path) }
}
