import Foundation
import Targets

/// Measured cycles per operator configuration for one board, cost table and kernel build. Stored as
/// JSON written to a temporary file and renamed (DESIGN decision 7), so a killed run leaves the last
/// complete table, and a rerun measures only what is missing.
public struct LookupTable: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// Cycles of one warm kernel call (DWT, inside the firmware).
        public var cycles: UInt32
        public var macs: Int
    }

    public var board: String
    /// FNV-1a of the board's cost vector (events and costs); a recalibrated board gets a new table.
    public var costHash: String
    /// The kernel firmware's content hash (its cached file name); a rebuilt kernel set gets a new table.
    public var kernelHash: String
    public var entries: [String: Entry]

    enum CodingKeys: String, CodingKey { case board, costHash = "cost_hash", kernelHash = "kernel_hash", entries }

    public init(board: String, costHash: String, kernelHash: String, entries: [String: Entry] = [:]) {
        (self.board, self.costHash, self.kernelHash, self.entries) = (board, costHash, kernelHash, entries)
    }

    /// Reads a table; errors name the file and say what is wrong with it.
    public static func load(_ url: URL) throws -> LookupTable {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CharacterizationError("\(url.path): cannot read the table") }
        do { return try JSONDecoder().decode(LookupTable.self, from: data) } catch {
            throw CharacterizationError("\(url.path): not a micronas lookup table (corrupt or foreign file): \(error)")
        }
    }

    public func save(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
    }

    /// Joins tables measured in shards (same board, cost table and kernel build); errors name the
    /// first table that does not match.
    public static func merge(_ tables: [(name: String, table: LookupTable)]) throws -> LookupTable {
        guard var merged = tables.first?.table else { throw CharacterizationError("nothing to merge") }
        for (name, t) in tables.dropFirst() {
            guard t.board == merged.board, t.costHash == merged.costHash, t.kernelHash == merged.kernelHash else {
                throw CharacterizationError("\(name) was measured for \(t.board) (costs \(t.costHash), kernels \(t.kernelHash)), not \(merged.board) (costs \(merged.costHash), kernels \(merged.kernelHash))")
            }
            merged.entries.merge(t.entries) { a, _ in a }
        }
        return merged
    }

    public static func costHash(_ board: Board) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for (event, cost) in board.costVector.named.sorted(by: { $0.key < $1.key }) {
            for b in Array("\(event)=\(cost);".utf8) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        }
        return String(h, radix: 16)
    }
}

public struct CharacterizationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
