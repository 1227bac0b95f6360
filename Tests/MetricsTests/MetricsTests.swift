import Metrics
import XCTest

/// Scores against values worked out by hand from their definitions.
final class MetricsTests: XCTestCase {
    func testMacroF1() {
        // Class 0: P = 2/3, R = 1 → 0.8; class 1: P = 1, R = 1/2 → 2/3; class 2 never seen → 0.
        let m = ConfusionMatrix(counts: [[2, 0, 0], [1, 1, 0], [0, 0, 0]])
        XCTAssertEqual(m.accuracy, 0.75)
        XCTAssertEqual(m.macroF1, (0.8 + 2.0 / 3.0 + 0) / 3, accuracy: 1e-12)
        var n = ConfusionMatrix(classes: 3)
        for (a, p) in [(0, 0), (0, 0), (1, 0), (1, 1)] { n.add(actual: a, predicted: p) }
        XCTAssertEqual(n, m)
        XCTAssertEqual(ConfusionMatrix(classes: 2).accuracy, 0)
    }

    func testErrorStatistics() {
        // Errors 1, 2, 0; measured 10, 20, 30: MAE 1, MAPE (10 + 10 + 0) / 3, max 10 %;
        // SS_res = 5, SS_tot = 200 → R² = 0.975.
        let s = ErrorStatistics(predicted: [11, 18, 30], measured: [10, 20, 30])
        XCTAssertEqual(s.meanAbsoluteError, 1, accuracy: 1e-12)
        XCTAssertEqual(s.meanAbsolutePercentError, 20.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.maxAbsolutePercentError, 10, accuracy: 1e-12)
        XCTAssertEqual(s.r2, 0.975, accuracy: 1e-12)
        XCTAssertEqual(ErrorStatistics(predicted: [1, 3], measured: [2, 2]).r2, 1, "no spread in the measurements")
        let line = LinearFit(x: [1, 2, 3], y: [3, 5, 7])
        XCTAssertEqual(line.slope, 2, accuracy: 1e-12)
        XCTAssertEqual(line(10), 21, accuracy: 1e-12)
    }
}
