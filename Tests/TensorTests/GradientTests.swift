import Foundation
import Support
import Tensor
import TestSupport
import XCTest

/// Every op's backward against central finite differences of its forward (in Double, on the float
/// tensor's values), and a whole small network.
final class GradientTests: XCTestCase {
    var gradients = GradientCheck(seed: 42)

    func random(_ shape: [Int], scale: Float = 1) -> Tensor { gradients.random(shape, scale: scale) }

    func check(_ inputs: [Tensor], samples: Int = 12, eps: Float = 1e-2, tolerance: Double = 2e-2,
               file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
        gradients.check(inputs, samples: samples, eps: eps, tolerance: tolerance, file: file, line: line, f)
    }

    func testElementwise() {
        check([random([2, 3, 4]), random([2, 3, 4])]) { $0[0] + $0[1] }
        check([random([2, 3, 4]), random([2, 3, 4])]) { $0[0] * $0[1] }
        check([random([3, 5])]) { $0[0].scaled(by: -1.7) }
        check([random([4, 6]), random([6])]) { $0[0].addingBias($0[1]) }
        // Keep values away from the kinks so differences do not straddle them.
        let x = random([50]); x.data = x.data.map { abs($0) < 0.05 ? $0 + 0.2 : $0 }
        check([x]) { $0[0].relu() }
        let y = random([50], scale: 8); y.data = y.data.map { abs($0) < 0.05 || abs($0 - 6) < 0.05 ? $0 + 0.3 : $0 }
        check([y]) { $0[0].relu6() }
        check([random([2, 3, 4, 5])]) { $0[0].meanHW() }
        check([random([2, 3, 4])]) { $0[0].reshaped([6, 4]) }
        check([random([3, 7])]) { $0[0].sum() }
    }

    /// conv2d with the fused ReLU equals conv2d followed by relu(): values and every gradient.
    func testFusedConvReLUEqualsComposition() {
        let x = random([2, 9, 4, 3]), w = random([3, 1, 3, 5]), b = random([5])
        let fused = x.conv2d(w, bias: b, stride: (2, 1), same: true, relu: true)
        let weights = Tensor(shape: fused.shape, data: (0..<fused.count).map { _ in Float.random(in: -1...1, using: &gradients.generator) })
        (fused * weights).sum().backward()
        let grads = [x, w, b].map { $0.grad! }
        for t in [x, w, b] { t.grad = nil }
        let composed = x.conv2d(w, bias: b, stride: (2, 1), same: true).relu()
        (composed * weights).sum().backward()
        XCTAssertEqual(fused.data, composed.data)
        XCTAssertGreaterThan(fused.data.filter { $0 == 0 }.count, 0, "some outputs are clipped")
        for (k, t) in [x, w, b].enumerated() { XCTAssertEqual(grads[k], t.grad!, "input \(k)") }
    }

    /// The expectation primitives the hardware-aware search prices architectures with.
    func testExpectations() {
        let table = (0..<(3 * 4 * 2)).map { _ in Float.random(in: -2...2, using: &gradients.generator) }
        check([random([3]), random([4]), random([2])]) { Tensor.multilinear(table, $0) }
        // Against the plain sum it stands for (an independent evaluation).
        let f = [random([3]), random([4]), random([2])]
        var direct = 0.0
        for i in 0..<3 { for j in 0..<4 { for k in 0..<2 {
            direct += Double(table[(i * 4 + j) * 2 + k]) * Double(f[0].data[i]) * Double(f[1].data[j]) * Double(f[2].data[k])
        } } }
        XCTAssertEqual(Double(Tensor.multilinear(table, f).data[0]), direct, accuracy: 1e-5)
        check([random([2]), random([5]), random([5])]) { Tensor.mixture($0[0], [$0[1], $0[2]]) }
        // A mixture over some of the weighted choices (a supernet's paths, skipped ones left out).
        check([random([4]), random([2, 3]), random([2, 3])]) { Tensor.weightedSum($0[0], indices: [3, 1], [$0[1], $0[2]]) }
        check([random([2, 3, 2, 4]), random([4])]) { $0[0].channelScaled($0[1]) }
        let positive = random([5])
        positive.data = positive.data.map { abs($0) + 0.5 }
        check([positive]) { $0[0].logarithm() }
        check([random([2, 3, 5])]) { $0[0].leadingChannels(3) }
        check([random([2, 3, 2])]) { $0[0].paddedChannels(to: 5) }
        check([random([3, 2, 4, 5])]) { $0[0].filterBlock(inputs: 2, outputs: 3) }
        let a = random([1]), b = random([1]), c = random([1])
        a.data = [0.9]; b.data = [-0.3]; c.data = [0.2]
        check([a, b, c]) { Tensor.maximum($0) }
    }

    func testSoftmaxFamily() {
        check([random([4, 6], scale: 3)]) { $0[0].softmax() }
        check([random([4, 6], scale: 3)]) { $0[0].logSoftmax() }
        check([random([5, 4], scale: 3)]) { $0[0].crossEntropy(labels: [0, 3, 1, 2, 3]) }
        check([random([5, 4])]) { $0[0].logSoftmax().nll(labels: [1, 1, 0, 3, 2]) }
        // Gumbel-softmax with the same noise in every evaluation: a fixed-seed generator per call.
        check([random([3, 5])]) { t in var r = SplitMix64(seed: 9); return t[0].gumbelSoftmax(temperature: 0.7, using: &r) }
        check([random([4, 8])]) { t in var r = SplitMix64(seed: 3); return t[0].dropout(rate: 0.4, using: &r) }
    }

    func testConvolutionEveryGeometry() {
        for (kernel, stride, same) in [((3, 1), (1, 1), true), ((5, 1), (2, 1), true), ((1, 3), (1, 1), false), ((3, 3), (2, 2), true),
                                        ((2, 2), (2, 1), false), ((1, 1), (1, 1), true), ((4, 2), (3, 2), true),
                                        ((4, 1), (1, 1), true), ((3, 1), (1, 1), false), ((7, 1), (1, 1), true)] {
            let x = random([2, 9, 5, 3]), w = random([kernel.0, kernel.1, 3, 4], scale: 0.5), b = random([4])
            check([x, w, b], samples: 10) { $0[0].conv2d($0[1], bias: $0[2], stride: stride, same: same) }
        }
    }

    /// (kh × 1) kernels at stride 1 take the GEMM-per-kernel-row path; it equals im2col + GEMM
    /// (values and gradients, up to float summation order) for odd and even kernels, SAME and VALID.
    func testTemporalPathEqualsIm2col() {
        for (kh, same, relu) in [(3, true, false), (7, true, true), (4, true, true), (5, false, false), (2, true, true)] {
            let x = random([3, 11, 4, 6]), w = random([kh, 1, 6, 5], scale: 0.5), b = random([5])
            func run(_ im2col: Bool) -> [[Float]] {
                Tensor.forceIm2col = im2col
                defer { Tensor.forceIm2col = false }
                for t in [x, w, b] { t.grad = nil }
                let y = x.conv2d(w, bias: b, stride: (1, 1), same: same, relu: relu)
                let weights = Tensor(shape: y.shape, data: (0..<y.count).map { Float(($0 * 7919) % 13) / 6 - 1 })
                (y * weights).sum().backward()
                return [y.data, x.grad!, w.grad!, b.grad!]
            }
            let (direct, reference) = (run(false), run(true))
            for (k, name) in ["output", "∂x", "∂w", "∂b"].enumerated() {
                XCTAssertEqual(direct[k].count, reference[k].count)
                for (a, r) in zip(direct[k], reference[k]) { XCTAssertEqual(a, r, accuracy: 1e-4 * max(1, abs(r)), "\(name), k=\(kh) same=\(same)") }
            }
        }
    }

    func testDense() {
        check([random([3, 7]), random([7, 4]), random([4])]) { $0[0].dense($0[1], bias: $0[2]) }
        check([random([2, 2, 3, 1]), random([6, 5])]) { $0[0].dense($0[1]) }
    }

    func testOptimizersAndSchedule() {
        // Adam's first step moves each parameter by lr in the gradient's sign direction (m̂/√v̂ = ±1).
        let p = Tensor(shape: [3], data: [1, -2, 0.5], requiresGrad: true)
        p.grad = [0.3, -4, 0]
        var adam = Adam(learningRate: 0.1)
        adam.step([p])
        XCTAssertEqual(p.data[0], 0.9, accuracy: 1e-5); XCTAssertEqual(p.data[1], -1.9, accuracy: 1e-5); XCTAssertEqual(p.data[2], 0.5, accuracy: 1e-6)
        // SGD with momentum: u1 = g, u2 = μ·g + g.
        let q = Tensor(shape: [1], data: [1], requiresGrad: true)
        var sgd = SGD(learningRate: 0.1, momentum: 0.9)
        q.grad = [1]; sgd.step([q]); q.grad = [1]; sgd.step([q])
        XCTAssertEqual(q.data[0], 1 - 0.1 - 0.19, accuracy: 1e-6)
        XCTAssertEqual(cosineLearningRate(base: 1, step: 0, of: 10), 1)
        XCTAssertEqual(cosineLearningRate(base: 1, step: 5, of: 10), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cosineLearningRate(base: 1, step: 10, of: 10), 0, accuracy: 1e-6)
        let r = Tensor(shape: [2], data: [0, 0], requiresGrad: true)
        r.grad = [3, 4]
        XCTAssertEqual(clipGradientNorm([r], maxNorm: 1), 5)
        XCTAssertEqual(r.grad!, [0.6, 0.8])
    }
}
