/// What a firmware must do to a real board before its timings mean what the board file says, and
/// how it prints without a debugger: register steps (each with the reference-manual section it
/// comes from) that set the core clock and flash wait states, and a UART console on the pins the
/// board's debug adapter turns into a serial port. Firmware runs the steps (the calibration suite
/// does, before its first region); the emulator models exactly the status bits the steps wait for
/// and the console's transmit register, so the same image runs in both places.
public struct RegisterStep: Sendable, Equatable {
    public enum Operation: String, Sendable, CaseIterable {
        /// register = value
        case write
        /// register = (register & ~mask) | value
        case modify
        /// until (register & mask) == value
        case wait
        /// at least `value` cycles pass (a loop of that many iterations; no register)
        case delay
    }
    public var operation: Operation
    /// The register's name in the reference manual (for people and for generated comments).
    public var register: String
    public var address: UInt32
    public var mask: UInt32
    public var value: UInt32
    public var source: String
}

/// The clock set-up: steps after which the core runs at `hclkHz` (which must be the board's clock).
public struct ClockSetup: Sendable, Equatable {
    public var hclkHz: Double
    public var steps: [RegisterStep]
    public var source: String
}

/// A transmit-only UART: set-up steps (pins, peripheral clock, baud rate, enable), then a byte is
/// sent by waiting until `status & txEmpty` is set and writing it to `txData`.
public struct ConsoleUART: Sendable, Equatable {
    public var name: String
    public var baud: Int
    public var status: UInt32
    public var txEmpty: UInt32
    public var txData: UInt32
    public var steps: [RegisterStep]
    public var source: String
}

extension BoardParsing {
    static func registerSteps(_ f: JSONFields, _ key: String, board: [MemoryRegion]) throws -> [RegisterStep] {
        let list = try f.objects(key)
        guard !list.isEmpty else { throw f.invalid(key, "at least one step is required") }
        var waits: [UInt32: (mask: UInt32, value: UInt32, index: Int)] = [:]
        return try list.enumerated().map { i, s in
            let opName = try s.string("do")
            guard let op = RegisterStep.Operation(rawValue: opName) else {
                throw s.invalid("do", "'\(opName)' is not one of \(RegisterStep.Operation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if op == .delay {
                let cycles = try s.positiveInt("cycles")
                guard cycles <= 10_000_000 else { throw s.invalid("cycles", "must be at most 10,000,000") }
                return RegisterStep(operation: op, register: try s.string("register"), address: 0, mask: 0, value: UInt32(cycles),
                                    source: try s.string("source"))
            }
            let address = try s.address("address")
            guard address % 4 == 0 else { throw s.invalid("address", "a register address must be word-aligned") }
            guard board.contains(where: { $0.kind == .peripheral && $0.contains(address) }) else {
                throw s.invalid("address", "0x\(String(address, radix: 16)) lies in no peripheral region of 'memories'")
            }
            let value = UInt32(try s.address("value"))
            let mask: UInt32 = op == .write ? 0xFFFF_FFFF : UInt32(try s.address("mask"))
            if op == .write, s.has("mask") { throw s.invalid("mask", "a write sets the whole register; use 'modify' for some bits") }
            guard value & ~mask == 0 else { throw s.invalid("value", "sets bits outside 'mask'") }
            guard op == .write || mask != 0 else { throw s.invalid("mask", "must select at least one bit") }
            if op == .wait {
                // The emulator makes every wait's bits read as that wait wants them; two waits on the
                // same bits for different values cannot both be modelled (nor, in order, both succeed).
                if let w = waits[UInt32(address)], (w.value ^ value) & (w.mask & mask) != 0 {
                    throw s.invalid("value", "waits for bits of 0x\(String(address, radix: 16)) that step \(w.index) waits for with other values")
                }
                let w = waits[UInt32(address)] ?? (0, 0, i)
                waits[UInt32(address)] = (w.mask | mask, (w.value & ~mask) | value, i)
            }
            return RegisterStep(operation: op, register: try s.string("register"), address: UInt32(address), mask: mask, value: value,
                                source: try s.string("source"))
        }
    }

    static func clockSetup(_ f: JSONFields, memories: [MemoryRegion], clock: Double) throws -> ClockSetup? {
        guard f.has("clock_setup") else { return nil }
        let c = try f.object("clock_setup")
        let hclk = try c.number("hclk_hz")
        guard hclk == clock else {
            throw c.invalid("hclk_hz", "the steps make the core run at \(Int(hclk)) Hz but clock_hz is \(Int(clock)) Hz")
        }
        return ClockSetup(hclkHz: hclk, steps: try registerSteps(c, "steps", board: memories), source: try c.string("source"))
    }

    static func console(_ f: JSONFields, memories: [MemoryRegion]) throws -> ConsoleUART? {
        guard f.has("console") else { return nil }
        let c = try f.object("console")
        func register(_ key: String) throws -> UInt32 {
            let a = try c.address(key)
            guard a % 4 == 0, memories.contains(where: { $0.kind == .peripheral && $0.contains(a) }) else {
                throw c.invalid(key, "expected a word-aligned address in a peripheral region of 'memories'")
            }
            return UInt32(a)
        }
        let baud = try c.positiveInt("baud")
        guard baud <= 20_000_000 else { throw c.invalid("baud", "must be at most 20,000,000") }
        let txEmpty = UInt32(try c.address("tx_empty"))
        guard txEmpty != 0 else { throw c.invalid("tx_empty", "must select a status bit") }
        let status = try register("status"), txData = try register("tx_data")
        guard status != txData else { throw c.invalid("tx_data", "must differ from 'status'") }
        return ConsoleUART(name: try c.string("name"), baud: baud, status: status, txEmpty: txEmpty, txData: txData,
                           steps: try registerSteps(c, "steps", board: memories), source: try c.string("source"))
    }
}
