import Foundation

/// The official UCI-HAR archive (Anguita et al., 2013): `{train,test}/Inertial Signals/<signal>_<split>.txt`
/// (one 128-value window per line, per signal), `y_<split>.txt` (1–6), `subject_<split>.txt`.
public enum UCIHARArchive {
    public static let signals = ["body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z",
                                 "total_acc_x", "total_acc_y", "total_acc_z"]

    /// `directory` is the archive's root (the folder holding train/ and test/, i.e. "UCI HAR Dataset").
    public static func read(_ directory: URL) throws -> RawWindows {
        var x: [Float] = [], y: [Int32] = [], subjects: [Int32] = [], isTest: [Bool] = []
        var length = 0
        for part in ["train", "test"] {
            let folder = directory.appendingPathComponent(part)
            let labels = try TextTable.numbers(folder.appendingPathComponent("y_\(part).txt"), columns: 1)
            let subj = try TextTable.numbers(folder.appendingPathComponent("subject_\(part).txt"), columns: 1)
            guard labels.rows == subj.rows else {
                throw DatasetError(file: folder.appendingPathComponent("subject_\(part).txt").path, "\(subj.rows) lines, y_\(part).txt has \(labels.rows)")
            }
            var columns: [[Double]] = []
            for s in signals {
                let url = folder.appendingPathComponent("Inertial Signals/\(s)_\(part).txt")
                let t = try TextTable.numbers(url)
                guard t.rows == labels.rows else { throw DatasetError(file: url.path, "\(t.rows) windows, y_\(part).txt has \(labels.rows)") }
                if length == 0 { length = t.columns }
                guard t.columns == length else { throw DatasetError(file: url.path, "windows of \(t.columns) samples, expected \(length)") }
                columns.append(t.values)
            }
            for (i, label) in labels.values.enumerated() {
                guard let activity = TextTable.whole(label, in: 1...6) else {
                    throw DatasetError(file: folder.appendingPathComponent("y_\(part).txt").path, line: i + 1, "unknown activity \(label) (1–6)")
                }
                guard let subject = TextTable.whole(subj.values[i], in: 0...1_000_000_000) else {
                    throw DatasetError(file: folder.appendingPathComponent("subject_\(part).txt").path, line: i + 1, "subject \(subj.values[i]) is not a whole number in 0…1000000000")
                }
                for t in 0..<length {
                    for c in 0..<signals.count {
                        let v = columns[c][i * length + t]
                        guard TextTable.isFloat32(v) else {
                            throw DatasetError(file: folder.appendingPathComponent("Inertial Signals/\(signals[c])_\(part).txt").path, line: i + 1,
                                               "value \(v) is not a finite float32")
                        }
                        x.append(Float(v))
                    }
                }
                y.append(Int32(activity - 1))
                subjects.append(Int32(subject))
                isTest.append(part == "test")
            }
        }
        return RawWindows(name: "uci-har-archive", length: length, channels: signals, classes: HAPT.activities, x: x, y: y, subjects: subjects,
                          fixedTest: isTest, notes: "official UCI-HAR archive windows (its own preprocessing); test subjects as the archive splits them")
    }
}

/// User recordings: a directory of CSV files (one recording each: a header, numeric channel columns,
/// a `label` column, an optional `subject` column), or of NPY arrays (`X.npy` float [N, T, S],
/// `y.npy` int [N], optional `subjects.npy` int [N]).
public enum UserData {
    /// Windows of `length` every `step` samples inside runs of one label. Class names are the sorted
    /// distinct labels; a file without a `subject` column is its own subject (numbered by file order).
    public static func readCSV(_ directory: URL, length: Int, step: Int) throws -> RawWindows {
        let files = ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension.lowercased() == "csv" }.sorted { $0.path < $1.path }
        guard !files.isEmpty else { throw DatasetError(file: directory.path, "no .csv files") }
        struct Recording { var values: [[Double]]; var labels: [String]; var subjects: [Int32] }
        var recordings: [Recording] = []
        var channelNames: [String]? = nil
        for (fileIndex, url) in files.enumerated() {
            let lines = TextTable.lines(try TextTable.contents(url))
            guard let headerLine = lines.first else { throw DatasetError(file: url.path, "empty file") }
            let header = TextTable.fields(headerLine, separator: 0x2C).map { TextTable.text($0).lowercased() }
            guard let labelColumn = header.firstIndex(of: "label") else { throw DatasetError(file: url.path, line: 1, "no 'label' column") }
            let subjectColumn = header.firstIndex(of: "subject")
            let channelColumns = header.indices.filter { $0 != labelColumn && $0 != subjectColumn }
            guard !channelColumns.isEmpty else { throw DatasetError(file: url.path, line: 1, "no channel columns") }
            let names = channelColumns.map { header[$0] }
            if let known = channelNames, known != names {
                throw DatasetError(file: url.path, line: 1, "channels \(names) differ from \(files[0].lastPathComponent)'s \(known)")
            }
            channelNames = names
            var rec = Recording(values: Array(repeating: [], count: names.count), labels: [], subjects: [])
            for (i, line) in lines.enumerated().dropFirst() {
                let f = TextTable.fields(line, separator: 0x2C)
                if f.count == 1 && f[0].isEmpty { continue }
                guard f.count == header.count else { throw DatasetError(file: url.path, line: i + 1, "\(f.count) columns, expected \(header.count) (ragged row)") }
                for (k, c) in channelColumns.enumerated() { rec.values[k].append(try TextTable.number(f[c], file: url.path, line: i + 1, column: c + 1)) }
                let label = TextTable.text(f[labelColumn])
                guard !label.isEmpty else { throw DatasetError(file: url.path, line: i + 1, "empty label") }
                rec.labels.append(label)
                if let sc = subjectColumn {
                    let v = try TextTable.number(f[sc], file: url.path, line: i + 1, column: sc + 1)
                    guard v == v.rounded(), abs(v) < 1e9 else { throw DatasetError(file: url.path, line: i + 1, "subject \(v) is not an integer") }
                    rec.subjects.append(Int32(v))
                } else {
                    rec.subjects.append(Int32(fileIndex + 1))
                }
            }
            guard rec.labels.count >= length else {
                throw DatasetError(file: url.path, "\(rec.labels.count) samples, fewer than one window of \(length)")
            }
            recordings.append(rec)
        }
        let classes = Array(Set(recordings.flatMap(\.labels))).sorted()
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int32($0)) })
        var x: [Float] = [], y: [Int32] = [], subjects: [Int32] = []
        for (r, rec) in recordings.enumerated() {
            var first = 0
            for i in 1...rec.labels.count where i == rec.labels.count || rec.labels[i] != rec.labels[first] || rec.subjects[i] != rec.subjects[first] {
                for start in windowStarts(first: first, last: i - 1, length: length, step: step) {
                    for t in start..<(start + length) { for c in 0..<rec.values.count { x.append(Float(rec.values[c][t])) } }
                    y.append(classIndex[rec.labels[first]]!)
                    subjects.append(rec.subjects[first])
                }
                first = i
            }
            _ = r
        }
        guard !y.isEmpty else { throw DatasetError(file: directory.path, "no run of one label is as long as one window (\(length) samples)") }
        for (c, name) in classes.enumerated() where !y.contains(Int32(c)) {
            throw DatasetError(file: directory.path, "class '\(name)' has no window (its runs are all shorter than \(length) samples)")
        }
        return RawWindows(name: directory.lastPathComponent, length: length, channels: channelNames!, classes: classes, x: x, y: y,
                          subjects: subjects, notes: "CSV recordings, \(length)-sample windows every \(step) inside runs of one label")
    }

    public static func readNPY(_ directory: URL) throws -> RawWindows {
        let xURL = directory.appendingPathComponent("X.npy"), yURL = directory.appendingPathComponent("y.npy")
        guard FileManager.default.fileExists(atPath: xURL.path) else { throw DatasetError(file: xURL.path, "missing file") }
        let X = try NPYArray(contentsOf: xURL), Y = try NPYArray(contentsOf: yURL)
        guard X.shape.count == 3, X.dtype == .float32 || X.dtype == .float64 else {
            throw DatasetError(file: xURL.path, "X must be float32 [N, T, S], got \(X.dtype.name) \(X.shape)")
        }
        guard Y.shape == [X.shape[0]], [.int8, .int32, .int64].contains(Y.dtype) else {
            throw DatasetError(file: yURL.path, "y must be int [\(X.shape[0])], got \(Y.dtype.name) \(Y.shape)")
        }
        guard X.shape.allSatisfy({ $0 >= 1 }) else {
            throw DatasetError(file: xURL.path, "X holds no data (\(X.shape)): it needs at least one window of one sample and one channel")
        }
        let values = X.doubles()
        if let bad = values.firstIndex(where: { !TextTable.isFloat32($0) }) {
            throw DatasetError(file: xURL.path, "window \(bad / (X.shape[1] * X.shape[2])) holds \(values[bad]), not a finite float32")
        }
        let maxClass = (1 << 16) - 1  // the search space's class limit
        let labels = try Y.doubles().enumerated().map { i, v -> Int32 in
            guard let n = TextTable.whole(v, in: Int(Int32.min)...Int(Int32.max)) else {
                throw DatasetError(file: yURL.path, "label \(v) at index \(i) is outside 0…\(maxClass)")
            }
            guard n <= maxClass else { throw DatasetError(file: yURL.path, "label \(n) at index \(i) is outside 0…\(maxClass)") }
            return Int32(n)
        }
        let classIDs = Array(Set(labels)).sorted()
        guard let lowest = classIDs.first, lowest >= 0 else { throw DatasetError(file: yURL.path, "labels must be ≥ 0") }
        let classCount = Int(classIDs.last!) + 1
        if let missing = (0..<classCount).first(where: { !classIDs.contains(Int32($0)) }) {
            throw DatasetError(file: yURL.path, "class \(missing) has no window (labels run 0…\(classCount - 1))")
        }
        var subjects = [Int32](repeating: 0, count: labels.count)
        let sURL = directory.appendingPathComponent("subjects.npy")
        if FileManager.default.fileExists(atPath: sURL.path) {
            let S = try NPYArray(contentsOf: sURL)
            guard S.shape == [X.shape[0]], [.int8, .int32, .int64].contains(S.dtype) else {
                throw DatasetError(file: sURL.path, "subjects must be int [\(X.shape[0])], got \(S.dtype.name) \(S.shape)")
            }
            subjects = try S.doubles().enumerated().map { i, v -> Int32 in
                guard let n = TextTable.whole(v, in: 0...1_000_000_000) else {
                    throw DatasetError(file: sURL.path, "subject \(v) at index \(i) is not a whole number in 0…1000000000")
                }
                return Int32(n)
            }
        }
        return RawWindows(name: directory.lastPathComponent, length: X.shape[1], channels: (0..<X.shape[2]).map { "ch\($0)" },
                          classes: (0..<classCount).map { "class\($0)" }, x: values.map(Float.init), y: labels, subjects: subjects,
                          notes: "NPY windows")
    }
}
