import ArgumentParser
import Datasets
import Foundation
import Graph

extension HAPT.Channels: ExpressibleByArgument {}

/// How windows are split into train, validation and test.
enum SplitKind: String, CaseIterable, ExpressibleByArgument {
    /// Whole subjects per split (the default; what a deployment meets).
    case subject
    /// In recording order, 70/10/20 (single-subject data such as SkodaR).
    case temporal
    /// Shuffled windows: overlapping windows of one recording leak between splits.
    case random
}

/// Window and split options shared by the dataset commands (and, later, train and search).
struct DatasetOptions: ParsableArguments {
    @Option(help: "Window length in samples (default 128; 64 for SkodaR .mat files).") var window: Int?
    @Option(help: "Step between windows in samples (default: half the window, 50% overlap).") var step: Int?
    @Option(help: "HAPT channels: 9 (UCI-HAR: body_acc, body_gyro, total_acc) or 6 (raw acc, gyro).") var channels: HAPT.Channels = .uciHAR9
    @Flag(help: "Also window HAPT's 6 postural transitions (12 classes).") var transitions = false
    @Option(help: "Split: subject (whole subjects per split), temporal (in recording order: 70/10/20; single-subject data) or random (shuffled windows; leaks through overlap).") var split: SplitKind = .subject
    @Option(help: "Test subjects, comma-separated (default: UCI-HAR's 2,4,9,10,12,13,18,20,24, or the archive's own test set).") var testSubjects: String?
    @Option(help: "Validation subjects, comma-separated (default: drawn with --seed from the rest).") var valSubjects: String?
    @Option(help: "Number of validation subjects to draw.") var valCount = 4
    @Option(help: "Seed of the validation draw / random split (and, for train, of initialisation, shuffling and dropout).") var seed: UInt64 = 1

    func validate() throws {
        if let w = window { try require(w, in: windowRange, "--window") }
        if let s = step { try require(s, in: windowRange, "--step") }
        try require(valCount, in: 0 ... 65_535, "--val-count")
        if split != .subject, testSubjects != nil || valSubjects != nil {
            throw ValidationError("--test-subjects and --val-subjects choose subjects for --split subject, not --split \(split.rawValue)")
        }
        _ = try subjects(testSubjects, "--test-subjects")
        _ = try subjects(valSubjects, "--val-subjects")
    }

    func windowOptions(for source: String, defaultLength: Int? = nil) -> HAPT.WindowOptions {
        let length = window ?? defaultLength ?? (source.lowercased().hasSuffix(".mat") || FileManager.default.fileExists(atPath: source + "/right_classall_clean.mat") ? 64 : 128)
        return HAPT.WindowOptions(length: length, step: step ?? max(1, length / 2), channels: channels, transitions: transitions)
    }

    func subjects(_ list: String?, _ flag: String) throws -> [Int32]? {
        try list.map { text in
            try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
                guard let v = Int32(item.trimmingCharacters(in: .whitespaces)), (1 ... 65_535).contains(v) else {
                    throw ValidationError("\(flag): '\(item)' is not a subject number (1 to 65535)")
                }
                return v
            }
        }
    }

    var splitOptions: SplitOptions {
        get throws {
            switch split {
            case .random: return .randomWindow(val: 0.1, test: 0.2, seed: seed)
            case .temporal: return .temporal(val: 0.1, test: 0.2)
            case .subject:
                return .subject(test: try subjects(testSubjects, "--test-subjects"), val: try subjects(valSubjects, "--val-subjects"), valCount: valCount, seed: seed)
            }
        }
    }

    /// The dataset split and normalized: with its training windows' statistics, or with a model's
    /// `preprocessing` (its window is then the default window length too).
    func load(_ nameOrPath: String, preprocessing: Preprocessing? = nil) throws -> WindowDataset {
        try DatasetStore().windows(nameOrPath, options: windowOptions(for: nameOrPath, defaultLength: preprocessing?.window))
            .split(try splitOptions, normalization: preprocessing.map { ($0.mean, $0.std) })
    }
}
