import Datasets
import Foundation
import TestSupport
import XCTest

/// Every reader on small generated files: windowing arithmetic, splits, normalization, bad input.
final class DatasetReaderTests: XCTestCase {
    /// A HAPT RawData folder: `experiments` as (user, rows, segments (label, first, last)).
    func makeHAPT(_ experiments: [(user: Int, rows: Int, segments: [(Int, Int, Int)])]) throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        var labels = ""
        for (i, e) in experiments.enumerated() {
            let name = String(format: "exp%02d_user%02d.txt", i + 1, e.user)
            var acc = "", gyro = ""
            for r in 0..<e.rows {
                let t = Double(r) / 50
                acc += "\(sin(t) * 0.5 + 1) \(cos(t) * 0.2) \(Double(e.user) * 0.01)\n"
                gyro += "\(sin(3 * t)) \(Double(r % 7) * 0.1) \(-0.2)\n"
            }
            try acc.write(to: dir.appendingPathComponent("acc_" + name), atomically: true, encoding: .utf8)
            try gyro.write(to: dir.appendingPathComponent("gyro_" + name), atomically: true, encoding: .utf8)
            for s in e.segments { labels += "\(i + 1) \(e.user) \(s.0) \(s.1) \(s.2)\n" }
        }
        try labels.write(to: dir.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    func testHAPTWindowingArithmetic() throws {
        // Segment lengths 128 (1 window), 191 (1), 192 (2), 500 (floor((500−128)/64)+1 = 6), 127 (0);
        // a transition (7) is dropped unless asked for.
        let dir = try makeHAPT([(1, 1200, [(1, 0, 127), (2, 200, 390), (7, 391, 600), (3, 601, 792), (4, 800, 1299 - 200)]),
                                (2, 300, [(5, 10, 136), (6, 140, 267)])])
        let recs = try HAPT.read(dir)
        XCTAssertEqual(recs.map(\.rows), [1200, 300])
        let w = try HAPT.windows(recs)
        // exp 1: 1 + 1 + 2 + floor((300−128)/64)+1 = 3 → 7; exp 2: 0 (127 samples) + 1 → 1.
        XCTAssertEqual(w.count, 7 + 1)
        XCTAssertEqual(w.y, [0, 1, 2, 2, 3, 3, 3, 5])
        XCTAssertEqual(w.subjects, [1, 1, 1, 1, 1, 1, 1, 2])
        XCTAssertEqual(w.x.count, 8 * 128 * 9)
        let withTransitions = try HAPT.windows(recs, options: .init(transitions: true))
        XCTAssertEqual(withTransitions.count, 8 + 2, "the 210-sample transition gives floor((210 − 128) / 64) + 1 = 2 windows")
        XCTAssertEqual(withTransitions.classes.count, 12)
        // total_acc columns are the file's acc; body = total − gravity; gyro passes through (raw order in 6-channel mode).
        let raw6 = try HAPT.windows(recs, options: .init(channels: .raw6))
        XCTAssertEqual(raw6.x[0], Float(sin(0.0) * 0.5 + 1), accuracy: 1e-6)
        XCTAssertEqual(raw6.x[3], Float(sin(0.0)), accuracy: 1e-6)
        let nine = w.x
        XCTAssertEqual(nine[6], raw6.x[0], accuracy: 1e-6, "total_acc_x is channel 6 of the UCI-HAR 9")
        XCTAssertEqual(nine[0] + (nine[6] - nine[0]), nine[6], accuracy: 1e-6)
    }

    func testWindowStarts() {
        XCTAssertEqual(windowStarts(first: 0, last: 127, length: 128, step: 64), [0])
        XCTAssertEqual(windowStarts(first: 10, last: 255, length: 128, step: 64), [10, 74])
        XCTAssertEqual(windowStarts(first: 0, last: 126, length: 128, step: 64), [])
        XCTAssertEqual(windowStarts(first: 5, last: 5 + 128 + 62, length: 128, step: 64), [5], "191 samples: one window")
        XCTAssertEqual(windowStarts(first: 5, last: 5 + 128 + 63, length: 128, step: 64), [5, 69], "192 samples: two")
    }

    /// The gravity filter against the closed form of a bilinear Butterworth:
    /// |H(e^{iω})|² = 1 / (1 + (tan(ω/2) / tan(ωc/2))^(2n)).
    func testButterworthMatchesTheClosedForm() {
        for (order, cutoff) in [(3, 0.3), (2, 5.0), (4, 1.0)] {
            let f = Butterworth(order: order, cutoff: cutoff, rate: 50)
            XCTAssertEqual(f.a[0], 1)
            for hz in [0.0, 0.05, 0.3, 1, 2.5, 10, 24] {
                let w = 2 * Double.pi * hz / 50, wc = 2 * Double.pi * cutoff / 50
                let expected = 1 / sqrt(1 + pow(tan(w / 2) / tan(wc / 2), Double(2 * order)))
                XCTAssertEqual(f.magnitude(at: hz, rate: 50), expected, accuracy: 1e-9, "order \(order) fc \(cutoff) at \(hz) Hz")
            }
        }
        let lp = Butterworth(order: 3, cutoff: 0.3, rate: 50)
        let constant = [Double](repeating: 0.98, count: 400)
        XCTAssertEqual(lp.filtfilt(constant).map { abs($0 - 0.98) }.max()!, 0, accuracy: 1e-9, "a constant passes unchanged")
        // Away from the ends (the 0.3 Hz poles decay with τ ≈ 53 samples), 5 Hz is gone: |H|² ≈ 4e−8.
        let fast = (0..<2000).map { sin(2 * Double.pi * 5 * Double($0) / 50) }
        XCTAssertLessThan(lp.filtfilt(fast)[600..<1400].map(abs).max()!, 1e-4, "5 Hz is removed")
        let slow = (0..<2000).map { sin(2 * Double.pi * 0.02 * Double($0) / 50) }
        let out = lp.filtfilt(slow)
        XCTAssertLessThan((300..<1700).map { abs(out[$0] - slow[$0]) }.max()!, 0.01, "0.02 Hz passes with no phase lag")
    }

    func testUCIHARArchive() throws {
        let root = try Fixtures.temporaryDirectory().appendingPathComponent("UCI HAR Dataset")
        for (part, n, subject) in [("train", 6, 1), ("test", 2, 2)] {
            let folder = root.appendingPathComponent("\(part)/Inertial Signals")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (k, s) in UCIHARArchive.signals.enumerated() {
                let rows = (0..<n).map { w in (0..<4).map { t in "\(Double(k * 100 + w * 10 + t))" }.joined(separator: " ") }
                try (rows.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("\(s)_\(part).txt"), atomically: true, encoding: .utf8)
            }
            try (Array(repeating: "\(subject)", count: n).joined(separator: "\n") + "\n").write(to: root.appendingPathComponent("\(part)/subject_\(part).txt"), atomically: true, encoding: .utf8)
            try ((1...n).map { "\($0)" }.joined(separator: "\n") + "\n").write(to: root.appendingPathComponent("\(part)/y_\(part).txt"), atomically: true, encoding: .utf8)
        }
        let w = try DatasetStore().windows(root.deletingLastPathComponent().path)
        XCTAssertEqual(w.count, 8)
        XCTAssertEqual(w.length, 4)
        XCTAssertEqual(w.y, [0, 1, 2, 3, 4, 5, 0, 1])
        // Window 1 (train), time 2, channel 3 (body_gyro_x) = 3·100 + 1·10 + 2.
        XCTAssertEqual(w.x[(1 * 4 + 2) * 9 + 3], 312)
        let d = try w.split(.subject(test: nil, val: [], valCount: 0, seed: 1))
        XCTAssertEqual(d.summary(.test).subjects, [2], "the archive's own test set")
    }

    func testCSVRecordings() throws {
        let dir = try Fixtures.temporaryDirectory()
        // File a: subject column, labels walk ×300 then sit ×100 (too short for 128) then walk ×200.
        var a = "ax,ay,label,subject\n"
        for i in 0..<600 { a += "\(i),\(-i),\(i < 300 || i >= 400 ? "walk" : "sit"),7\n" }
        try a.write(to: dir.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        // File b: no subject column (its own subject, number 2 by file order), 256 "sit" samples.
        var b = "ax,ay,label\n"
        for i in 0..<256 { b += "\(i * 2),\(i),sit\n" }
        try b.write(to: dir.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
        let w = try UserData.readCSV(dir, length: 128, step: 64)
        XCTAssertEqual(w.classes, ["sit", "walk"])
        // a: walk 300 → 3 windows, sit 100 → 0, walk 200 → 2; b: sit 256 → 3.
        XCTAssertEqual(w.y, [1, 1, 1, 1, 1, 0, 0, 0])
        XCTAssertEqual(w.subjects, [7, 7, 7, 7, 7, 2, 2, 2])
        XCTAssertEqual(w.x[(3 * 128) * 2], 400, "the 4th window starts at row 400")
    }

    func testNPYFolder() throws {
        let dir = try Fixtures.temporaryDirectory()
        try NPYArray(float32: (0..<(6 * 5 * 2)).map(Float.init), shape: [6, 5, 2]).write(to: dir.appendingPathComponent("X.npy"))
        try NPYArray(int32: [0, 1, 2, 0, 1, 2], shape: [6]).write(to: dir.appendingPathComponent("y.npy"))
        try NPYArray(int32: [1, 1, 1, 2, 2, 3], shape: [6]).write(to: dir.appendingPathComponent("subjects.npy"))
        let w = try DatasetStore().windows(dir.path)
        XCTAssertEqual(w.count, 6)
        XCTAssertEqual(w.length, 5)
        XCTAssertEqual(w.classes.count, 3)
        let d = try w.split(.subject(test: [3], val: [2], valCount: 0, seed: 1))
        XCTAssertEqual(d.summary(.train).windows, 3)
        XCTAssertEqual(d.summary(.test).subjects, [3])
    }

    func testSubjectSplitsAreDisjointAndNormalizedOnTrain() throws {
        let experiments = (1...12).map { u in (user: u, rows: 700, segments: [(1 + u % 6, 0, 299), (1 + (u + 1) % 6, 300, 699)]) }
        let w = try HAPT.windows(try HAPT.read(try makeHAPT(experiments)))
        let d = try w.split(.subject(test: [2, 4, 9, 10, 12], val: nil, valCount: 3, seed: 5))
        var seen: [Int32: WindowDataset.Split] = [:]
        for i in 0..<d.count {
            if let s = seen[d.subjects[i]] { XCTAssertEqual(s, d.split[i], "subject \(d.subjects[i]) in two splits") }
            seen[d.subjects[i]] = d.split[i]
        }
        XCTAssertEqual(d.summary(.val).subjects.count, 3)
        XCTAssertEqual(try w.split(.subject(test: [2, 4, 9, 10, 12], val: nil, valCount: 3, seed: 5)).summary(.val).subjects,
                       d.summary(.val).subjects, "seeded")
        // Training windows have mean 0 and standard deviation 1 per channel.
        let train = d.indices(.train)
        for c in 0..<9 {
            var values: [Double] = []
            for i in train { for t in 0..<d.length { values.append(Double(d.x[(i * d.length + t) * 9 + c])) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let sd = sqrt(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count))
            XCTAssertEqual(mean, 0, accuracy: 1e-4)
            if d.std[c] > 1e-6 { XCTAssertEqual(sd, 1, accuracy: 1e-3, "channel \(c)") }
        }
    }

    // MARK: - Bad input

    func testBadFilesNameFileLineAndCause() throws {
        let dir = try makeHAPT([(1, 300, [(1, 0, 199)])])
        let acc = dir.appendingPathComponent("acc_exp01_user01.txt")
        var lines = try String(contentsOf: acc, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[4] = "0.1 0.2"
        try (lines.joined(separator: "\n") + "\n").write(to: acc, atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.read(dir) }, "\(acc.path):5: 2 columns, expected 3 (ragged row)")
        lines[4] = "0.1 abc 0.3"
        try (lines.joined(separator: "\n") + "\n").write(to: acc, atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.read(dir) }, "\(acc.path):5: column 2: 'abc' is not a number")
        lines[4] = "0.1 nan 0.3"
        try (lines.joined(separator: "\n") + "\n").write(to: acc, atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.read(dir) }, "\(acc.path):5: column 2: nan is not finite")
        lines[4] = "0.1 inf 0.3"
        try (lines.joined(separator: "\n") + "\n").write(to: acc, atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.read(dir) }, "\(acc.path):5: column 2: inf is not finite")
        lines[4] = "0.1 0.2 0.3"
        try (lines.joined(separator: "\n") + "\n").write(to: acc, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("gyro_exp01_user01.txt"))
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.read(dir) }, "\(dir.appendingPathComponent("gyro_exp01_user01.txt").path): missing file")

        let unknown = try makeHAPT([(1, 300, [(1, 0, 199), (13, 200, 299)])])
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.read(unknown) },
                       "\(unknown.appendingPathComponent("labels.txt").path):2: unknown activity 13 (HAPT labels are 1–12)")
        let outside = try makeHAPT([(1, 300, [(1, 0, 399)])])
        XCTAssertTrue(Fixtures.errorMessage { try HAPT.read(outside) }.contains("ends at row 399, the recording has 300 rows"))
        let short = try makeHAPT([(1, 300, [(1, 0, 99)])])
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.windows(try HAPT.read(short)) }, "uci-har: no segment is as long as one window (128 samples)")
    }

    /// Numbers that do not fit what they stand for (a label of 1e12, a subject of 2^62, an activity
    /// id of 1e30, a float64 beyond float32, windows of no samples) are errors naming the file, not
    /// traps or silent garbage (issue 23).
    func testOutOfRangeNumbersInDatasetFilesAreNamed() throws {
        let haptDir = try makeHAPT([(1, 300, [(1, 0, 199)])])
        try "1 1 1e30 0 199\n".write(to: haptDir.appendingPathComponent("labels.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try HAPT.read(haptDir) },
                       "\(haptDir.appendingPathComponent("labels.txt").path):1: activity 1e+30 is not a whole number in 0…1000000000")

        func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
        func npy(x: NPYArray, y: NPYArray, subjects: NPYArray? = nil) throws -> URL {
            let dir = try Fixtures.temporaryDirectory()
            try x.write(to: dir.appendingPathComponent("X.npy"))
            try y.write(to: dir.appendingPathComponent("y.npy"))
            try subjects?.write(to: dir.appendingPathComponent("subjects.npy"))
            return dir
        }
        let x = NPYArray(float32: (0..<12).map(Float.init), shape: [2, 3, 2])
        let y = NPYArray(int32: [0, 1], shape: [2])
        var d = try npy(x: x, y: NPYArray(dtype: .int64, shape: [2], data: bytes([Int64(0), 1_000_000_000_000])))
        XCTAssertEqual(Fixtures.errorMessage { try UserData.readNPY(d) }, "\(d.appendingPathComponent("y.npy").path): label 1000000000000.0 at index 1 is outside 0…65535")
        d = try npy(x: x, y: y, subjects: NPYArray(dtype: .int64, shape: [2], data: bytes([Int64(1), 1 << 62])))
        XCTAssertEqual(Fixtures.errorMessage { try UserData.readNPY(d) },
                       "\(d.appendingPathComponent("subjects.npy").path): subject 4.611686018427388e+18 at index 1 is not a whole number in 0…1000000000")
        d = try npy(x: NPYArray(dtype: .float64, shape: [2, 3, 2], data: bytes((0..<12).map { $0 == 7 ? 1e300 : Double($0) })), y: y)
        XCTAssertEqual(Fixtures.errorMessage { try UserData.readNPY(d) }, "\(d.appendingPathComponent("X.npy").path): window 1 holds 1e+300, not a finite float32")
        d = try npy(x: NPYArray(float32: [], shape: [2, 0, 2]), y: y)
        XCTAssertEqual(Fixtures.errorMessage { try UserData.readNPY(d) },
                       "\(d.appendingPathComponent("X.npy").path): X holds no data ([2, 0, 2]): it needs at least one window of one sample and one channel")
    }

    /// Found by `make fuzz`: a header whose ')' comes before its '(' trapped slicing the shape.
    func testNPYShapeWithParenthesesOutOfOrder() throws {
        let header = "{'descr': '<i4', 'fortran_order': False, 'shape': )2,(, }"
        let padded = header + String(repeating: " ", count: 128 - 10 - header.count - 1) + "\n"
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0] + Array(padded.utf8) + [0, 0, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(Fixtures.errorMessage { try NPYArray(bytes: bytes, file: "f.npy") }, "f.npy: header has no 'shape'")
    }

    func testBadCSVAndSplits() throws {
        let dir = try Fixtures.temporaryDirectory()
        try "ax,label\n1,a\n2\n".write(to: dir.appendingPathComponent("r.csv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try UserData.readCSV(dir, length: 1, step: 1) },
                       "\(dir.appendingPathComponent("r.csv").path):3: 1 columns, expected 2 (ragged row)")
        try "ax,label\n1,a\n2,b\n".write(to: dir.appendingPathComponent("r.csv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try UserData.readCSV(dir, length: 4, step: 1) },
                       "\(dir.appendingPathComponent("r.csv").path): 2 samples, fewer than one window of 4")
        try "ax,label\n1,a\n2,a\n3,b\n".write(to: dir.appendingPathComponent("r.csv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(Fixtures.errorMessage { try UserData.readCSV(dir, length: 2, step: 1) },
                       "\(dir.path): class 'b' has no window (its runs are all shorter than 2 samples)")

        let w = RawWindows(name: "t", length: 1, channels: ["c"], classes: ["a", "b"], x: [1, 2, 3, 4], y: [0, 1, 0, 0], subjects: [1, 2, 3, 4])
        XCTAssertEqual(Fixtures.errorMessage { try w.split(.subject(test: [3], val: [3], valCount: 0, seed: 1)) },
                       "t: subject 3 is in both the test and the validation split")
        XCTAssertEqual(Fixtures.errorMessage { try w.split(.subject(test: [2], val: [], valCount: 0, seed: 1)) },
                       "t: class 'b' has no training windows")
        XCTAssertEqual(Fixtures.errorMessage { try w.split(.subject(test: [9], val: nil, valCount: 1, seed: 1)) },
                       "t: test subject 9 has no windows (subjects: 1, 2, 3, 4)")
    }
}
