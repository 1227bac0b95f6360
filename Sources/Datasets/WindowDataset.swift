import Foundation
import Support

/// Fixed-length windows of multichannel time series with a class and a subject each, split into
/// train / validation / test, z-scored per channel with training statistics.
public struct WindowDataset: Sendable {
    public var name: String
    /// Window length T (samples) and channels S.
    public var length: Int
    public var channels: [String]
    public var classes: [String]
    /// N × T × S values, window-major then time then channel (NHWC with H = time, W = channel).
    public var x: [Float]
    public var y: [Int32]
    public var subjects: [Int32]
    public var split: [Split]
    public var splitMethod: SplitMethod
    /// Per-channel mean and standard deviation of the training windows, already applied to `x`.
    public var mean: [Float]
    public var std: [Float]
    /// Free-form provenance (source, filters, step).
    public var notes: String

    public enum Split: UInt8, Sendable, CaseIterable, Codable { case train = 0, val = 1, test = 2
        public var name: String { ["train", "val", "test"][Int(rawValue)] }
    }

    public enum SplitMethod: Sendable, Codable, Equatable {
        /// Whole subjects in each split (no window of a subject in two splits).
        case subject(test: [Int32], val: [Int32])
        /// Windows shuffled into splits: overlapping windows of one recording land in different
        /// splits, so test accuracy is optimistic (only for comparison with published numbers).
        case randomWindow(seed: UInt64)
        /// Windows in recording order: the first part trains, the next validates, the last tests
        /// (single-subject data such as SkodaR); only the windows at the two boundaries overlap.
        case temporal(val: Double, test: Double)
    }

    public var count: Int { y.count }
    public var windowSize: Int { length * channels.count }

    public func indices(_ s: Split) -> [Int] { (0..<count).filter { split[$0] == s } }

    public struct SplitSummary: Sendable {
        public var windows: Int
        public var subjects: [Int32]
        public var perClass: [Int]
    }

    public func summary(_ s: Split) -> SplitSummary {
        let idx = indices(s)
        var perClass = [Int](repeating: 0, count: classes.count)
        for i in idx { perClass[Int(y[i])] += 1 }
        return SplitSummary(windows: idx.count, subjects: Array(Set(idx.map { subjects[$0] })).sorted(), perClass: perClass)
    }

    /// The same windows with the validation split trained on too (a final training once the
    /// validation windows have done their work, e.g. choosing an architecture). The test split and
    /// the normalization (the original training windows' statistics) are unchanged, so a model
    /// trained on it is tested on exactly the same normalized test windows.
    public func mergingValidationIntoTraining() -> WindowDataset {
        var d = self
        d.split = split.map { $0 == .val ? .train : $0 }
        if case .subject(let test, _) = splitMethod { d.splitMethod = .subject(test: test, val: []) }
        return d
    }
}

/// Unsplit, unnormalized windows as a reader produces them.
public struct RawWindows: Sendable {
    public var name: String
    public var length: Int
    public var channels: [String]
    public var classes: [String]
    public var x: [Float]
    public var y: [Int32]
    public var subjects: [Int32]
    /// A split fixed by the source (the official UCI-HAR archive's train/test), if any.
    public var fixedTest: [Bool]?
    public var notes: String

    public var count: Int { y.count }

    public init(name: String, length: Int, channels: [String], classes: [String], x: [Float], y: [Int32], subjects: [Int32],
                fixedTest: [Bool]? = nil, notes: String = "") {
        (self.name, self.length, self.channels, self.classes, self.x, self.y, self.subjects) = (name, length, channels, classes, x, y, subjects)
        (self.fixedTest, self.notes) = (fixedTest, notes)
    }
}

public enum SplitOptions: Sendable, Equatable {
    /// Test subjects as given (default: UCI-HAR's 2, 4, 9, 10, 12, 13, 18, 20, 24); `valSubjects`
    /// drawn with `seed` from the remaining ones (or the given list).
    case subject(test: [Int32]?, val: [Int32]?, valCount: Int, seed: UInt64)
    /// Shuffled windows: `val` and `test` fractions.
    case randomWindow(val: Double, test: Double, seed: UInt64)
    /// In order: the last `test` fraction tests, the `val` fraction before it validates.
    case temporal(val: Double, test: Double)

    public static let uciHARTestSubjects: [Int32] = [2, 4, 9, 10, 12, 13, 18, 20, 24]
    public static let `default` = SplitOptions.subject(test: nil, val: nil, valCount: 4, seed: 1)
}

extension RawWindows {
    /// Splits and normalizes: with the training windows' own per-channel statistics, or with
    /// `normalization` (a trained model's, which must be applied unchanged to the data it meets).
    /// Errors: a subject in two splits, a split or a class left empty.
    public func split(_ options: SplitOptions = .default, normalization: (mean: [Float], std: [Float])? = nil) throws -> WindowDataset {
        guard count > 0 else { throw DatasetError("\(name): no windows") }
        var split = [WindowDataset.Split](repeating: .train, count: count)
        let method: WindowDataset.SplitMethod
        switch options {
        case let .subject(testList, valList, valCount, seed):
            let all = Array(Set(subjects)).sorted()
            var test: [Int32]
            if let fixed = fixedTest, testList == nil {
                test = Array(Set(zip(subjects, fixed).filter { $0.1 }.map(\.0))).sorted()
            } else {
                test = (testList ?? SplitOptions.uciHARTestSubjects).filter { all.contains($0) }
            }
            if let given = testList {
                for s in given where !all.contains(s) { throw DatasetError("\(name): test subject \(s) has no windows (subjects: \(all.map(String.init).joined(separator: ", ")))") }
                test = given
            }
            var val: [Int32]
            if let given = valList {
                for s in given where !all.contains(s) { throw DatasetError("\(name): validation subject \(s) has no windows") }
                if let both = given.first(where: test.contains) { throw DatasetError("\(name): subject \(both) is in both the test and the validation split") }
                val = given
            } else {
                var rest = all.filter { !test.contains($0) }
                var g = SplitMix64(seed: seed)
                for i in stride(from: rest.count - 1, to: 0, by: -1) { rest.swapAt(i, Int(g.next() % UInt64(i + 1))) }
                val = Array(rest.prefix(min(valCount, max(0, rest.count - 1)))).sorted()
            }
            for i in 0..<count {
                if test.contains(subjects[i]) { split[i] = .test } else if val.contains(subjects[i]) { split[i] = .val }
            }
            method = .subject(test: test.sorted(), val: val.sorted())
        case let .temporal(valFraction, testFraction):
            guard valFraction >= 0, testFraction > 0, valFraction + testFraction < 1 else {
                throw DatasetError("\(name): split fractions val \(valFraction), test \(testFraction) must be ≥ 0, > 0 and sum below 1")
            }
            let nTest = Int((Double(count) * testFraction).rounded()), nVal = Int((Double(count) * valFraction).rounded())
            for i in 0..<count { split[i] = i >= count - nTest ? .test : (i >= count - nTest - nVal ? .val : .train) }
            method = .temporal(val: valFraction, test: testFraction)
        case let .randomWindow(valFraction, testFraction, seed):
            guard valFraction >= 0, testFraction > 0, valFraction + testFraction < 1 else {
                throw DatasetError("\(name): random split fractions val \(valFraction), test \(testFraction) must be ≥ 0, > 0 and sum below 1")
            }
            var order = Array(0..<count)
            var g = SplitMix64(seed: seed)
            for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(g.next() % UInt64(i + 1))) }
            let nTest = Int((Double(count) * testFraction).rounded()), nVal = Int((Double(count) * valFraction).rounded())
            for (k, i) in order.enumerated() { split[i] = k < nTest ? .test : (k < nTest + nVal ? .val : .train) }
            method = .randomWindow(seed: seed)
        }
        // Every split must have windows (validation may be empty when no validation subjects were asked
        // for); every class must have training windows.
        var noValidationAsked = false
        if case .subject(_, _, 0, _) = options { noValidationAsked = true }
        for s in WindowDataset.Split.allCases where !split.contains(s) && !(s == .val && noValidationAsked) {
            throw DatasetError("\(name): the \(s.name) split is empty")
        }
        var trainPerClass = [Int](repeating: 0, count: classes.count)
        for i in 0..<count where split[i] == .train { trainPerClass[Int(y[i])] += 1 }
        if let empty = trainPerClass.firstIndex(of: 0) { throw DatasetError("\(name): class '\(classes[empty])' has no training windows") }
        // z-score per channel with training statistics (two passes in Double).
        let s = channels.count
        var sum = [Double](repeating: 0, count: s), sumSq = [Double](repeating: 0, count: s)
        var n = 0
        for i in 0..<count where split[i] == .train {
            let base = i * length * s
            for t in 0..<length { for c in 0..<s { sum[c] += Double(x[base + t * s + c]) } }
            n += length
        }
        var mean = sum.map { $0 / Double(n) }
        for i in 0..<count where split[i] == .train {
            let base = i * length * s
            for t in 0..<length { for c in 0..<s { let d = Double(x[base + t * s + c]) - mean[c]; sumSq[c] += d * d } }
        }
        var std = sumSq.map { max(sqrt($0 / Double(n)), 1e-8) }
        if let given = normalization {
            guard given.mean.count == s, given.std.count == s else {
                throw DatasetError("\(name): the normalization has \(given.mean.count) means and \(given.std.count) deviations for \(s) channels")
            }
            (mean, std) = (given.mean.map(Double.init), given.std.map(Double.init))
        }
        // The statistics a model carries are float32: normalize with exactly those numbers, so the
        // windows a model is trained on and the ones it is evaluated on go through one transform.
        (mean, std) = (mean.map { Double(Float($0)) }, std.map { Double(Float($0)) })
        var z = x
        for i in 0..<z.count { let c = i % s; z[i] = Float((Double(z[i]) - mean[c]) / std[c]) }
        return WindowDataset(name: name, length: length, channels: channels, classes: classes, x: z, y: y, subjects: subjects, split: split,
                             splitMethod: method, mean: mean.map(Float.init), std: std.map(Float.init), notes: notes)
    }
}

/// Windows of `length` samples every `step` samples over `[first, last]` (inclusive), full windows only.
public func windowStarts(first: Int, last: Int, length: Int, step: Int) -> [Int] {
    guard length > 0, step > 0, last - first + 1 >= length else { return [] }
    return Array(stride(from: first, through: last - length + 1, by: step))
}
