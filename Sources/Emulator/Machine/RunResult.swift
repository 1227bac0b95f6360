import Targets

/// Why a run stopped.
public enum StopReason: Equatable, Sendable, CustomStringConvertible {
    /// SYS_EXIT / SYS_EXIT_EXTENDED with this status.
    case exited(Int32)
    /// A BKPT other than the semihosting one.
    case breakpoint(UInt8)

    public var description: String {
        switch self {
        case let .exited(c): return "exit(\(c))"
        case let .breakpoint(n): return "bkpt #\(n)"
        }
    }
}

/// A value of DWT->CYCCNT handed to the program, with the instruction that read it.
public struct CounterRead: Sendable, Equatable {
    public var pc: UInt64
    public var value: UInt32
    /// The events accumulated before the reading instruction (`RunOptions.recordCounterEvents`);
    /// their dot product with the board's costs is the modelled count the read returned.
    public var events: EventVector? = nil
}

/// Everything a finished run reports.
public struct RunResult: Sendable {
    public var board: String
    public var core: String
    public var clockHz: Double
    public var stop: StopReason
    /// Exit status: the SYS_EXIT code, or r0 at a plain breakpoint.
    public var exitCode: Int32
    public var instructions: UInt64
    /// cycles = events · costs (rounded to the nearest cycle).
    public var cycles: UInt64
    public var events: EventVector
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Bytes the firmware sent through the board's console UART (`console` in the board file).
    public var console: [UInt8]
    /// Every CYCCNT read the program made, in order.
    public var counterReads: [CounterRead]
    /// Modelled cycle count when execution first reached each probe address (cycles before that instruction).
    public var probeCycles: [UInt64: [Double]]
    /// The cycle count accumulated block by block during the run; equals `events · costs` up to rounding.
    public var accumulatedCycles: Double
    public var wallSeconds: Double
    /// CPU time of the emulating thread during the run (less sensitive than wall time to other load).
    public var cpuSeconds: Double
    public var basicBlocks: Int
    /// Basic blocks executed (accounted runs, or raw runs with `countBlocksOnly`; else 0).
    public var blockExecutions: UInt64 = 0
    /// Load instructions whose data reads go unpriced on some path: an instruction priced at block
    /// entry in one block that another block would have needed a code hook for (see DataAccess.swift).
    public var unpricedLoadSites: Int = 0
    /// Block executions whose data-read and fetch prices were replayed from the block's memo.
    public var replayedBlocks: UInt64 = 0

    public var seconds: Double { Double(cycles) / clockHz }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var consoleText: String { String(decoding: console, as: UTF8.self) }
}
