import ArgumentParser
import Datasets
import Foundation

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
