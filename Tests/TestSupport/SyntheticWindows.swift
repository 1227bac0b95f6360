import Datasets
import Foundation
import Support

/// A small window dataset that a tiny network learns in seconds: 3 classes of [32, 3] windows, a
/// sine on the class's channel, uniform noise everywhere; `subjects` × `perSubject` windows.
public enum SyntheticWindows {
    public static func raw(subjects: Int = 6, perSubject: Int = 30, seed: UInt64 = 11) -> RawWindows {
        var g = SplitMix64(seed: seed)
        var x: [Float] = [], y: [Int32] = [], s: [Int32] = []
        for subject in 1...subjects {
            for k in 0..<perSubject {
                let c = k % 3
                for t in 0..<32 {
                    for ch in 0..<3 {
                        let signal: Float = ch == c ? 1 + 0.5 * sinf(Float(t) * 0.4) : 0
                        x.append(signal + Float.random(in: -0.3...0.3, using: &g))
                    }
                }
                y.append(Int32(c)); s.append(Int32(subject))
            }
        }
        return RawWindows(name: "synthetic", length: 32, channels: ["a", "b", "c"], classes: ["slow", "mid", "fast"], x: x, y: y, subjects: s)
    }

    /// Split by subject: 5 and 6 test, 4 validation.
    public static func dataset(subjects: Int = 6, perSubject: Int = 30) throws -> WindowDataset {
        try raw(subjects: subjects, perSubject: perSubject).split(.subject(test: [5, 6], val: [4], valCount: 0, seed: 1))
    }

    /// The raw windows as a user NPY dataset folder (X.npy, y.npy, subjects.npy) for the CLI.
    public static func writeNPY(_ w: RawWindows, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try NPYArray(float32: w.x, shape: [w.count, w.length, w.channels.count]).write(to: folder.appendingPathComponent("X.npy"))
        try NPYArray(int32: w.y, shape: [w.count]).write(to: folder.appendingPathComponent("y.npy"))
        try NPYArray(int32: w.subjects, shape: [w.count]).write(to: folder.appendingPathComponent("subjects.npy"))
    }
}
