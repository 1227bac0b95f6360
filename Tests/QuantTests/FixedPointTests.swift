import Quant
import XCTest

/// Hand-computed values of TFLite's fixed-point primitives, including the edges: the 2^31 round-up
/// of QuantizeMultiplier, INT32_MIN products, shifts at both ends, and ties in every rounding step.
final class FixedPointTests: XCTestCase {
    func testQuantizeMultiplier() {
        func q(_ m: Double) -> [Int] { let r = FixedPoint.quantizeMultiplier(m); return [Int(r.multiplier), r.shift] }
        XCTAssertEqual(q(0), [0, 0])
        XCTAssertEqual(q(0.5), [1 << 30, 0])                    // frexp(0.5) = 0.5 · 2^0
        XCTAssertEqual(q(1.0), [1 << 30, 1])                    // 0.5 · 2^1
        XCTAssertEqual(q(0.75), [1_610_612_736, 0])             // 0.75 · 2^31
        XCTAssertEqual(q(0.1), [1_717_986_918, -3])             // 0.8 · 2^31 = 1717986918.4 → down
        XCTAssertEqual(q(3.0), [1_610_612_736, 2])              // 0.75 · 2^2
        // q · 2^31 = 2^31 − 2^-9 rounds to 2^31: halved, shift + 1.
        XCTAssertEqual(q(1 - 0x1p-40), [1 << 30, 1])
        // A tie (2^30 + 0.5) rounds away from zero.
        XCTAssertEqual(q(0.5 + 0x1p-32), [(1 << 30) + 1, 0])
        // Below 2^-31 the multiplier is flushed to zero.
        XCTAssertEqual(q(0x1p-40), [0, 0])
        XCTAssertEqual(q(0x1p-32), [1 << 30, -31])              // the smallest kept: shift −31
    }

    func testSaturatingRoundingDoublingHighMul() {
        let f = FixedPoint.saturatingRoundingDoublingHighMul
        XCTAssertEqual(f(.min, .min), .max)                       // the only overflow
        XCTAssertEqual(f(.max, .max), 2_147_483_646)              // (2^31−1)^2 / 2^31 = 2^31 − 2 + 0.5… → trunc
        XCTAssertEqual(f(.min, .max), -2_147_483_647)             // −(2^31 − 1) − 0.49… → toward zero
        XCTAssertEqual(f(1 << 30, 1 << 30), 1 << 29)
        XCTAssertEqual(f(1, 1 << 30), 1)                          // +0.5 → 1
        XCTAssertEqual(f(-1, 1 << 30), 0)                         // −0.5 → 0 (ties toward +∞)
        XCTAssertEqual(f(3, 1 << 30), 2)                          // 1.5 → 2
        XCTAssertEqual(f(-3, 1 << 30), -1)                        // −1.5 → −1
        XCTAssertEqual(f(0, .min), 0)
    }

    func testRoundingDivideByPOT() {
        let f = FixedPoint.roundingDivideByPOT
        XCTAssertEqual(f(5, 1), 3)      // 2.5 → 3
        XCTAssertEqual(f(-5, 1), -3)    // −2.5 → −3 (away from zero)
        XCTAssertEqual(f(-4, 1), -2)
        XCTAssertEqual(f(6, 2), 2)      // 1.5 → 2
        XCTAssertEqual(f(-6, 2), -2)    // −1.5 → −2
        XCTAssertEqual(f(7, 2), 2)      // 1.75
        XCTAssertEqual(f(-7, 2), -2)    // −1.75
        XCTAssertEqual(f(-5, 2), -1)    // −1.25
        XCTAssertEqual(f(123, 0), 123)  // exponent 0 is the identity
        XCTAssertEqual(f(.min, 31), -1)
        XCTAssertEqual(f(.max, 31), 1)  // (2^31 − 1) / 2^31 ≈ 1
        XCTAssertEqual(f(1 << 30, 31), 1) // exactly 0.5 → 1
        XCTAssertEqual(f(-(1 << 30), 31), -1) // exactly −0.5 → −1
    }

    func testMultiplyByQuantizedMultiplier() {
        let f = FixedPoint.multiplyByQuantizedMultiplier
        XCTAssertEqual(f(100, 1 << 30, 0), 50)
        XCTAssertEqual(f(3, 1 << 30, 0), 2)       // 1.5 → 2
        XCTAssertEqual(f(100, 1 << 30, 2), 200)   // positive shift: x · 4 first
        XCTAssertEqual(f(100, 1 << 30, -3), 6)    // 50 / 8 = 6.25
        // Double rounding: 1 · 0.5 = 0.5 → 1 by SRDHM, then 1 / 2 = 0.5 → 1 (single rounding gives 0).
        XCTAssertEqual(f(1, 1 << 30, -1), 1)
        XCTAssertEqual(f(-100, 1_717_986_918, -3), -10)  // −100 · 0.8 = −80 (exactly −79.99… → −80), / 8 = −10
        XCTAssertEqual(f(-7, 1_717_986_918, -3), -1)     // −7 · 0.8 = −5.6 → −6 (SRDHM), / 8 = −0.75 → −1
        XCTAssertEqual(f(12_345, 1_610_612_736, 2), 37_035)  // 12345 · 3 = 37035
        XCTAssertEqual(f(.min, 1 << 30, -31), -1)  // shifts at the far end
    }

    func testActivationRanges() {
        XCTAssertTrue(Activation.none.range(scale: 0.1, zeroPoint: -10) == (-128, 127))
        XCTAssertTrue(Activation.relu.range(scale: 0.1, zeroPoint: -10) == (-10, 127))
        XCTAssertTrue(Activation.relu6.range(scale: 0.1, zeroPoint: -10) == (-10, 50))   // −10 + 6/0.1
        XCTAssertTrue(Activation.relu6.range(scale: 0.02, zeroPoint: 0) == (0, 127))      // 300 clamps to 127
        XCTAssertTrue(Activation.relu.range(scale: 0.5, zeroPoint: -128) == (-128, 127))
        XCTAssertTrue(Activation.relu6.range(scale: 0.25, zeroPoint: -128) == (-128, -104)) // −128 + 24
    }

    func testPadding() {
        XCTAssertEqual(Padding.same.outputSize(input: 128, filter: 5, stride: 2), 64)
        XCTAssertEqual(Padding.same.before(input: 128, filter: 5, stride: 2), 1)    // total 3: 1 before, 2 after
        XCTAssertEqual(Padding.valid.outputSize(input: 128, filter: 5, stride: 2), 62)
        XCTAssertEqual(Padding.valid.before(input: 128, filter: 5, stride: 2), 0)
        XCTAssertEqual(Padding.valid.outputSize(input: 9, filter: 9, stride: 1), 1)
        XCTAssertEqual(Padding.same.outputSize(input: 9, filter: 9, stride: 1), 9)
        XCTAssertEqual(Padding.same.before(input: 9, filter: 9, stride: 1), 4)
        XCTAssertEqual(Padding.same.before(input: 9, filter: 2, stride: 1), 0)      // total 1 goes after
        XCTAssertEqual(Padding.valid.outputSize(input: 3, filter: 5, stride: 1), 0)
    }
}
