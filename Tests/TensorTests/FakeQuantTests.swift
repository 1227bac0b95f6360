import Quant
import Support
import Tensor
import XCTest

/// Fake quantization against the int8 arithmetic it stands for (`Quant.ReferenceOps`' QUANTIZE then
/// DEQUANTIZE, the definition every executor matches) and the straight-through gradient against
/// its definition.
final class FakeQuantTests: XCTestCase {
    var g = SplitMix64(seed: 5)

    func testPerTensorEqualsQuantizeThenDequantize() {
        for _ in 0..<50 {
            let scale = Float.random(in: 1e-3...0.5, using: &g), zp = Int32.random(in: -128...127, using: &g)
            let x = Tensor(shape: [200], data: (0..<200).map { _ in Float.random(in: -300 * scale...300 * scale, using: &g) }, requiresGrad: true)
            let y = x.fakeQuantized(scale: scale, zeroPoint: zp)
            XCTAssertEqual(y.data, ReferenceOps.dequantize(ReferenceOps.quantize(x.data, scale: scale, zeroPoint: zp), scale: scale, zeroPoint: zp))
            // Straight through where the value is represented, 0 where it was clamped.
            let upstream = (0..<200).map { _ in Float.random(in: -1...1, using: &g) }
            (y * Tensor(shape: [200], data: upstream)).sum().backward()
            let expected = zip(x.data, upstream).map { v, u -> Float in
                let q = Double((v / scale).rounded(.toNearestOrAwayFromZero)) + Double(zp)
                return (-128...127).contains(q) ? u : 0
            }
            XCTAssertEqual(x.grad!, expected)
            XCTAssertTrue(expected.contains(0) && expected.contains { $0 != 0 }, "both cases occur")
        }
    }

    /// Ties round half away from zero, as TFLite's QUANTIZE does (x / s = 0.5, 2.5, −2.5 with s = 1/4).
    func testTiesRoundAwayFromZero() {
        let y = Tensor(shape: [4], data: [0.125, 0.625, -0.625, 31.875]).fakeQuantized(scale: 0.25, zeroPoint: 3)
        XCTAssertEqual(y.data, [0.25, 0.75, -0.75, 31])
        XCTAssertEqual(y.data, ReferenceOps.dequantize(ReferenceOps.quantize([0.125, 0.625, -0.625, 31.875], scale: 0.25, zeroPoint: 3), scale: 0.25, zeroPoint: 3))
    }

    func testPerChannelSymmetricNarrowRange() {
        let w = Tensor(shape: [3, 1, 4, 5], data: (0..<60).map { _ in Float.random(in: -2...2, using: &g) }, requiresGrad: true)
        w.data[7] = 0  // channel 2 keeps its other values; a zero stays exactly zero
        for i in stride(from: 4, to: 60, by: 5) { w.data[i] = 0 }  // channel 4 all zero
        let y = w.fakeQuantizedPerChannel()
        let scales = w.symmetricChannelScales
        XCTAssertEqual(scales[4], 1)
        for c in 0..<5 {
            let channel = stride(from: c, to: 60, by: 5).map { w.data[$0] }
            let q = ReferenceOps.quantize(channel, scale: scales[c], zeroPoint: 0)
            XCTAssertEqual(stride(from: c, to: 60, by: 5).map { y.data[$0] }, ReferenceOps.dequantize(q, scale: scales[c], zeroPoint: 0))
            XCTAssertFalse(q.contains(-128), "narrow range")
            if c != 4 { XCTAssertEqual(q.map { abs(Int($0)) }.max(), 127, "the channel's extreme maps to ±127") }
        }
        XCTAssertEqual(y.data[7], 0)
        y.sum().backward()
        XCTAssertEqual(w.grad!, [Float](repeating: 1, count: 60))
    }

    func testActivationRangeMovesNudgesAndFreezes() {
        var r = ActivationRange(decay: 0.9)
        r.observe([-1, 0.5, 3, .nan])
        XCTAssertEqual(r.min, -1); XCTAssertEqual(r.max, 3)
        r.observe([-2, 1])
        XCTAssertEqual(r.min, 0.9 * -1 + 0.1 * -2, accuracy: 1e-6)
        XCTAssertEqual(r.max, 0.9 * 3 + 0.1 * 1, accuracy: 1e-6)
        r.freeze()
        r.observe([-100, 100])
        XCTAssertEqual(r.max, 0.9 * 3 + 0.1 * 1, accuracy: 1e-6, "frozen")
        // [-1, 3]: s = 4/255, z = round(-128 + 63.75) = -64.
        let q = ActivationRange(min: -1, max: 3).quantization
        XCTAssertEqual(q.scale, 4 / 255)
        XCTAssertEqual(q.zeroPoint, -64)
        // A ReLU output [0, 6] keeps 0 at -128; a negative-only range at 127.
        XCTAssertEqual(ActivationRange(min: 0.2, max: 6).quantization.zeroPoint, -128)
        XCTAssertEqual(ActivationRange(min: -5, max: -1).quantization.zeroPoint, 127)
        XCTAssertEqual(ActivationRange().quantization.zeroPoint, -128, "nothing observed yet")
        // Zero is exactly representable for any range.
        for _ in 0..<100 {
            let lo = Float.random(in: -10...0, using: &g), hi = Float.random(in: 0...10, using: &g)
            let (s, z) = ActivationRange(min: lo, max: hi).quantization
            XCTAssertEqual(Tensor(shape: [1], data: [0]).fakeQuantized(scale: s, zeroPoint: z).data, [0])
        }
    }
}
