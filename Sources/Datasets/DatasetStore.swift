import Foundation
import Support

/// Where datasets live (`$MICRONAS_CACHE/datasets`, see `CacheDirectory`) and how a
/// name or a path becomes windows. Everything written goes to a temporary name first and is renamed,
/// so an interrupted fetch or prepare leaves no half-written dataset.
public struct DatasetStore: Sendable {
    public let root: URL

    public init(root: URL = CacheDirectory.datasets) {
        self.root = root
    }

    public static let names = ["uci-har"]

    public func directory(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// Runs the fetch script (`scripts/fetch_hapt.py` with the project's Python) into the cache;
    /// returns its JSON summary line. A completed fetch (RawData/ and fetch.json present) is not
    /// repeated unless `force`; a re-fetch drops the cached windows built from the old files.
    public func fetchUCIHAR(python: URL, script: URL, force: Bool = false) throws -> (summary: String, reused: Bool) {
        let dir = directory("uci-har")
        let summaryURL = dir.appendingPathComponent("fetch.json")
        if !force, FileManager.default.fileExists(atPath: dir.appendingPathComponent("RawData/labels.txt").path),
           let done = try? String(contentsOf: summaryURL, encoding: .utf8) {
            return (done.trimmingCharacters(in: .whitespacesAndNewlines), true)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for old in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where old.hasPrefix("windows-") {
            try? FileManager.default.removeItem(at: dir.appendingPathComponent(old))
        }
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw DatasetError(file: python.path, "no Python to fetch with; run `make setup`")
        }
        let r = try Subprocess.run(python.path, [script.path, dir.path])
        guard r.status == 0 else {
            // The script's last stderr line says what went wrong.
            throw DatasetError(r.stderr.split(separator: "\n").last.map(String.init) ?? "exit \(r.status)")
        }
        return (String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), false)
    }

    /// UCI-HAR windows from the fetched HAPT recordings, cached per window option set.
    public func uciHAR(_ options: HAPT.WindowOptions = HAPT.WindowOptions()) throws -> RawWindows {
        let dir = directory("uci-har")
        let raw = dir.appendingPathComponent("RawData")
        guard FileManager.default.fileExists(atPath: raw.appendingPathComponent("labels.txt").path) else {
            throw DatasetError("uci-har is not fetched (no \(raw.path)); run `micronas dataset fetch uci-har`")
        }
        // v1: the windowing code's version; bump it when windows would come out different.
        let key = "windows-v1-\(options.length)-\(options.step)-\(options.channels.rawValue)ch\(options.transitions ? "-transitions" : "")"
        let cached = dir.appendingPathComponent(key)
        if let w = try? Self.load(cached) { return w }
        let windows = try HAPT.windows(try HAPT.read(raw), options: options)
        try Self.save(windows, to: cached)
        return windows
    }

    /// Windows from a name (`uci-har`) or a path: a HAPT RawData folder (or its parent), an official
    /// UCI-HAR archive (the folder holding train/ and test/, or its parent), SkodaR (`right_classall_clean.mat`
    /// or its folder), a folder of CSV files or of X.npy / y.npy / subjects.npy.
    public func windows(_ nameOrPath: String, options: HAPT.WindowOptions = HAPT.WindowOptions()) throws -> RawWindows {
        if nameOrPath == "uci-har" { return try uciHAR(options) }
        let url = URL(fileURLWithPath: nameOrPath)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw DatasetError("unknown dataset '\(nameOrPath)': not a known name (\(Self.names.joined(separator: ", "))) and no such path")
        }
        if !isDir.boolValue {
            guard url.pathExtension.lowercased() == "mat" else { throw DatasetError(file: url.path, "a dataset is a directory or a SkodaR .mat file") }
            return try Skoda.read(url, length: options.length, step: options.step)
        }
        let fm = FileManager.default
        func has(_ p: String) -> Bool { fm.fileExists(atPath: url.appendingPathComponent(p).path) }
        if has("labels.txt") { return try HAPT.windows(try HAPT.read(url), options: options, name: url.lastPathComponent) }
        if has("RawData/labels.txt") { return try HAPT.windows(try HAPT.read(url.appendingPathComponent("RawData")), options: options, name: url.lastPathComponent) }
        if has("train/y_train.txt") { return try UCIHARArchive.read(url) }
        if has("UCI HAR Dataset/train/y_train.txt") { return try UCIHARArchive.read(url.appendingPathComponent("UCI HAR Dataset")) }
        if has("X.npy") { return try UserData.readNPY(url) }
        if has("right_classall_clean.mat") { return try Skoda.read(url.appendingPathComponent("right_classall_clean.mat"), length: options.length, step: options.step) }
        if ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).contains(where: { $0.lowercased().hasSuffix(".csv") }) {
            return try UserData.readCSV(url, length: options.length, step: options.step)
        }
        throw DatasetError(file: url.path, "not a dataset: no labels.txt (HAPT RawData), train/y_train.txt (UCI-HAR archive), X.npy or .csv files")
    }

    /// Writes the default split of a dataset (its subjects and the training mean/std per channel) next
    /// to its windows, so deploy and evaluation apply the transform training used.
    public func saveDefaultSplit(_ d: WindowDataset, name: String) throws {
        var object: [String: Any] = ["channels": d.channels, "mean": d.mean.map(Double.init), "std": d.std.map(Double.init)]
        if case let .subject(test, val) = d.splitMethod { object["test_subjects"] = test.map(Int.init); object["val_subjects"] = val.map(Int.init) }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        try AtomicWrite.file(data, to: directory(name).appendingPathComponent("split-default.json"), createParents: true)
    }

    // MARK: - Cached windows: X.npy (float32 N×T×S), y.npy, subjects.npy, meta.json

    struct Meta: Codable { var name: String; var channels: [String]; var classes: [String]; var notes: String }

    public static func save(_ w: RawWindows, to directory: URL) throws {
        try AtomicWrite.folder(at: directory, replacing: true, createParents: true) { tmp in
            try NPYArray(float32: w.x, shape: [w.count, w.length, w.channels.count]).write(to: tmp.appendingPathComponent("X.npy"))
            try NPYArray(int32: w.y, shape: [w.count]).write(to: tmp.appendingPathComponent("y.npy"))
            try NPYArray(int32: w.subjects, shape: [w.count]).write(to: tmp.appendingPathComponent("subjects.npy"))
            try JSONEncoder().encode(Meta(name: w.name, channels: w.channels, classes: w.classes, notes: w.notes))
                .write(to: tmp.appendingPathComponent("meta.json"))
        }
    }

    public static func load(_ directory: URL) throws -> RawWindows {
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: directory.appendingPathComponent("meta.json")))
        let X = try NPYArray(contentsOf: directory.appendingPathComponent("X.npy"))
        let y = try NPYArray(contentsOf: directory.appendingPathComponent("y.npy")).doubles().map { Int32($0) }
        let s = try NPYArray(contentsOf: directory.appendingPathComponent("subjects.npy")).doubles().map { Int32($0) }
        guard X.shape.count == 3, X.shape[0] == y.count, y.count == s.count, X.shape[2] == meta.channels.count else {
            throw DatasetError(file: directory.path, "cached windows are inconsistent; delete the folder to rebuild")
        }
        let x = X.data.withUnsafeBytes { raw in (0..<X.count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        return RawWindows(name: meta.name, length: X.shape[1], channels: meta.channels, classes: meta.classes, x: x, y: y, subjects: s, notes: meta.notes)
    }
}
