import Datasets
import Foundation
import Graph
import Support
import TestSupport
import Training
import XCTest

/// Restarted training against plain `Trainer` runs of every seed (the hidden truth the restarts
/// cannot see): it continues the start with the best training accuracy after the probe epochs, and
/// ends exactly as that seed's uninterrupted run — also when interrupted and resumed.
final class RestartedTrainingTests: XCTestCase {
    let graph = Graph(inputs: [.init(name: "x", shape: [32, 3, 1])], nodes: [
        Node(name: "c1", op: .conv2d, inputs: ["x"], filters: 4, kernel: [5, 1], stride: [2, 1], activation: .relu),
        Node(name: "out", op: .conv2d, inputs: ["c1"], filters: 3, kernel: [1, 3], padding: .valid),
        Node(name: "gap", op: .mean, inputs: ["out"]),
        Node(name: "p", op: .softmax, inputs: ["gap"]),
    ], outputs: ["p"])

    func config() -> Trainer.Config {
        var c = Trainer.Config()
        (c.epochs, c.batch, c.seed, c.workers) = (4, 16, 11, 1)
        return c
    }

    /// What a plain run of `seed` gives.
    func plain(_ d: WindowDataset, seed: UInt64) throws -> (reports: [Trainer.EpochReport], parameters: [[Float]]) {
        var c = config()
        c.seed = seed
        let network = try GraphNetwork(graph, seed: seed)
        let reports = try Trainer(network: network, config: c).run(d).reports
        return (reports, network.parameters.map(\.data))
    }

    func testContinuesTheBestStartAsItsUninterruptedRun() throws {
        let d = try SyntheticWindows.dataset()
        let truth = try (0..<3).map { try plain(d, seed: 11 + UInt64($0)) }
        let best = (0..<3).max { (truth[$0].reports[1].train.accuracy, -truth[$0].reports[1].loss, -Double($0)) < (truth[$1].reports[1].train.accuracy, -truth[$1].reports[1].loss, -Double($1)) }!
        let dir = try Fixtures.temporaryDirectory()
        let restarts = RestartedTraining(graph: graph, config: config(), candidates: 3, probeEpochs: 2) { dir.appendingPathComponent("c\($0).json") }

        // Interrupted twice (an error thrown mid-run stands in for kill -9 after a checkpoint), then resumed.
        struct Killed: Error {}
        var epochs = 0
        XCTAssertThrowsError(try restarts.run(d, event: { if case .epoch = $0 { epochs += 1; if epochs == 3 { throw Killed() } } }))
        epochs = 0
        XCTAssertThrowsError(try restarts.run(d, event: { if case .epoch = $0 { epochs += 1; if epochs == 4 { throw Killed() } } }))
        var trained = 0
        let outcome = try restarts.run(d, event: { if case .epoch = $0 { trained += 1 } })
        XCTAssertEqual(trained, 1, "8 epochs in all (3 starts × 2, then 2 more): 3 before the first interruption, 4 before the second")

        XCTAssertEqual(outcome.chosen, best)
        XCTAssertEqual(outcome.config.seed, 11 + UInt64(best))
        XCTAssertEqual(outcome.probes.map(\.trainAccuracy), truth.map { $0.reports[1].train.accuracy })
        XCTAssertEqual(outcome.training.reports.map(\.loss), truth[best].reports.map(\.loss))
        XCTAssertEqual(outcome.training.reports.map(\.test), truth[best].reports.map(\.test))
        XCTAssertEqual(outcome.network.parameters.map(\.data), truth[best].parameters)
    }

    func testOneStartIsAPlainRunAndACorruptCheckpointIsNamed() throws {
        let d = try SyntheticWindows.dataset()
        let dir = try Fixtures.temporaryDirectory()
        let url = dir.appendingPathComponent("c0.json")
        let outcome = try RestartedTraining(graph: graph, config: config(), candidates: 1, probeEpochs: 1) { _ in url }.run(d)
        XCTAssertEqual(outcome.training.reports.map(\.loss), try plain(d, seed: 11).reports.map(\.loss))
        XCTAssertTrue(outcome.probes.isEmpty)
        try Data("{\"epoch\":".utf8).write(to: url)
        let message = Fixtures.errorMessage { try RestartedTraining(graph: graph, config: config(), candidates: 2, probeEpochs: 1) { _ in url }.run(d) }
        XCTAssertTrue(message.hasPrefix("\(url.path): corrupt retraining checkpoint"), message)
    }
}
