import Emulator
import Foundation
import Support
import Targets

/// The regions of one firmware image as the emulator sees them: every interval between two
/// consecutive DWT->CYCCNT reads, with the events the emulator counted in it.
///
/// Names come from what the firmware printed: each `<region>: <cycles> cycles` line of its output
/// names the first interval, after the one the previous line named, whose emulated delta is that
/// figure (a firmware that prints a region's count, as the suite does, names its own regions; the
/// deltas the board prints differ, but the order and the names are the same). Intervals no line
/// names are called `#i` (the interval after counter read i, from 0). A name printed k times is
/// `name`, `name@2`, … `name@k` in order.
public struct FirmwareRegions: Sendable {
    public struct Region: Sendable, Equatable {
        public var name: String
        public var events: EventVector
        /// The emulated board's delta (events · its costs, as the firmware read it).
        public var cycles: UInt32
    }

    public var board: String
    public var firmware: String
    public var sha256: String
    public var regions: [Region]
    /// Printed region lines no interval matched (the firmware printed a figure its reads do not give).
    public var unmatchedLines: [String]
    public var instructions: UInt64

    public func region(named name: String) -> Region? { regions.first { $0.name == name } }

    /// Emulates `elf` on `board` with counter events recorded.
    public static func emulate(_ elf: URL, on board: Board, maxInstructions: UInt64 = 2_000_000_000, timeoutSeconds: Double = 600) throws -> FirmwareRegions {
        let image: ELFImage
        do { image = try ELFImage(path: elf.path) } catch { throw CalibrationError(file: elf.path, "\(error)") }
        let sha = try SHA256.hex(file: elf)
        var options = RunOptions(maxInstructions: maxInstructions, timeoutSeconds: timeoutSeconds, commandLine: elf.lastPathComponent)
        options.recordCounterEvents = true
        let result: RunResult
        do { result = try Machine(board: board, image: image).run(options) } catch {
            throw CalibrationError(file: elf.path, "on the emulated \(board.name): \(error)")
        }
        guard result.exitCode == 0 else { throw CalibrationError(file: elf.path, "on the emulated \(board.name): the firmware stopped with \(result.stop) (status \(result.exitCode))") }
        let reads = result.counterReads
        guard reads.count >= 2 else {
            throw CalibrationError(file: elf.path, "the firmware read DWT->CYCCNT \(reads.count) time(s) on the emulated \(board.name); a timed region needs two reads")
        }
        var intervals: [Region] = []
        for i in 0..<(reads.count - 1) {
            guard let a = reads[i].events, let b = reads[i + 1].events else { throw CalibrationError(file: elf.path, "the emulator recorded no events at counter read \(i)") }
            intervals.append(Region(name: "#\(i)", events: b - a, cycles: reads[i + 1].value &- reads[i].value))
        }
        var unmatched: [String] = []
        var seen: [String: Int] = [:]
        var next = 0
        for line in result.stdoutText.split(whereSeparator: \.isNewline) {
            guard let (name, count) = Trace.regionLine(line), !name.isEmpty, let cycles = UInt32(count) else { continue }
            guard let j = (next..<intervals.count).first(where: { intervals[$0].cycles == cycles }) else {
                unmatched.append(String(line))
                continue
            }
            seen[name, default: 0] += 1
            intervals[j].name = Trace.occurrence(name, seen[name]!)
            next = j + 1
        }
        return FirmwareRegions(board: board.name, firmware: elf.path, sha256: sha, regions: intervals, unmatchedLines: unmatched, instructions: result.instructions)
    }
}

extension Trace {
    /// The records' names made unique the way `FirmwareRegions` names repeated prints (`name@k`).
    public var occurrenceNames: [String] {
        var seen: [String: Int] = [:]
        return records.map { r in
            seen[r.region, default: 0] += 1
            return Trace.occurrence(r.region, seen[r.region]!)
        }
    }
}
