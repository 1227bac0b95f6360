/// Counts of (true class, predicted class) pairs, and the scores derived from them.
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    /// `counts[actual][predicted]`.
    public private(set) var counts: [[Int]]

    public init(classes: Int) {
        counts = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    }

    /// From existing counts (a square matrix).
    public init(counts: [[Int]]) {
        precondition(counts.allSatisfy { $0.count == counts.count }, "a confusion matrix is square")
        self.counts = counts
    }

    public var classes: Int { counts.count }
    public var total: Int { counts.joined().reduce(0, +) }

    public mutating func add(actual: Int, predicted: Int) { counts[actual][predicted] += 1 }

    /// Correct predictions over all predictions (0 when empty).
    public var accuracy: Double {
        let total = self.total
        return total > 0 ? Double(counts.indices.reduce(0) { $0 + counts[$1][$1] }) / Double(total) : 0
    }

    /// Per class c: precision P = TP / predicted-as-c, recall R = TP / actually-c, F1 = 2PR / (P + R)
    /// (P or R is 0 when its denominator is; F1 is 0 when P + R is).
    public var f1PerClass: [Double] {
        zip(precisionPerClass, recallPerClass).map { p, r in p + r > 0 ? 2 * p * r / (p + r) : 0 }
    }

    /// Per class: TP / windows predicted as the class (0 when none were).
    public var precisionPerClass: [Double] {
        counts.indices.map { c in
            let predicted = counts.reduce(0) { $0 + $1[c] }
            return predicted > 0 ? Double(counts[c][c]) / Double(predicted) : 0
        }
    }

    /// Per class: TP / windows of the class (0 when there are none).
    public var recallPerClass: [Double] {
        counts.indices.map { c in
            let actual = counts[c].reduce(0, +)
            return actual > 0 ? Double(counts[c][c]) / Double(actual) : 0
        }
    }

    /// The unweighted mean of the per-class F1 scores, every class counting once (a class never
    /// true nor predicted counts as 0).
    public var macroF1: Double {
        let f = f1PerClass
        return f.isEmpty ? 0 : f.reduce(0, +) / Double(f.count)
    }

    public var score: ClassificationScore { ClassificationScore(accuracy: accuracy, macroF1: macroF1) }
}

/// Accuracy and macro-F1 of one split.
public struct ClassificationScore: Sendable, Codable, Equatable {
    public var accuracy: Double
    public var macroF1: Double
    public init(accuracy: Double, macroF1: Double) { (self.accuracy, self.macroF1) = (accuracy, macroF1) }
    enum CodingKeys: String, CodingKey { case accuracy, macroF1 = "macro_f1" }
}
