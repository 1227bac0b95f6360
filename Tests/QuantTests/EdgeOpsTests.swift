import Foundation
@testable import Quant
import XCTest

/// MEAN, SOFTMAX, QUANTIZE, DEQUANTIZE: hand-computed values, and the fixed-point exp and reciprocal
/// against floating-point math (an independent reference for the gemmlowp-style arithmetic).
final class EdgeOpsTests: XCTestCase {
    func testSoftmaxPreparationByHand() throws {
        // Float(0.1) = 13421773 · 2^−27, so s · 2^26 = 6710886.5 = 0.80000001… · 2^23 → multiplier
        // 6710886.5 · 2^8 = 1717986944 (exact), shift 23; diffMin = −⌊31 · 2^26 / 2^23⌋ = −248.
        let p = try SoftmaxParams(inputScale: 0.1)
        XCTAssertEqual(p.inputMultiplier, 1_717_986_944)
        XCTAssertEqual(p.inputLeftShift, 23)
        XCTAssertEqual(p.diffMin, -248)
        // β · s ≥ 32 caps the multiplier at 2^31 − 1 → (2^31 − 1 rounds to 2^31: halved, shift 31), diffMin 0.
        let capped = try SoftmaxParams(inputScale: 64)
        XCTAssertEqual(capped.inputLeftShift, 31)
        XCTAssertEqual(capped.diffMin, 0)
        XCTAssertThrowsError(try SoftmaxParams(inputScale: 1e-10))   // below 2^−27: TFLM rejects it
        XCTAssertThrowsError(try SoftmaxParams(inputScale: 0))
        XCTAssertThrowsError(try SoftmaxParams(inputScale: .nan))
    }

    func testFixedPointExpAgainstDouble() {
        // Q5.26 inputs from 0 down to −31; the Q0.31 result within 2e−7 of exp (gemmlowp's accuracy).
        for i in 0...400 {
            let x = -Double(i) * 31 / 400
            let raw = Int32((x * Double(1 << 26)).rounded())
            let got = Double(FixedPointQ.expOnNegativeValues(raw, integerBits: 5)) / Double(1 << 31)
            XCTAssertEqual(got, exp(Double(raw) / Double(1 << 26)), accuracy: 2e-7, "x = \(x)")
        }
        XCTAssertEqual(FixedPointQ.expOnNegativeValues(0, integerBits: 5), .max)
    }

    func testFixedPointReciprocalAgainstDouble() {
        for i in 0..<200 {
            let a = Double(i) / 200
            let raw = Int32((a * Double(1 << 31)).rounded())
            let got = Double(FixedPointQ.oneOverOnePlusX(raw)) / Double(1 << 31)
            XCTAssertEqual(got, 1 / (1 + a), accuracy: 1e-8, "a = \(a)")
        }
    }

    func testSoftmaxAgainstFloat() throws {
        // Output scale 1/256, zero point −128: within 1 LSB of the real softmax.
        var g = SystemRandomNumberGenerator()
        for scale in [Float(0.02), 0.1, 0.5] {
            let p = try SoftmaxParams(inputScale: scale)
            for depth in [1, 2, 6, 12, 40] {
                let x = (0..<depth).map { _ in Int8.random(in: -128...127, using: &g) }
                let out = ReferenceOps.softmax(x, rows: 1, depth: depth, params: p)
                let e = x.map { exp(Double(scale) * Double(Int($0) - Int(x.max()!))) }
                let sum = e.reduce(0, +)
                for (o, v) in zip(out, e) {
                    let expected = min(127, (v / sum * 256).rounded() - 128)
                    XCTAssertEqual(Double(o), expected, accuracy: 1, "scale \(scale) depth \(depth) x \(x)")
                }
            }
        }
        // One element is certain: 1.0 → 256 − 128 saturates to 127.
        XCTAssertEqual(ReferenceOps.softmax([5], rows: 1, depth: 1, params: try SoftmaxParams(inputScale: 0.1)), [127])
    }

    func testMeanByHand() throws {
        // Same scale in and out: multiplier 2^30, shift 1. n = 4 → adjust 2: multiplier' = 2^30, shift' −1.
        let p = try MeanParams(inputScale: 0.1, inputZeroPoint: 0, outputScale: 0.1, outputZeroPoint: 0)
        XCTAssertEqual(p.multiplier, 1 << 30)
        XCTAssertEqual(p.shift, 1)
        let s = Shape4(1, 2, 2, 1)
        // Σ = 10 → SRDHM(10, 2^30) = 5 → RDBPOT(5, 1) = 3 (2.5 away from zero); −10 → −3.
        XCTAssertEqual(ReferenceOps.mean([1, 2, 3, 4], shape: s, params: p), [3])
        XCTAssertEqual(ReferenceOps.mean([-1, -2, -3, -4], shape: s, params: p), [-3])
        // Zero points: input zp 10 shifts every value by −10; output zp −5 adds −5 (mean 2.5 − 10 = −7.5 → −8 − 5).
        let z = try MeanParams(inputScale: 0.1, inputZeroPoint: 10, outputScale: 0.1, outputZeroPoint: -5)
        XCTAssertEqual(ReferenceOps.mean([1, 2, 3, 4], shape: s, params: z), [-13])
        // Two channels and a batch of 2 (NHWC): channel means of [[1,3],[5,7]] and [[2,4],[6,8]].
        let two = Shape4(2, 1, 2, 2)
        XCTAssertEqual(ReferenceOps.mean([1, 2, 5, 6, 3, 4, 7, 8], shape: two, params: p), [3, 4, 5, 6])
        XCTAssertThrowsError(try MeanParams(inputScale: -1, inputZeroPoint: 0, outputScale: 0.1, outputZeroPoint: 0))
        XCTAssertThrowsError(try MeanParams(inputScale: 0.1, inputZeroPoint: 200, outputScale: 0.1, outputZeroPoint: 0))
    }

    func testQuantizeAndDequantizeByHand() {
        // 1.25 / 0.5 = 2.5 rounds away from zero to 3; −2.5 to −3; far values clamp.
        XCTAssertEqual(ReferenceOps.quantize([1.25, -1.25, 0, -0.0, 1e10, -1e10, 0.74], scale: 0.5, zeroPoint: 0),
                       [3, -3, 0, 0, 127, -128, 1])
        XCTAssertEqual(ReferenceOps.quantize([0, 1, -1], scale: 0.25, zeroPoint: -128), [-128, -124, -128])
        XCTAssertEqual(ReferenceOps.dequantize([-128, 0, 127], scale: 0.5, zeroPoint: -128), [0, 64, 127.5])
        XCTAssertEqual(ReferenceOps.dequantize([3], scale: 1.0 / 256, zeroPoint: 1), [2.0 / 256])
    }

    func testBadScalesAreErrorsNotTraps() {
        XCTAssertThrowsError(try Requantization(inputScale: 0, weightScales: [0.1], outputScale: 0.1, outputZeroPoint: 0, activation: .none))
        XCTAssertThrowsError(try Requantization(inputScale: 0.1, weightScales: [.infinity], outputScale: 0.1, outputZeroPoint: 0, activation: .none))
        XCTAssertThrowsError(try Requantization(inputScale: 0.1, weightScales: [], outputScale: 0.1, outputZeroPoint: 0, activation: .none))
        XCTAssertThrowsError(try Requantization(inputScale: 0.1, weightScales: [0.1], outputScale: 0.1, outputZeroPoint: 128, activation: .none))
        // A multiplier of 2^40 would need a left shift of 41.
        XCTAssertThrowsError(try Requantization(inputScale: 1e6, weightScales: [1e6], outputScale: 1e-3, outputZeroPoint: 0, activation: .none)) {
            XCTAssertTrue(String(describing: $0).contains("too large"), "\($0)")
        }
        XCTAssertThrowsError(try ReferenceOps.AddParams(scale1: -0.1, zeroPoint1: 0, scale2: 0.1, zeroPoint2: 0,
                                                        outputScale: 0.1, outputZeroPoint: 0, activation: .none))
    }
}
