import ArgumentParser
import Foundation
import Graph
import Support
import Tensor
import Training

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Windows/s of a training step (forward + backward + Adam) vs the same network in PyTorch, same batch and threads, same run.",
        discussion: "PyTorch runs bench/train/torch_train_bench.py with --python (default: .venv/bin/python, then python3) when it can import torch; otherwise only micronas' figure is printed."
    )

    @Argument(help: "Graph JSON networks (default: examples/reference_har.json and bench/train/supernet.json).") var graphs: [String] = []
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Timed steps per network.") var steps = 30
    @Option(help: "Threads for both engines (default: all cores).") var threads: Int?
    @Option(help: "Python with torch for the reference.") var python: String?
    @Option(help: "Rounds: the engines alternate, and each one's best round counts (machine noise hits both alike).") var rounds = 3
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try require(batch, in: 1 ... 1 << 16, "--batch")
        try require(steps, in: 1 ... 100_000, "--steps")
        try require(rounds, in: 1 ... 100, "--rounds")
        if let t = threads { try require(t, in: threadRange, "--threads") }
    }

    func torchPython(_ root: URL) -> String? {
        let candidates = [python, root.appendingPathComponent(".venv/bin/python").path, "/usr/bin/python3"].compactMap { $0 }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            if let r = try? Subprocess.run(c, ["-c", "import torch"]), r.status == 0 { return c }
        }
        return nil
    }

    func run() throws {
        try reportingErrors {
            let root = try repositoryRoot()
            let paths = graphs.isEmpty ? [root.appendingPathComponent("examples/reference_har.json").path,
                                          root.appendingPathComponent("bench/train/supernet.json").path] : graphs
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            BLASThreads.count = threadCount
            let torch = torchPython(root)
            if torch == nil { printError("PyTorch not found (pass --python with torch installed): printing micronas' figures only") }
            var rows: [[String: Any]] = []
            for path in paths {
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot read file") }
                let g = try JSONDecoder().decode(Graph.self, from: data)
                var blasOnly = 0.0, split = 0.0, theirs = 0.0
                var torchVersion: Any = NSNull()
                for round in 1...rounds {
                    printError("\(g.name ?? path): round \(round) of \(rounds)…")
                    blasOnly = max(blasOnly, try TrainBench.windowsPerSecond(g, batch: batch, steps: steps, workers: 1).windowsPerSecond)
                    if threadCount > 1 { split = max(split, try TrainBench.windowsPerSecond(g, batch: batch, steps: steps, workers: threadCount).windowsPerSecond) }
                    guard let py = torch else { continue }
                    let p = try Subprocess.run(py, [root.appendingPathComponent("bench/train/torch_train_bench.py").path, path, "\(batch)", "\(steps)", "\(threadCount)"])
                    if p.status == 0, let r = try? JSONSerialization.jsonObject(with: Data(p.stdout)) as? [String: Any],
                       let w = r["windows_per_second"] as? Double {
                        theirs = max(theirs, w)
                        torchVersion = r["torch"] ?? NSNull()
                    } else {
                        printError("PyTorch run failed (exit \(p.status))")
                    }
                }
                let ours = max(blasOnly, split)
                var row: [String: Any] = ["graph": path, "micronas_windows_per_second": ours, "threads": threadCount, "batch": batch, "rounds": rounds,
                                          "micronas_blas_threads_windows_per_second": blasOnly, "micronas_batch_split_windows_per_second": split]
                if theirs > 0 {
                    row["torch_windows_per_second"] = theirs
                    row["torch_version"] = torchVersion
                    row["ratio"] = ours / theirs
                }
                rows.append(row)
            }
            if json {
                print(try jsonLine(["networks": rows]))
            } else {
                for r in rows {
                    var line = String(format: "%@: micronas %.0f windows/s (BLAS threads %.0f, batch split %.0f)", (r["graph"] as! String) as NSString,
                                      r["micronas_windows_per_second"] as! Double, r["micronas_blas_threads_windows_per_second"] as! Double,
                                      r["micronas_batch_split_windows_per_second"] as! Double)
                    if let t = r["torch_windows_per_second"] as? Double {
                        line += String(format: ", PyTorch %@ %.0f windows/s, ratio %.2f×", (r["torch_version"] as? String ?? "") as NSString, t, r["ratio"] as! Double)
                    }
                    print(line + " (batch \(batch), \(threadCount) threads)")
                }
            }
        }
    }
}
