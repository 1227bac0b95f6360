/// A float32 tensor in a reverse-mode autodiff graph (micrograd's design, on arrays): every op
/// returns a new tensor that remembers its inputs and a closure adding its output gradient into
/// theirs; `backward()` runs those closures in reverse topological order. Layout is row-major;
/// activations are NHWC (batch, time, sensors, channels).
public final class Tensor {
    public let shape: [Int]
    public var data: [Float]
    /// ∂loss/∂self after `backward()`; nil for tensors that need no gradient.
    public var grad: [Float]?
    public let requiresGrad: Bool
    let parents: [Tensor]
    /// Adds this tensor's `grad` into the parents' grads.
    let backwardFunction: ((Tensor) -> Void)?

    public var count: Int { data.count }

    public init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backwardFunction = nil
    }

    /// Whether ops record the graph for `backward()`; `withoutGradients` turns it off (evaluation).
    nonisolated(unsafe) static var isRecording = true

    /// Runs `body` without recording gradients (inference: no closures, no saved inputs).
    public static func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
        let saved = isRecording
        isRecording = false
        defer { isRecording = saved }
        return try body()
    }

    /// An op's result: needs a gradient when any input does (and recording is on).
    init(shape: [Int], data: [Float], parents: [Tensor], backward: @escaping (Tensor) -> Void) {
        self.shape = shape
        self.data = data
        self.requiresGrad = Tensor.isRecording && parents.contains { $0.requiresGrad }
        self.parents = requiresGrad ? parents : []
        self.backwardFunction = requiresGrad ? backward : nil
    }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    /// The gradient, handed over (nil afterwards) so the caller can modify it without a copy.
    @inline(__always) func takeGradient() -> [Float] {
        defer { grad = nil }
        return grad!
    }

    /// Adds `g` into `grad` (allocating it).
    @inline(__always) func accumulate(_ g: [Float]) {
        guard requiresGrad else { return }
        if grad == nil { grad = g; return }
        g.withUnsafeBufferPointer { src in
            grad!.withUnsafeMutableBufferPointer { dst in for i in 0..<dst.count { dst[i] += src[i] } }
        }
    }

    /// Reverse-mode differentiation of this scalar: ∂self/∂t for every tensor t that requires a
    /// gradient, accumulated into `t.grad`.
    public func backward() {
        precondition(count == 1, "backward() needs a scalar, got shape \(shape)")
        var order: [Tensor] = []
        var seen = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            if !seen.insert(ObjectIdentifier(t)).inserted { continue }
            stack.append((t, true))
            for p in t.parents where p.requiresGrad && !seen.contains(ObjectIdentifier(p)) { stack.append((p, false)) }
        }
        grad = [1]
        for t in order.reversed() {
            guard let f = t.backwardFunction, t.grad != nil else { continue }
            f(t)
            // An intermediate's gradient is spent once its op has passed it on: free it now.
            t.grad = nil
        }
    }
}
