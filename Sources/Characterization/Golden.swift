import Foundation
import SearchSpace

/// A committed sample of table entries: `characterize --check` re-measures them and fails on drift —
/// the hardware-free CI gate for the kernels, the code generator, the emulator and the cost tables.
public struct GoldenSample: Codable, Sendable {
    public var board: String
    public var space: SearchSpace
    public var entries: [String: UInt32]

    public init(board: String, space: SearchSpace, entries: [String: UInt32]) { (self.board, self.space, self.entries) = (board, space, entries) }

    /// Every `stride`-th configuration of the space, in key order.
    public static func keys(_ space: SearchSpace, count: Int) -> Set<String> {
        let all = space.operatorKeys().sorted().map(\.text)
        let stride = max(1, all.count / max(1, count))
        return Set(all.enumerated().filter { $0.offset % stride == 0 }.prefix(count).map(\.element))
    }

    public struct Drift: Sendable, CustomStringConvertible {
        public var key: String, golden: UInt32, measured: UInt32
        public var percent: Double { golden > 0 ? 100 * abs(Double(measured) - Double(golden)) / Double(golden) : 100 }
        public var description: String { String(format: "%@: %u cycles, golden %u (%.2f %%)", key, measured, golden, percent) }
    }

    /// Entries whose re-measured cycles differ by more than `tolerance` percent (missing ones count as drift).
    public func drift(against measured: [String: UInt32], tolerance: Double) -> [Drift] {
        entries.sorted { $0.key < $1.key }.compactMap { key, golden in
            let m = measured[key] ?? 0
            let d = Drift(key: key, golden: golden, measured: m)
            return d.percent > tolerance ? d : nil
        }
    }
}
