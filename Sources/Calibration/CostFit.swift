import Foundation
import Metrics
import Targets

/// Fits a board's cost vector to measured region cycles: cycles_r ≈ events_r · costs.
///
/// - Columns are the events with a non-zero count in some training region, except `instructions`
///   (every instruction is also counted by its class, so that column is the sum of others).
/// - Rows are weighted by 1/`sigma`(measured): relative error on long regions (what MAPE reports, so
///   a long kernel region does not drown a short microbenchmark), absolute on short ones.
/// - The costs are the non-negative least-squares solution (Lawson–Hanson) of the weighted rows
///   plus a weak ridge toward the prior (10⁻³ of each column's norm), which only decides the
///   directions the regions leave (nearly) free.
/// - **Identifiability**: a cost is identified when the regions determine it to within
///   `identifiedError` of max(prior, 1 cycle) (its standard error under `sigma`, from the ridged
///   Gram matrix). The others can be traded against other events without changing the predictions
///   (or nearly): they move only as far from the prior as the fit of the others needs — keeping
///   them exactly at the prior would push their share of the cycles into the identified costs and
///   bias them — and are reported as not identified.
public struct CostFit: Sendable {
    public struct Region: Sendable, Equatable {
        public var name: String
        public var events: EventVector
        public var measured: Double
        public init(name: String, events: EventVector, measured: Double) { (self.name, self.events, self.measured) = (name, events, measured) }
    }

    public struct Cost: Sendable, Equatable {
        public var prior: Double
        public var fitted: Double
        public var identifiable: Bool
        /// Standard error of the fitted value (cycles) under `sigma`.
        public var standardError: Double
    }

    /// Fitted costs (the prior for events no training region counts).
    public var costs: EventVector
    /// Every event with a count in the training regions (except `instructions`).
    public var perEvent: [Event: Cost]
    public var trainingRegions: Int

    public static let informational: Set<Event> = [.instructions]

    /// Standard deviation of a region's measurement: one cycle (the counter reads' rounding) and
    /// 0.1 % of the region (jitter). Rows are weighted by its inverse, so the fit minimizes relative
    /// error on long regions and does not trust a short one beyond its rounding.
    public static func sigma(_ measured: Double) -> Double { (1 + (1e-3 * measured) * (1e-3 * measured)).squareRoot() }

    /// A cost counts as identified when its standard error is at most this share of max(prior,
    /// 1 cycle) (so the fitted value is within 5 % at two standard errors).
    public static let identifiedError = 0.025
    /// Strength of the pull toward the prior, relative to each column's norm.
    static let ridge = 1e-3

    /// The weighted design of `regions` over `columns` (rows / sigma), its column norms, and the
    /// eigen-decomposition of its column-normalized Gram matrix.
    static func design(_ regions: [Region], columns: [Event]) -> (a: [[Double]], norms: [Double], values: [Double], vectors: [[Double]]) {
        let rows = regions.count
        var a = [[Double]](repeating: [Double](repeating: 0, count: columns.count), count: rows)
        for (r, region) in regions.enumerated() {
            let w = 1 / sigma(region.measured)
            for (j, e) in columns.enumerated() { a[r][j] = region.events[e] * w }
        }
        let norms = (0..<columns.count).map { j in (0..<rows).reduce(0.0) { $0 + a[$1][j] * a[$1][j] }.squareRoot() }
        var gram = [[Double]](repeating: [Double](repeating: 0, count: columns.count), count: columns.count)
        for i in columns.indices {
            for j in i..<columns.count {
                var s = 0.0
                for r in 0..<rows { s += a[r][i] * a[r][j] }
                gram[i][j] = s / (norms[i] * norms[j])
                gram[j][i] = gram[i][j]
            }
        }
        let (values, vectors) = symmetricEigen(gram)
        return (a, norms, values, vectors)
    }

    public init(prior: EventVector, training: [Region]) throws {
        guard !training.isEmpty else { throw CalibrationError("no training regions to fit") }
        let columns = Event.allCases.filter { e in !Self.informational.contains(e) && training.contains { $0.events[e] != 0 } }
        let rows = training.count
        let (a, norms, values, vectors) = Self.design(training, columns: columns)
        var costs = prior
        if !columns.isEmpty {
            // Every column, with a weak ridge toward the prior (ridge × the column's norm), which
            // decides only the directions the regions leave (nearly) free.
            var m = a
            var rhs = training.map { $0.measured / Self.sigma($0.measured) }
            for (j, e) in columns.enumerated() {
                var row = [Double](repeating: 0, count: columns.count)
                row[j] = Self.ridge * norms[j]
                m.append(row)
                rhs.append(Self.ridge * norms[j] * prior[e])
            }
            let solution = Self.nonNegativeLeastSquares(m, rhs)
            for (j, e) in columns.enumerated() { costs[e] = solution[j] }
        }
        // Standard errors: the weighted residuals' variance (reduced χ²; 1 — the noise `sigma`
        // assumes — when there are no more regions than costs) times the inverse Gram matrix. A
        // cost with more than 1 % of its weight in a direction the ridge rather than the data
        // decides (eigenvalue at most ridge²) is not identified whatever the noise.
        var rss = 0.0
        for (r, region) in training.enumerated() {
            let residual = (region.events.dot(costs) - region.measured) / Self.sigma(region.measured)
            rss += residual * residual
        }
        let chi2 = rows > columns.count ? max(rss / Double(rows - columns.count), 1e-6) : 1
        var per: [Event: Cost] = [:]
        for (x, e) in columns.enumerated() {
            var v = 0.0, free = 0.0
            for k in values.indices {
                if values[k] <= Self.ridge * Self.ridge { free += vectors[x][k] * vectors[x][k] } else { v += vectors[x][k] * vectors[x][k] / values[k] }
            }
            let error = free > 1e-2 ? Double.infinity : (chi2 * v).squareRoot() / norms[x]
            // A cost the manuals put at 0 stays 0 unless the fit finds it clearly above 0: whether
            // an event is priced at all is part of the board's event model (the emulator counts
            // only priced data accesses), so a noise-level price would make stored tables unusable.
            if prior[e] == 0, costs[e] < max(2 * error, 0.01) || !error.isFinite { costs[e] = 0 }
            per[e] = Cost(prior: prior[e], fitted: costs[e], identifiable: error <= Self.identifiedError * max(prior[e], 1), standardError: error)
        }
        (self.costs, self.perEvent, self.trainingRegions) = (costs, per, rows)
    }

    /// Predicted cycles of each region under `costs`, against the measurements.
    public static func errors(_ regions: [Region], costs: EventVector) -> ErrorStatistics {
        ErrorStatistics(predicted: regions.map { $0.events.dot(costs) }, measured: regions.map(\.measured))
    }

    // MARK: - Linear algebra (small, dense)

    /// Eigenvalues and eigenvectors (columns: vectors[i][k] is component i of vector k) of a
    /// symmetric matrix, by cyclic Jacobi rotations.
    static func symmetricEigen(_ input: [[Double]]) -> ([Double], [[Double]]) {
        let n = input.count
        var a = input
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where abs(a[p][q]) > 1e-300 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k][p], a[k][q])
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p][k], a[q][k])
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k][p], v[k][q])
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }

    /// Least squares of `m`·x ≈ `b` over the columns in `set` (others zero), by Householder QR.
    static func leastSquares(_ m: [[Double]], _ b: [Double], columns set: [Int]) -> [Double] {
        let rows = m.count, n = set.count
        var a = m.map { row in set.map { row[$0] } }
        var y = b
        for k in 0..<n {
            var norm = 0.0
            for r in k..<rows { norm += a[r][k] * a[r][k] }
            norm = norm.squareRoot()
            if norm == 0 { continue }
            let alpha = a[k][k] > 0 ? -norm : norm
            var u = [Double](repeating: 0, count: rows)
            for r in k..<rows { u[r] = a[r][k] }
            u[k] -= alpha
            let uu = u[k...].reduce(0) { $0 + $1 * $1 }
            if uu == 0 { continue }
            for j in k..<n {
                var dot = 0.0
                for r in k..<rows { dot += u[r] * a[r][j] }
                let f = 2 * dot / uu
                for r in k..<rows { a[r][j] -= f * u[r] }
            }
            var dot = 0.0
            for r in k..<rows { dot += u[r] * y[r] }
            let f = 2 * dot / uu
            for r in k..<rows { y[r] -= f * u[r] }
        }
        var x = [Double](repeating: 0, count: n)
        for k in stride(from: n - 1, through: 0, by: -1) {
            var s = y[k]
            for j in (k + 1)..<max(k + 1, n) { s -= a[k][j] * x[j] }
            x[k] = abs(a[k][k]) > 1e-300 ? s / a[k][k] : 0
        }
        return x
    }

    /// min ‖m·x − b‖ subject to x ≥ 0 (Lawson and Hanson, Solving Least Squares Problems, ch. 23).
    static func nonNegativeLeastSquares(_ m: [[Double]], _ b: [Double]) -> [Double] {
        let n = m.first?.count ?? 0
        var x = [Double](repeating: 0, count: n)
        var passive = Set<Int>()
        func gradient(_ x: [Double]) -> [Double] {
            var residual = b
            for r in 0..<m.count { for j in 0..<n { residual[r] -= m[r][j] * x[j] } }
            return (0..<n).map { j in (0..<m.count).reduce(0.0) { $0 + m[$1][j] * residual[$1] } }
        }
        let scale = (0..<n).map { j in (0..<m.count).reduce(0.0) { $0 + m[$1][j] * m[$1][j] }.squareRoot() }
        for _ in 0..<(3 * n + 10) {
            let w = gradient(x)
            guard let t = (0..<n).filter({ !passive.contains($0) && w[$0] > 1e-12 * max(scale[$0], 1e-300) }).max(by: { w[$0] < w[$1] }) else { break }
            passive.insert(t)
            while true {
                let set = passive.sorted()
                let z = leastSquares(m, b, columns: set)
                if z.allSatisfy({ $0 > 0 }) {
                    x = [Double](repeating: 0, count: n)
                    for (k, j) in set.enumerated() { x[j] = z[k] }
                    break
                }
                var alpha = 1.0
                for (k, j) in set.enumerated() where z[k] <= 0 { alpha = min(alpha, x[j] / (x[j] - z[k])) }
                for (k, j) in set.enumerated() { x[j] += alpha * (z[k] - x[j]) }
                for j in set where x[j] <= 1e-15 { x[j] = 0; passive.remove(j) }
                if passive.isEmpty { break }
            }
        }
        return x
    }
}
