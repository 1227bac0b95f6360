/// Why a run could not start or did not finish. Messages are one line and name the culprit.
public enum EmulatorError: Error, CustomStringConvertible, Equatable {
    case badFirmware(path: String, reason: String)
    case segmentOutsideMemory(path: String, address: UInt64, size: UInt64, board: String)
    case library(call: String, message: String)
    case memoryFault(kind: String, address: UInt64, pc: String)
    case flashWrite(size: Int, address: UInt64, region: String, pc: String)
    case usageFault(reason: String, pc: String)
    case undefinedInstruction(pc: String)
    case cpuException(number: UInt32, pc: String)
    case unsupportedSemihosting(operation: UInt32, pc: String)
    case semihostingRange(operation: UInt32, what: String, address: UInt32, bytes: UInt64, destination: Bool, pc: String)
    case budgetExhausted(instructions: UInt64, executed: UInt64, pc: String)
    case timeout(seconds: Double, pc: String)
    case programFailed(exitCode: Int32, stderr: String)

    public var description: String {
        switch self {
        case let .badFirmware(path, reason):
            return "\(path): \(reason)"
        case let .segmentOutsideMemory(path, address, size, board):
            return "\(path): segment at 0x\(String(address, radix: 16)) (\(size) bytes) lies outside the memory map of \(board)"
        case let .library(call, message):
            return "\(call) failed: \(message)"
        case let .memoryFault(kind, address, pc):
            return "\(kind) at 0x\(String(address, radix: 16)) outside the board's memory map (pc \(pc))"
        case let .flashWrite(size, address, region, pc):
            return "store of \(size) bytes to \(region) at 0x\(String(address, radix: 16)) (pc \(pc)): flash takes no stores (a locked STM32 flash ignores the write and flags a programming error)"
        case let .usageFault(reason, pc):
            return "UsageFault at \(pc): \(reason) (the core faults here; HardFault when UsageFault is not enabled)"
        case let .undefinedInstruction(pc):
            return "undefined instruction at \(pc)"
        case let .cpuException(number, pc):
            return "CPU exception \(number) (\(EmulatorError.exceptionName(number))) at \(pc)"
        case let .unsupportedSemihosting(op, pc):
            return "unsupported semihosting call 0x\(String(op, radix: 16)) (\(Semihosting.name(of: op))) at \(pc)"
        case let .semihostingRange(op, what, address, bytes, destination, pc):
            return "semihosting \(Semihosting.name(of: op)) at \(pc): its \(what) (\(bytes) bytes at 0x\(String(address, radix: 16))) is not inside the board's \(destination ? "RAM" : "memory")"
        case let .budgetExhausted(n, executed, pc):
            return "instruction budget of \(n) exhausted without the program exiting (\(executed) run, pc \(pc)); raise --max-instructions if it is expected to run longer"
        case let .timeout(s, pc):
            return "wall-clock limit of \(s) s reached without the program exiting (pc \(pc))"
        case let .programFailed(code, stderr):
            let first = stderr.split(separator: "\n").first.map(String.init) ?? ""
            return "program exited with status \(code)" + (first.isEmpty ? "" : ": \(first)")
        }
    }

    static func exceptionName(_ n: UInt32) -> String {
        switch n {
        case 1: return "undefined instruction"
        case 2: return "SVC"
        case 3: return "prefetch abort"
        case 4: return "data abort"
        case 5: return "IRQ"
        case 6: return "FIQ"
        case 7: return "breakpoint"
        case 8: return "exception exit"
        case 9: return "kernel trap"
        case 15: return "no coprocessor (FPU disabled?)"
        case 16: return "invalid state (ARM mode on M-profile: missing Thumb bit)"
        case 17: return "stack check"
        case 18: return "hypervisor call"
        default: return "other"
        }
    }
}
