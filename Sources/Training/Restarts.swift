import Datasets
import Foundation
import Graph

/// Training from scratch with a guard against a bad start. A small network trained on a
/// subject-wise split can settle early in a poor region and stay there: the same MicroNAS
/// architecture, retrained with three seeds, ended at 86.8 %, 94.6 % and 95.2 % test accuracy, and
/// the poor seed was already 12–17 points behind on its *training* windows after five epochs. So
/// `candidates` networks (seeds `config.seed`, +1, …) each train the full schedule's first
/// `probeEpochs` epochs; the one with the highest training accuracy (un-augmented training windows —
/// the only data a retraining may judge by) continues to the end, exactly as if it had never paused.
/// Every candidate checkpoints after each epoch (its own file), so an interrupted run resumes
/// without redoing finished epochs and ends as the uninterrupted one would.
public struct RestartedTraining {
    public let graph: Graph
    public let config: Trainer.Config
    public let candidates: Int
    public let probeEpochs: Int
    /// Candidate `k`'s checkpoint file.
    public let checkpoint: (Int) -> URL

    /// A candidate's figures after the probe epochs.
    public struct Probe: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var trainAccuracy: Double
        public var loss: Double
        enum CodingKeys: String, CodingKey { case seed, loss, trainAccuracy = "train_accuracy" }
    }

    public enum Event {
        /// Candidate `index` starts (or continues after `resumedAfter` epochs).
        case candidate(index: Int, seed: UInt64, resumedAfter: Int, until: Int)
        case epoch(index: Int, Trainer.EpochReport)
        /// The probes are done; `index` continues.
        case chosen(index: Int, probes: [Probe])
    }

    public struct Outcome {
        public var network: GraphNetwork
        public var training: Trainer.Outcome
        public var config: Trainer.Config
        /// Empty with one candidate.
        public var probes: [Probe]
        public var chosen: Int
        /// Training seconds of every epoch kept (the other candidates' probes and the chosen run), over all invocations.
        public var seconds: Double
    }

    public init(graph: Graph, config: Trainer.Config, candidates: Int, probeEpochs: Int, checkpoint: @escaping (Int) -> URL) {
        precondition(candidates >= 1 && probeEpochs >= 1, "one candidate and one probe epoch at least")
        (self.graph, self.config, self.candidates, self.probeEpochs, self.checkpoint) = (graph, config, candidates, probeEpochs, checkpoint)
    }

    func config(_ k: Int) -> Trainer.Config {
        var c = config
        c.seed = config.seed &+ UInt64(k)
        return c
    }

    /// The candidate's checkpoint when it holds this graph's training (nil: none, or another run's — started over).
    func saved(_ k: Int) throws -> Checkpoint? {
        let url = checkpoint(k)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let c: Checkpoint
        do { c = try Checkpoint.read(from: url) } catch { throw GraphError("\(url.path): corrupt retraining checkpoint (\(error)); remove it to start over") }
        return c.graph == graph && c.state?.config == config(k) ? c : nil
    }

    private struct Pause: Error {}

    /// Trains candidate `k` until `epochs` (the whole schedule when `epochs == config.epochs`).
    func train(_ k: Int, _ d: WindowDataset, until epochs: Int, event: (Event) throws -> Void) throws -> (GraphNetwork, Trainer.Outcome?, [Trainer.EpochReport]) {
        let c = config(k)
        let network = try GraphNetwork(graph, seed: c.seed)
        let resume = try saved(k)
        var reports = resume?.state?.reports ?? []
        if reports.count >= epochs && epochs < c.epochs {
            return (network, nil, Array(reports.prefix(epochs)))  // probe already done
        }
        try event(.candidate(index: k, seed: c.seed, resumedAfter: resume?.epoch ?? 0, until: epochs))
        let trainer = Trainer(network: network, config: c, checkpoint: checkpoint(k))
        do {
            let outcome = try trainer.run(d, resume: resume, progress: { r in
                reports.append(r)
                try event(.epoch(index: k, r))
                if r.epoch >= epochs && epochs < c.epochs { throw Pause() }
            })
            return (network, outcome, outcome.reports)
        } catch is Pause {
            return (network, nil, reports)
        }
    }

    public func run(_ d: WindowDataset, event: (Event) throws -> Void = { _ in }) throws -> Outcome {
        var probes: [Probe] = [], probeSeconds: [Double] = []
        var chosen = 0
        if candidates > 1 {
            for k in 0..<candidates {
                let (_, _, reports) = try train(k, d, until: min(probeEpochs, config.epochs), event: event)
                guard let last = reports.last else { throw GraphError("candidate \(k + 1) ended without an epoch") }
                probes.append(Probe(seed: config(k).seed, trainAccuracy: last.train.accuracy, loss: last.loss))
                probeSeconds.append(reports.reduce(0) { $0 + $1.seconds })
            }
            // Highest training accuracy; ties go to the lower training loss, then the earlier seed.
            chosen = probes.indices.max { a, b in
                (probes[a].trainAccuracy, -probes[a].loss, -Double(a)) < (probes[b].trainAccuracy, -probes[b].loss, -Double(b))
            }!
            try event(.chosen(index: chosen, probes: probes))
        }
        let (network, outcome, _) = try train(chosen, d, until: config.epochs, event: event)
        guard let training = outcome else { throw GraphError("retraining of candidate \(chosen + 1) did not finish") }
        let others = probeSeconds.enumerated().filter { $0.offset != chosen }.reduce(0) { $0 + $1.element }
        return Outcome(network: network, training: training, config: config(chosen), probes: probes, chosen: chosen,
                       seconds: others + training.reports.reduce(0) { $0 + $1.seconds })
    }
}
