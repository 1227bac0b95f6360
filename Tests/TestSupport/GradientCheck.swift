import Support
import Tensor
import XCTest

/// Central finite differences against a tensor function's backward: seeded random inputs and
/// checks of ∂L/∂input for L = Σ w ⊙ f(inputs) with fixed random w.
public struct GradientCheck {
    public var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    public mutating func random(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -scale...scale, using: &generator) }, requiresGrad: true)
    }

    /// Compares the analytic gradient at `samples` random coordinates of every input that requires
    /// one with (L(x + ε) − L(x − ε)) / 2ε, evaluated in Double on the float values.
    public mutating func check(_ inputs: [Tensor], samples: Int = 12, eps: Float = 1e-2, tolerance: Double = 2e-2,
                               file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
        let out = f(inputs)
        let weights = Tensor(shape: out.shape, data: (0..<out.count).map { _ in Float.random(in: -1...1, using: &generator) })
        func loss() -> Double {
            let o = Tensor.withoutGradients { f(inputs) }
            return zip(o.data, weights.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        for t in inputs { t.grad = nil }
        (f(inputs) * weights).sum().backward()
        for (k, t) in inputs.enumerated() where t.requiresGrad {
            let analytic = t.grad ?? [Float](repeating: 0, count: t.count)
            for _ in 0..<min(samples, t.count) {
                let i = Int.random(in: 0..<t.count, using: &generator)
                let saved = t.data[i]
                t.data[i] = saved + eps; let plus = loss()
                t.data[i] = saved - eps; let minus = loss()
                t.data[i] = saved
                let numeric = (plus - minus) / Double(2 * eps)
                let scale = max(1, abs(numeric))
                XCTAssertEqual(Double(analytic[i]), numeric, accuracy: tolerance * scale, "input \(k)[\(i)]", file: file, line: line)
            }
        }
    }
}
