import Datasets
import Foundation
import Graph
import Support

/// Training-time augmentation of inertial windows, for models that must generalize to people they
/// were not trained on (the subject-wise split): each training window is rotated as a whole — one
/// random rotation applied to every x/y/z channel triad of the window (accelerometer, gyroscope and
/// total acceleration turn together, as one IMU worn at another angle) — and scaled by one random
/// gain. Both act on the physical signal: the window is un-normalized with the dataset's training
/// statistics, rotated and scaled, and normalized again.
///
/// Channels are grouped into triads by name (`<prefix>_x`, `<prefix>_y`, `<prefix>_z`); channels
/// outside a triad are only scaled. Validation and test windows are never augmented.
public struct Augmentation: Sendable, Codable, Equatable {
    /// Largest rotation angle (degrees) about an axis drawn uniformly on the sphere; 0 = no rotation.
    public var rotationDegrees: Float
    /// The gain is drawn uniformly from [1 − gain, 1 + gain]; 0 = no scaling.
    public var gain: Float

    enum CodingKeys: String, CodingKey { case rotationDegrees = "rotation_degrees", gain }

    public init(rotationDegrees: Float = 15, gain: Float = 0.1) {
        (self.rotationDegrees, self.gain) = (rotationDegrees, gain)
    }

    /// What is wrong with a largest rotation angle, if anything ("must be …, got …").
    public static func rotationProblem(_ degrees: Float) -> String? {
        degrees.isFinite && (0...180).contains(degrees) ? nil : "must be between 0 and 180 degrees, got \(degrees)"
    }

    /// What is wrong with a gain half-width, if anything.
    public static func gainProblem(_ gain: Float) -> String? {
        gain.isFinite && (0..<1).contains(gain) ? nil : "must be in [0, 1), got \(gain)"
    }

    /// Checks the settings (from a checkpoint or a caller) before they are used.
    public func check() throws {
        if let p = Self.rotationProblem(rotationDegrees) { throw GraphError("augmentation rotation \(p)") }
        if let p = Self.gainProblem(gain) { throw GraphError("augmentation gain \(p)") }
    }

    /// The channel triads `(x, y, z)` of a dataset, by channel name.
    public static func triads(_ channels: [String]) -> [(Int, Int, Int)] {
        var out: [(Int, Int, Int)] = []
        for (i, name) in channels.enumerated() where name.hasSuffix("_x") {
            let prefix = name.dropLast(2)
            if let y = channels.firstIndex(of: prefix + "_y"), let z = channels.firstIndex(of: prefix + "_z") { out.append((i, y, z)) }
        }
        return out
    }

    /// A uniform draw from [0, 1) with 24 bits.
    static func unit(_ g: inout SplitMix64) -> Float { Float(g.next() >> 40) / Float(1 << 24) }

    /// The rotation matrix (row-major) of `angle` radians about the unit axis `u` (Rodrigues).
    static func rotation(axis u: (Float, Float, Float), angle: Float) -> [Float] {
        let (c, s) = (cos(angle), sin(angle)), t = 1 - c
        let (x, y, z) = u
        return [t * x * x + c, t * x * y - s * z, t * x * z + s * y,
                t * x * y + s * z, t * y * y + c, t * y * z - s * x,
                t * x * z - s * y, t * y * z + s * x, t * z * z + c]
    }

    /// Augments `windows` consecutive windows of `d`'s layout ([T, S], normalized with `d.mean`,
    /// `d.std`) in place. Draws from `g` (4 values per window), so a run replays from its seed.
    public func apply(_ x: inout [Float], windows: Int, of d: WindowDataset, using g: inout SplitMix64) {
        let (t, s) = (d.length, d.channels.count)
        let triads = Self.triads(d.channels)
        var inTriad = [Bool](repeating: false, count: s)
        for (a, b, c) in triads { (inTriad[a], inTriad[b], inTriad[c]) = (true, true, true) }
        let maxAngle = rotationDegrees * .pi / 180
        for w in 0..<windows {
            // The axis: a uniform point on the sphere (z uniform in [-1, 1], longitude uniform).
            let z = 2 * Self.unit(&g) - 1, phi = 2 * Float.pi * Self.unit(&g)
            let r = (1 - z * z).squareRoot()
            let angle = (2 * Self.unit(&g) - 1) * maxAngle
            let k = 1 + (2 * Self.unit(&g) - 1) * gain
            let m = Self.rotation(axis: (r * cos(phi), r * sin(phi), z), angle: angle)
            let base = w * t * s
            for i in 0..<t {
                let row = base + i * s
                for (a, b, c) in triads {
                    let va = x[row + a] * d.std[a] + d.mean[a], vb = x[row + b] * d.std[b] + d.mean[b], vc = x[row + c] * d.std[c] + d.mean[c]
                    x[row + a] = (k * (m[0] * va + m[1] * vb + m[2] * vc) - d.mean[a]) / d.std[a]
                    x[row + b] = (k * (m[3] * va + m[4] * vb + m[5] * vc) - d.mean[b]) / d.std[b]
                    x[row + c] = (k * (m[6] * va + m[7] * vb + m[8] * vc) - d.mean[c]) / d.std[c]
                }
                for ch in 0..<s where !inTriad[ch] {
                    x[row + ch] = (k * (x[row + ch] * d.std[ch] + d.mean[ch]) - d.mean[ch]) / d.std[ch]
                }
            }
        }
    }
}
