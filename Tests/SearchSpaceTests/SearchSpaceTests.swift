import Datasets
import Deploy
import Foundation
import Graph
import SearchSpace
import Support
import Tensor
import Training
import TestSupport
import XCTest

final class SearchSpaceTests: XCTestCase {
    func testCellCounts() throws {
        let har = try SearchSpace(time: 128, sensors: 9, classes: 6)
        XCTAssertEqual(har.timeReduceCells, 3)
        XCTAssertEqual(har.stride2SensorCells, 1)
        XCTAssertEqual(har.sensorFusionCells, 3)
        XCTAssertEqual(har.trFilterChoices, [4, 8, 12, 16])
        XCTAssertEqual(har.sfFilterChoices, [8, 16, 24, 32, 40, 48, 56, 64])
        let skoda = try SearchSpace(time: 64, sensors: 30, classes: 10)
        XCTAssertEqual(skoda.timeReduceCells, 2)
        XCTAssertEqual(skoda.stride2SensorCells, 2, "30 → 15 → 8; a third halving gives 4 < 5")
        XCTAssertEqual(skoda.sensorFusionCells, 6)
    }

    /// The closed-form counts against enumerating every decision of a small space.
    func testCountsMatchEnumeration() throws {
        let space = try SearchSpace(time: 32, sensors: 10, classes: 2, trMaxFilters: 8, trGranularity: 4, sfMaxFilters: 16, sfGranularity: 8,
                                    stride1Cells: 1)
        XCTAssertEqual(space.timeReduceCells, 1)
        XCTAssertEqual(space.sensorFusionCells, 2)
        var product = 0
        var distinct = Set<Architecture>()
        let f = space.sfFilterChoices
        func cells(stride2: Bool) -> [(Architecture.SensorFusion, counted: Bool)] {
            var out: [(Architecture.SensorFusion, Bool)] = []
            for identity in stride2 ? [false] : [false, true] {
                for b in f { for bits in 0..<8 { for s in f { for r in [false, true] {
                    var c = Architecture.SensorFusion(identity: identity, bottleneckFilters: b, branches: (0..<3).map { bits >> $0 & 1 == 1 },
                                                      filters: s, residual: r)
                    if identity { c = Architecture.SensorFusion(identity: true, bottleneckFilters: f[0], branches: [false, false, false], filters: f[0], residual: false) }
                    out.append((c, true))
                } } } }
            }
            return out
        }
        for k in SearchSpace.kernels { for tf in space.trFilterChoices {
            for (c0, _) in cells(stride2: true) { for (c1, _) in cells(stride2: false) {
                product += 1
                let a = Architecture(timeReduce: [.init(kernel: k, filters: tf)], sensorFusion: [c0, c1])
                if c0.isValid && c1.isValid { distinct.insert(a) }
            } }
        } }
        XCTAssertEqual(space.size.decisionProduct, Double(product))
        XCTAssertEqual(space.size.distinctArchitectures, Double(distinct.count))
    }

    func testPaperSizes() throws {
        let har = try SearchSpace(time: 128, sensors: 9, classes: 6).size
        // 12^3 · 1024 · 2048² = 7.4e12 (paper: ≈ 1e13).
        XCTAssertEqual(har.decisionProduct, pow(12, 3) * 1024 * 2048 * 2048)
        XCTAssertEqual(har.distinctArchitectures, pow(12, 3) * 960 * 961 * 961)
        let skoda = try SearchSpace(time: 64, sensors: 30, classes: 10).size
        // 12^2 · 1024² · 2048⁴ = 2.7e21 (paper: ≈ 1e22).
        XCTAssertEqual(skoda.decisionProduct, pow(12, 2) * pow(1024, 2) * pow(2048, 4))
    }

    func testSampledArchitecturesLowerTrainAndQuantize() throws {
        for (time, sensors) in [(128, 9), (64, 30)] {
            let space = try SearchSpace(time: time, sensors: sensors, classes: 6)
            var g = SplitMix64(seed: 3)
            var identities = 0
            for i in 0..<60 {
                let a = space.sample(using: &g)
                try space.validate(a)
                identities += a.sensorFusion.filter(\.identity).count
                let graph = try space.graph(for: a, dropout: true)
                let shapes = try graph.inferShapes()
                XCTAssertEqual(shapes["probs"], [6])
                // Every architecture is trainable and runs int8.
                if i % 10 == 0 {
                    let net = try GraphNetwork(graph, seed: 1)
                    let x = Tensor(shape: [2, time, sensors, 1], data: (0..<(2 * time * sensors)).map { Float($0 % 7) / 7 })
                    XCTAssertEqual(net.forward(x).shape, [2, 6])
                    let q = try RandomQuantization.model(for: try space.graph(for: a), seed: UInt64(i))
                    let lowered = try LoweredModel(q)
                    let out = try ReferenceInterpreter.run(lowered, inputs: [[UInt8](repeating: 3, count: time * sensors)])[0]
                    XCTAssertEqual(out.count, 6)
                }
            }
            _ = identities
        }
    }

    func testBadConfigurationsAndArchitectures() throws {
        XCTAssertEqual(Fixtures.errorMessage { try SearchSpace(time: 30, sensors: 9, classes: 6) },
                       "window of 30 samples is too short for one Time-Reduce cell (needs ⌈T/2⌉ ≥ 16, i.e. T ≥ 31)")
        XCTAssertEqual(Fixtures.errorMessage { try SearchSpace(time: 128, sensors: 9, classes: 1) }, "1 class(es): a classifier needs at least 2")
        XCTAssertEqual(Fixtures.errorMessage { try SearchSpace(time: 128, sensors: 9, classes: 6, trMaxFilters: 16, trGranularity: 5) },
                       "Time-Reduce granularity 5 does not divide its maximum filter count 16")
        let space = try SearchSpace(time: 128, sensors: 9, classes: 6)
        var g = SplitMix64(seed: 1)
        var a = space.sample(using: &g)
        a.timeReduce[1].kernel = 4
        XCTAssertEqual(Fixtures.errorMessage { try space.graph(for: a) }, "Time-Reduce cell 1: kernel 4 is not one of [3, 5, 7]")
        a = space.sample(using: &g)
        a.sensorFusion[0] = .init(identity: false, bottleneckFilters: 8, branches: [false, false, false], filters: 8, residual: false)
        XCTAssertEqual(Fixtures.errorMessage { try space.validate(a) }, "Sensor-Fusion cell 0: every branch and the residual are off; the cell has no output")
        a.sensorFusion[0].identity = true
        XCTAssertEqual(Fixtures.errorMessage { try space.validate(a) }, "Sensor-Fusion cell 0 halves the sensors and cannot be identity")
    }
}

extension SearchSpaceTests {
    /// Every operator of every sampled architecture is among the space's enumerated keys.
    func testEnumeratedKeysCoverSampledArchitectures() throws {
        for (time, sensors) in [(128, 9), (64, 30)] {
            let space = try SearchSpace(time: time, sensors: sensors, classes: 6)
            let keys = space.operatorKeys()
            var g = SplitMix64(seed: 8)
            var used = Set<OperatorKey>()
            for _ in 0..<300 {
                let graphKeys = try space.graph(for: space.sample(using: &g), dropout: true).operatorKeys()
                for k in graphKeys { XCTAssertTrue(keys.contains(k), "\(k) missing from the enumeration"); used.insert(k) }
            }
            XCTAssertGreaterThan(used.count, keys.count / 10)
            print("\(time)x\(sensors): \(keys.count) operator configurations; 300 samples used \(used.count)")
        }
    }
}
