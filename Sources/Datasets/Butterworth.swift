import Foundation

/// A digital Butterworth low-pass filter designed by the bilinear transform with pre-warping, and
/// zero-phase (forward–backward) filtering. UCI-HAR separates gravity from body acceleration with a
/// 0.3 Hz Butterworth low-pass (Anguita et al., ESANN 2013); micronas uses order 3 at 50 Hz.
public struct Butterworth: Sendable {
    /// Numerator and denominator coefficients, `a[0] = 1`.
    public let b: [Double]
    public let a: [Double]

    /// Order `n` low-pass with cut-off `cutoff` Hz at sampling rate `rate` Hz.
    /// Analog poles `ωa · e^{iπ(2k+n+1)/(2n)}` with `ωa = 2·rate·tan(π·cutoff/rate)`; each maps to
    /// `z = (1 + s/(2·rate)) / (1 − s/(2·rate))`; all n zeros at z = −1; gain set for |H(1)| = 1.
    public init(order n: Int, cutoff: Double, rate: Double) {
        precondition(n >= 1 && cutoff > 0 && cutoff < rate / 2, "Butterworth: order ≥ 1 and 0 < cutoff < rate/2")
        let k = 2 * rate
        let wa = k * tan(Double.pi * cutoff / rate)
        // Polynomials with complex coefficients as (re, im) pairs; multiply (z − p) factors.
        var den: [(Double, Double)] = [(1, 0)]
        for i in 0..<n {
            let theta = Double.pi * Double(2 * i + n + 1) / Double(2 * n)
            let (sr, si) = (wa * cos(theta), wa * sin(theta))
            // z = (k + s) / (k − s)
            let (nr, ni) = (k + sr, si), (dr, di) = (k - sr, -si)
            let m = dr * dr + di * di
            let p = ((nr * dr + ni * di) / m, (ni * dr - nr * di) / m)
            var next = [(Double, Double)](repeating: (0, 0), count: den.count + 1)
            for (j, c) in den.enumerated() {
                next[j].0 += c.0; next[j].1 += c.1
                next[j + 1].0 -= c.0 * p.0 - c.1 * p.1
                next[j + 1].1 -= c.0 * p.1 + c.1 * p.0
            }
            den = next
        }
        let a = den.map(\.0)
        // (z + 1)^n, then scale so that H(1) = Σb / Σa = 1.
        var num: [Double] = [1]
        for _ in 0..<n {
            var next = [Double](repeating: 0, count: num.count + 1)
            for (j, c) in num.enumerated() { next[j] += c; next[j + 1] += c }
            num = next
        }
        let gain = a.reduce(0, +) / num.reduce(0, +)
        self.b = num.map { $0 * gain }
        self.a = a
    }

    /// |H(e^{iω})| at `frequency` Hz for sampling rate `rate`.
    public func magnitude(at frequency: Double, rate: Double) -> Double {
        let w = 2 * Double.pi * frequency / rate
        func eval(_ c: [Double]) -> (Double, Double) {
            var re = 0.0, im = 0.0
            for (k, v) in c.enumerated() { re += v * cos(-w * Double(k)); im += v * sin(-w * Double(k)) }
            return (re, im)
        }
        let (nr, ni) = eval(b), (dr, di) = eval(a)
        return sqrt((nr * nr + ni * ni) / (dr * dr + di * di))
    }

    /// Direct form II transposed over `x` starting from state `z`.
    func filter(_ x: [Double], state z0: [Double]) -> [Double] {
        var z = z0
        let n = a.count - 1
        var y = [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let out = b[0] * x[i] + (n > 0 ? z[0] : 0)
            for j in 0..<n {
                z[j] = b[j + 1] * x[i] - a[j + 1] * out + (j + 1 < n ? z[j + 1] : 0)
            }
            y[i] = out
        }
        return y
    }

    /// The state that a constant input of 1 keeps constant (the filter's step-response steady state),
    /// so filtering starts without a transient: solves (I − Aᵀ) z = b[1…] − a[1…]·b[0].
    var steadyState: [Double] {
        let n = a.count - 1
        guard n > 0 else { return [] }
        // DF2T: z_j = b_{j+1} x − a_{j+1} y + z_{j+1}, with x = y = 1 in steady state:
        // z_{n−1} = b_n − a_n; z_j = b_{j+1} − a_{j+1} + z_{j+1}.
        var z = [Double](repeating: 0, count: n)
        z[n - 1] = b[n] - a[n]
        for j in stride(from: n - 2, through: 0, by: -1) { z[j] = b[j + 1] - a[j + 1] + z[j + 1] }
        return z
    }

    /// Zero-phase filtering: odd reflection of `pad` samples at both ends, forward from the steady
    /// state of the first sample, backward likewise, padding removed.
    public func filtfilt(_ x: [Double], pad requested: Int = 150) -> [Double] {
        guard x.count > 1 else { return x }
        let pad = min(requested, x.count - 1)
        let head = (1...max(1, pad)).reversed().map { 2 * x[0] - x[$0] }
        let tail = (1...max(1, pad)).map { 2 * x[x.count - 1] - x[x.count - 1 - $0] }
        let ext = (pad > 0 ? head : []) + x + (pad > 0 ? tail : [])
        let zi = steadyState
        let forward = filter(ext, state: zi.map { $0 * ext[0] })
        let reversed = Array(forward.reversed())
        let backward = filter(reversed, state: zi.map { $0 * reversed[0] })
        return Array(backward.reversed()[pad..<(pad + x.count)])
    }
}
