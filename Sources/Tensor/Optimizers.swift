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
            // Taken out of the dictionaries so the updates below mutate them in place (no copy).
            var mm = m.removeValue(forKey: id) ?? [Float](repeating: 0, count: p.count)
            var vv = v.removeValue(forKey: id) ?? [Float](repeating: 0, count: p.count)
            let (b1, b2, lr, eps, wd) = (beta1, beta2, learningRate, epsilon, weightDecay)
            mm.withUnsafeMutableBufferPointer { m1 in vv.withUnsafeMutableBufferPointer { v1 in
                g.withUnsafeBufferPointer { gp in p.data.withUnsafeMutableBufferPointer { theta in
                    for i in 0..<theta.count {
                        m1[i] = b1 * m1[i] + (1 - b1) * gp[i]
                        v1[i] = b2 * v1[i] + (1 - b2) * gp[i] * gp[i]
                        theta[i] -= lr * ((m1[i] / c1) / (sqrtf(v1[i] / c2) + eps) + wd * theta[i])
                    }
                } }
            } }
            (m[id], v[id]) = (mm, vv)
        }
    }
}

extension Adam {
    /// The optimizer's state for `parameters` (in that order), as a checkpoint stores it: the step
    /// count and each parameter's moments (empty for one never stepped).
    public func state(for parameters: [Tensor]) -> (step: Int, m: [[Float]], v: [[Float]]) {
        (t, parameters.map { m[ObjectIdentifier($0)] ?? [] }, parameters.map { v[ObjectIdentifier($0)] ?? [] })
    }

    /// Restores `state(for:)` onto `parameters` (the same order and sizes); returns false, changing
    /// nothing, when the moments do not fit the parameters.
    public mutating func restore(step: Int, m: [[Float]], v: [[Float]], for parameters: [Tensor]) -> Bool {
        guard step >= 0, m.count == parameters.count, v.count == parameters.count,
              zip(parameters, zip(m, v)).allSatisfy({ p, mv in (mv.0.isEmpty || mv.0.count == p.count) && (mv.1.isEmpty || mv.1.count == p.count) })
        else { return false }
        t = step
        self.m = [:]; self.v = [:]
        for (p, (mm, vv)) in zip(parameters, zip(m, v)) {
            if !mm.isEmpty { self.m[ObjectIdentifier(p)] = mm }
            if !vv.isEmpty { self.v[ObjectIdentifier(p)] = vv }
        }
        return true
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
            var u = velocity.removeValue(forKey: id) ?? [Float](repeating: 0, count: p.count)
            let (mu, lr, wd) = (momentum, learningRate, weightDecay)
            u.withUnsafeMutableBufferPointer { up in g.withUnsafeBufferPointer { gp in p.data.withUnsafeMutableBufferPointer { theta in
                for i in 0..<theta.count {
                    up[i] = mu * up[i] + gp[i] + wd * theta[i]
                    theta[i] -= lr * up[i]
                }
            } } }
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
