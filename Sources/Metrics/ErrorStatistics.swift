/// How well predictions match measurements, in the measurements' unit:
///
/// - R² = 1 − Σ(pᵢ − mᵢ)² / Σ(mᵢ − m̄)² (1 when the measurements have no spread),
/// - MAE = mean |pᵢ − mᵢ|,
/// - MAPE = mean 100·|pᵢ − mᵢ| / mᵢ over mᵢ > 0 (a zero measurement contributes 0),
/// - max |error| % = the largest of those percentages.
public struct ErrorStatistics: Sendable, Codable, Equatable {
    public var r2: Double
    public var meanAbsoluteError: Double
    public var meanAbsolutePercentError: Double
    public var maxAbsolutePercentError: Double
    public var count: Int

    public init(predicted: [Double], measured: [Double]) {
        precondition(predicted.count == measured.count, "\(predicted.count) predictions for \(measured.count) measurements")
        let n = Double(max(1, measured.count))
        let mean = measured.reduce(0, +) / n
        let ssRes = zip(predicted, measured).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let ssTot = measured.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let errors = zip(predicted, measured).map { abs($0 - $1) }
        let percents = zip(errors, measured).map { $1 > 0 ? 100 * $0 / $1 : 0 }
        r2 = ssTot > 0 ? 1 - ssRes / ssTot : 1
        meanAbsoluteError = errors.reduce(0, +) / n
        meanAbsolutePercentError = percents.reduce(0, +) / n
        maxAbsolutePercentError = percents.max() ?? 0
        count = measured.count
    }

    enum CodingKeys: String, CodingKey {
        case r2, meanAbsoluteError = "mae", meanAbsolutePercentError = "mape", maxAbsolutePercentError = "max_abs_pct", count
    }
}

/// The least-squares line y ≈ intercept + slope·x (slope 0 when x has no spread).
public struct LinearFit: Sendable, Equatable {
    public var slope: Double
    public var intercept: Double

    public init(x: [Double], y: [Double]) {
        precondition(x.count == y.count && !x.isEmpty, "a line needs as many x as y, at least one")
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        slope = sxx > 0 ? sxy / sxx : 0
        intercept = my - slope * mx
    }

    public func callAsFunction(_ x: Double) -> Double { intercept + slope * x }
}
