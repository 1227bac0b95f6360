import Foundation

/// Adam (Kingma & Ba): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·m̂/(√v̂ + ε) with
/// bias-corrected m̂ = m/(1−β1^t), v̂ = v/(1−β2^t); decoupled weight decay θ ← θ − lr·wd·θ (AdamW).
public struct Adam {
    public var learningRate: Float
    public var beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    public var weightDecay: Float = 0
    var m: [ObjectIdentifier: [Float]] = [:], v: [ObjectIdentifier: [Float]] = [:]
    var t = 0

    public init(learningRate: Float = 1e-3, weightDecay: Float = 0) { (self.learningRate, self.weightDecay) = (learningRate, weightDecay) }

    public mutating func step(_ parameters: [Tensor]) {
        t += 1
        let c1 = 1 - powf(beta1, Float(t)), c2 = 1 - powf(beta2, Float(t))
        for p in parameters {
            guard let g = p.grad else { continue }
            let id = ObjectIdentifier(p)
            var mm = m[id] ?? [Float](repeating: 0, count: p.count), vv = v[id] ?? [Float](repeating: 0, count: p.count)
            for i in 0..<p.count {
                mm[i] = beta1 * mm[i] + (1 - beta1) * g[i]
                vv[i] = beta2 * vv[i] + (1 - beta2) * g[i] * g[i]
                p.data[i] -= learningRate * ((mm[i] / c1) / (sqrtf(vv[i] / c2) + epsilon) + weightDecay * p.data[i])
            }
            (m[id], v[id]) = (mm, vv)
        }
    }
}

/// SGD with momentum and L2 weight decay: u ← μ·u + (g + wd·θ), θ ← θ − lr·u.
public struct SGD {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    var velocity: [ObjectIdentifier: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        (self.learningRate, self.momentum, self.weightDecay) = (learningRate, momentum, weightDecay)
    }

    public mutating func step(_ parameters: [Tensor]) {
        for p in parameters {
            guard let g = p.grad else { continue }
            let id = ObjectIdentifier(p)
            var u = velocity[id] ?? [Float](repeating: 0, count: p.count)
            for i in 0..<p.count {
                u[i] = momentum * u[i] + g[i] + weightDecay * p.data[i]
                p.data[i] -= learningRate * u[i]
            }
            velocity[id] = u
        }
    }
}

/// Cosine schedule: lr(s) = lr₀ · ½ (1 + cos(π s / S)) for step s of S.
public func cosineLearningRate(base: Float, step: Int, of total: Int) -> Float {
    base * 0.5 * (1 + cosf(Float.pi * Float(min(step, total)) / Float(max(1, total))))
}

/// Scales all gradients so their joint L2 norm is at most `maxNorm`; returns the norm before.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var sq: Float = 0
    for p in parameters { if let g = p.grad { for x in g { sq += x * x } } }
    let norm = sqrtf(sq)
    if norm > maxNorm && norm > 0 {
        let s = maxNorm / norm
        for p in parameters where p.grad != nil { p.grad = p.grad!.map { $0 * s } }
    }
    return norm
}

/// He-uniform initialisation: U(−√(6/fan_in), √(6/fan_in)).
public func heUniform(_ shape: [Int], fanIn: Int, using g: inout some RandomNumberGenerator) -> Tensor {
    let bound = sqrtf(6 / Float(max(1, fanIn)))
    return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -bound...bound, using: &g) }, requiresGrad: true)
}
