import Foundation
import Kernels
import Support
import Targets

/// Measured cycles per operator configuration for one board, cost table and kernel build — the
/// rows of a `TableStore` for that key, in memory.
public struct LookupTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Cycles of one warm kernel call (DWT, inside the firmware; or re-priced from `events`).
        public var cycles: UInt32
        public var macs: Int
        /// The emulator's events behind `cycles` (cycles = events · costs up to the counter's
        /// rounding): what lets a recalibrated board be priced without emulating again.
        public var events: EventVector?

        public init(cycles: UInt32, macs: Int, events: EventVector? = nil) { (self.cycles, self.macs, self.events) = (cycles, macs, events) }
    }

    public var board: String
    /// FNV-1a of the board's cost vector (events and costs); a recalibrated board gets a new table.
    public var costHash: String
    /// The kernel firmware's content hash (its cached file name); a rebuilt kernel set gets a new table.
    public var kernelHash: String
    public var entries: [String: Entry]

    public init(board: String, costHash: String, kernelHash: String, entries: [String: Entry] = [:]) {
        (self.board, self.costHash, self.kernelHash, self.entries) = (board, costHash, kernelHash, entries)
    }

    public static func costHash(_ board: Board) -> String {
        var h = FNV1a()
        for (event, cost) in board.costVector.named.sorted(by: { $0.key < $1.key }) { h.add("\(event)=\(cost)") }
        return String(h.value, radix: 16)
    }

    /// FNV-1a of everything about a board that decides which events a kernel produces — core,
    /// divider, memory map, caches, compiler flags, and which events the cost vector prices at all
    /// (the emulator counts only priced data accesses) — but not the cost values. Entries with the
    /// same event model can be re-priced for new costs from their stored events.
    public static func eventModelHash(_ board: Board) -> String {
        var h = FNV1a()
        let c = board.core
        h.add("\(c.name);\(c.cpu);\(c.architecture);\(c.hasDSP);\(c.hasFPU);\(c.divideBase.value);\(c.divideBitsPerCycle.value);\(c.divideMax.value);")
        h.add("boot=\(board.bootAddress.value);")
        for m in board.memories { h.add("\(m.name):\(m.kind):\(m.base):\(m.size):\(m.aliases):\(m.isCacheable);") }
        for k in board.caches { h.add("\(k.name):\(k.role):\(k.regions):\(k.lineBytes):\(k.lines):\(k.ways);") }
        h.add(board.compilerFlags.joined(separator: " "))
        h.add(board.costVector.named.keys.sorted().joined(separator: ","))
        return String(h.value, radix: 16)
    }
}

