import Datasets
import Support
import Training
import XCTest

/// The augmentation checked against what a rotation and a gain are, on the physical (un-normalized)
/// signal: lengths of every triad scale by the gain, the inner products between a window's samples
/// are kept (one orthogonal map for the whole window), the rotation is proper (no mirror) and within
/// the angle, channels outside a triad are only scaled.
final class AugmentationTests: XCTestCase {
    func dataset() throws -> WindowDataset {
        let (n, t) = (12, 16)
        let channels = ["acc_x", "acc_y", "acc_z", "temperature", "gyro_x", "gyro_y", "gyro_z"]
        var g = SplitMix64(seed: 7)
        var x: [Float] = []
        for _ in 0..<(n * t * channels.count) { x.append(Float(Int(g.next() % 2001) - 1000) / 100 + 3) }
        let raw = RawWindows(name: "imu", length: t, channels: channels, classes: ["a", "b"], x: x,
                             y: (0..<n).map { Int32($0 % 2) }, subjects: (0..<n).map { Int32(1 + $0 % 4) })
        return try raw.split(.subject(test: [4], val: [3], valCount: 1, seed: 1))
    }

    /// The physical value of channel `c` at sample `i` of window `w`.
    func physical(_ x: [Float], _ d: WindowDataset, _ w: Int, _ i: Int, _ c: Int) -> Double {
        Double(x[(w * d.length + i) * d.channels.count + c]) * Double(d.std[c]) + Double(d.mean[c])
    }

    func testTriadsByName() {
        let t = Augmentation.triads(["body_acc_x", "body_acc_y", "body_acc_z", "gyro_x", "gyro_z", "total_acc_x", "total_acc_y", "total_acc_z", "gyro_y"])
        XCTAssertEqual(t.map { [$0.0, $0.1, $0.2] }, [[0, 1, 2], [3, 8, 4], [5, 6, 7]])
        XCTAssertTrue(Augmentation.triads(["a", "b", "c"]).isEmpty)
    }

    func testRotationAndGainOnThePhysicalSignal() throws {
        let d = try dataset()
        let windows = d.count
        var g = SplitMix64(seed: 3)
        var y = d.x
        let maxDegrees: Double = 25
        Augmentation(rotationDegrees: Float(maxDegrees), gain: 0.2).apply(&y, windows: windows, of: d, using: &g)
        var sawRotation = false
        for w in 0..<windows {
            // The gain from the scalar channel, which is only scaled.
            let k = physical(y, d, w, 0, 3) / physical(d.x, d, w, 0, 3)
            XCTAssertTrue((0.8...1.2).contains(k), "gain \(k)")
            for i in 0..<d.length { XCTAssertEqual(physical(y, d, w, i, 3), k * physical(d.x, d, w, i, 3), accuracy: 1e-3) }
            for triad in [[0, 1, 2], [4, 5, 6]] {
                let before = (0..<d.length).map { i in triad.map { physical(d.x, d, w, i, $0) } }
                let after = (0..<d.length).map { i in triad.map { physical(y, d, w, i, $0) / k } }
                func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map(*).reduce(0, +) }
                // One orthogonal map for the window: every inner product between samples kept.
                for i in 0..<d.length { for j in 0..<d.length {
                    XCTAssertEqual(dot(after[i], after[j]), dot(before[i], before[j]), accuracy: 1e-3 * max(1, abs(dot(before[i], before[j]))))
                } }
                // Proper (determinant +1, no mirror) and within the angle: the map recovered from
                // three samples as M = A·B⁻¹.
                func det(_ m: [[Double]]) -> Double {
                    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
                }
                let b = [before[0], before[1], before[2]], a = [after[0], after[1], after[2]]
                XCTAssertEqual(det(a) / det(b), 1, accuracy: 1e-3, "a rotation, not a reflection")
                // The angle of a rotation: trace = 1 + 2 cos θ; trace(M) = Σ_i e_i·M e_i, with M
                // solved column by column from the three sample pairs (Cramer's rule).
                var trace = 0.0
                for col in 0..<3 {
                    // M·b_s = a_s for s = 0, 1, 2 ⇒ row `col` of M solves Bᵀ m = (a_s[col])_s.
                    let bt = (0..<3).map { r in (0..<3).map { c in b[r][c] } }   // rows are samples
                    var replaced = bt
                    for r in 0..<3 { replaced[r][col] = a[r][col] }
                    trace += det(replaced) / det(bt)
                }
                let angle = acos(max(-1, min(1, (trace - 1) / 2))) * 180 / .pi
                XCTAssertLessThanOrEqual(angle, maxDegrees + 0.1)
                if angle > 1 { sawRotation = true }
            }
        }
        XCTAssertTrue(sawRotation, "some window rotated by more than a degree")
    }

    func testNothingToDoIsIdentityAndSettingsAreChecked() throws {
        let d = try dataset()
        var g = SplitMix64(seed: 1)
        var y = d.x
        Augmentation(rotationDegrees: 0, gain: 0).apply(&y, windows: d.count, of: d, using: &g)
        for (a, b) in zip(y, d.x) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertThrowsError(try Augmentation(rotationDegrees: .nan, gain: 0).check())
        XCTAssertThrowsError(try Augmentation(rotationDegrees: 10, gain: 1).check())
        XCTAssertThrowsError(try Augmentation(rotationDegrees: 181, gain: 0.1).check())
        XCTAssertNoThrow(try Augmentation().check())
    }

    func testValidationMergedIntoTraining() throws {
        let d = try dataset()
        let m = d.mergingValidationIntoTraining()
        XCTAssertEqual(m.indices(.train), (0..<d.count).filter { d.split[$0] != .test })
        XCTAssertEqual(m.indices(.test), d.indices(.test))
        XCTAssertTrue(m.indices(.val).isEmpty)
        XCTAssertEqual(m.x, d.x)
        XCTAssertEqual(m.mean, d.mean)
        XCTAssertEqual(m.std, d.std)
    }
}
