import CEmulatorShims
import CUnicorn
import Foundation

/// Arm semihosting (Semihosting for AArch32 and AArch64, v2), reached through `BKPT 0xAB` in Thumb:
/// r0 = operation, r1 = parameter (usually a pointer to a block of words), result in r0.
enum Semihosting {
    static let open: UInt32 = 0x01, close: UInt32 = 0x02, writec: UInt32 = 0x03, write0: UInt32 = 0x04
    static let write: UInt32 = 0x05, read: UInt32 = 0x06, readc: UInt32 = 0x07, iserror: UInt32 = 0x08
    static let istty: UInt32 = 0x09, seek: UInt32 = 0x0A, flen: UInt32 = 0x0C, clock: UInt32 = 0x10
    static let time: UInt32 = 0x11, errno: UInt32 = 0x13, getCmdline: UInt32 = 0x15, heapinfo: UInt32 = 0x16
    static let exit: UInt32 = 0x18, exitExtended: UInt32 = 0x20, elapsed: UInt32 = 0x30, tickfreq: UInt32 = 0x31

    /// ADP_Stopped_ApplicationExit: the reason code of a normal exit.
    static let applicationExit: UInt32 = 0x20026

    static func name(of op: UInt32) -> String {
        let names: [UInt32: String] = [
            0x01: "SYS_OPEN", 0x02: "SYS_CLOSE", 0x03: "SYS_WRITEC", 0x04: "SYS_WRITE0", 0x05: "SYS_WRITE",
            0x06: "SYS_READ", 0x07: "SYS_READC", 0x08: "SYS_ISERROR", 0x09: "SYS_ISTTY", 0x0A: "SYS_SEEK",
            0x0C: "SYS_FLEN", 0x0D: "SYS_TMPNAM", 0x0E: "SYS_REMOVE", 0x0F: "SYS_RENAME", 0x10: "SYS_CLOCK",
            0x11: "SYS_TIME", 0x12: "SYS_SYSTEM", 0x13: "SYS_ERRNO", 0x15: "SYS_GET_CMDLINE", 0x16: "SYS_HEAPINFO",
            0x18: "SYS_EXIT", 0x20: "SYS_EXIT_EXTENDED", 0x30: "SYS_ELAPSED", 0x31: "SYS_TICKFREQ",
        ]
        return names[op] ?? "unknown"
    }
}

/// Open handles of one run. Only the console (`:tt`) and the feature file exist; no host files.
struct SemihostingState {
    enum Handle { case stdin, stdout, stderr, features(offset: Int) }
    var handles: [UInt32: Handle] = [:]
    var nextHandle: UInt32 = 1
    var stdinOffset = 0
    var lastErrno: UInt32 = 0
    /// ":semihosting-features": magic "SHFB" then feature byte 0 (bit 0 EXIT_EXTENDED, bit 1 STDOUT_STDERR).
    static let features: [UInt8] = [0x53, 0x48, 0x46, 0x42, 0x03]
}

extension Machine {
    /// UC_HOOK_INTR: BKPT (7) is semihosting or a stop; anything else is a fault.
    func interrupt(_ number: UInt32) {
        let pc = UInt64(register(UC_ARM_REG_PC))
        guard number == 7 else {
            fail(.cpuException(number: number, pc: image.describe(pc)))
            return
        }
        var insn: UInt16 = 0
        uc_mem_read(uc, pc, &insn, 2)
        guard insn == 0xBEAB else {
            stopReason = .breakpoint(UInt8(insn & 0xFF))
            exitCode = Int32(bitPattern: register(UC_ARM_REG_R0))
            uc_emu_stop(uc)
            return
        }
        let op = register(UC_ARM_REG_R0), param = register(UC_ARM_REG_R1)
        switch semihost(op, param, pc: pc) {
        case .result(let r):
            setRegister(UC_ARM_REG_R0, r)
            setRegister(UC_ARM_REG_PC, UInt32(truncatingIfNeeded: pc + 2) | 1)
        case .stop:
            uc_emu_stop(uc)
        }
    }

    enum SemihostOutcome { case result(UInt32), stop }

    private func word(_ address: UInt32, _ k: UInt32) -> UInt32 { read32(UInt64(address &+ 4 * k)) ?? 0 }

    private func bytes(at address: UInt32, count: UInt32) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: Int(min(count, 1 << 24)))
        _ = buf.withUnsafeMutableBytes { uc_mem_read(uc, UInt64(address), $0.baseAddress, $0.count) }
        return buf
    }

    private func cString(at address: UInt32, limit: Int = 1 << 20) -> [UInt8] {
        var out: [UInt8] = []
        var a = UInt64(address)
        var c: UInt8 = 0
        while out.count < limit, uc_mem_read(uc, a, &c, 1) == UC_ERR_OK, c != 0 {
            out.append(c)
            a += 1
        }
        return out
    }

    private func emit(_ bytes: [UInt8], toStderr: Bool) {
        if toStderr { stderrBytes += bytes } else { stdoutBytes += bytes }
    }

    private func seconds() -> Double { hot.pointee.cycles / board.clockHz.value }

    /// Whether [address, address + count) lies inside one of the board's memories (a destination:
    /// one that takes stores, not flash). The parameter blocks, buffers and strings of every call are
    /// checked before use: a debugger's transfer over memory the board lacks fails, so does the call.
    private func semihostingRangeOK(_ address: UInt32, _ count: UInt64, destination: Bool) -> Bool {
        if count == 0 { return true }  // nothing to transfer
        return board.memories.contains { (!destination || $0.kind != .flash) && $0.covers(UInt64(address), count: count) }
    }

    /// The range of a call's operand, or the stop that reports it.
    private func checkRange(_ op: UInt32, _ what: String, _ address: UInt32, _ count: UInt64, destination: Bool = false, pc: UInt64) -> Bool {
        if semihostingRangeOK(address, count, destination: destination) { return true }
        fail(.semihostingRange(operation: op, what: what, address: address, bytes: count, destination: destination, pc: image.describe(pc)))
        return false
    }

    /// Words in the parameter block of each call that has one.
    private static let parameterWords: [UInt32: UInt64] = [
        Semihosting.open: 3, Semihosting.close: 1, Semihosting.write: 3, Semihosting.read: 3, Semihosting.iserror: 1,
        Semihosting.istty: 1, Semihosting.seek: 2, Semihosting.flen: 1, Semihosting.getCmdline: 2, Semihosting.heapinfo: 1,
        Semihosting.exitExtended: 2,
    ]

    func semihost(_ op: UInt32, _ p: UInt32, pc: UInt64) -> SemihostOutcome {
        if let n = Machine.parameterWords[op], !checkRange(op, "parameter block", p, 4 * n, pc: pc) { return .stop }
        switch op {
        case Semihosting.open where !checkRange(op, "file name", word(p, 0), UInt64(word(p, 2)), pc: pc),
             Semihosting.writec where !checkRange(op, "character", p, 1, pc: pc),
             Semihosting.write where !checkRange(op, "buffer", word(p, 1), UInt64(word(p, 2)), pc: pc),
             Semihosting.read where !checkRange(op, "buffer", word(p, 1), UInt64(word(p, 2)), destination: true, pc: pc),
             Semihosting.getCmdline where !checkRange(op, "buffer", word(p, 0), UInt64(word(p, 1)), destination: true, pc: pc),
             Semihosting.heapinfo where !checkRange(op, "block", word(p, 0), 16, destination: true, pc: pc),
             Semihosting.elapsed where !checkRange(op, "tick count", p, 8, destination: true, pc: pc):
            return .stop
        case Semihosting.write0:
            let text = cString(at: p)
            guard checkRange(op, "string", p, UInt64(text.count) + 1, pc: pc) else { return .stop }  // the NUL too
            emit(text, toStderr: false)
            return .result(0)
        default: break
        }
        switch op {
        case Semihosting.open:
            let name = String(decoding: bytes(at: word(p, 0), count: word(p, 2)), as: UTF8.self)
            let mode = word(p, 1)
            let handle: SemihostingState.Handle
            if name == ":tt" {
                handle = mode < 4 ? .stdin : (mode < 8 ? .stdout : .stderr)
            } else if name == ":semihosting-features" {
                handle = .features(offset: 0)
            } else {
                semihosting.lastErrno = 2  // ENOENT: host files are not exposed to firmware
                return .result(UInt32(bitPattern: -1))
            }
            let h = semihosting.nextHandle
            semihosting.nextHandle += 1
            semihosting.handles[h] = handle
            return .result(h)
        case Semihosting.close:
            return .result(semihosting.handles.removeValue(forKey: word(p, 0)) == nil ? UInt32(bitPattern: -1) : 0)
        case Semihosting.writec:
            emit(bytes(at: p, count: 1), toStderr: false)
            return .result(0)
        case Semihosting.write:
            let h = word(p, 0), len = word(p, 2)
            switch semihosting.handles[h] {
            case .stdout?: emit(bytes(at: word(p, 1), count: len), toStderr: false)
            case .stderr?: emit(bytes(at: word(p, 1), count: len), toStderr: true)
            default: semihosting.lastErrno = 9; return .result(len)  // EBADF: nothing written
            }
            return .result(0)
        case Semihosting.read:
            let h = word(p, 0), dest = word(p, 1), len = Int(word(p, 2))
            var chunk: [UInt8]
            switch semihosting.handles[h] {
            case .stdin?:
                let avail = options.stdin.count - semihosting.stdinOffset
                chunk = Array(options.stdin[semihosting.stdinOffset..<(semihosting.stdinOffset + min(avail, len))])
                semihosting.stdinOffset += chunk.count
            case .features(let off)?:
                let f = SemihostingState.features
                chunk = Array(f[min(off, f.count)..<min(off + len, f.count)])
                semihosting.handles[h] = .features(offset: off + chunk.count)
            default:
                semihosting.lastErrno = 9
                return .result(UInt32(len))
            }
            if !chunk.isEmpty { _ = chunk.withUnsafeBytes { uc_mem_write(uc, UInt64(dest), $0.baseAddress, $0.count) } }
            return .result(UInt32(len - chunk.count))  // bytes NOT read
        case Semihosting.readc:
            guard semihosting.stdinOffset < options.stdin.count else { return .result(UInt32(bitPattern: -1)) }
            semihosting.stdinOffset += 1
            return .result(UInt32(options.stdin[semihosting.stdinOffset - 1]))
        case Semihosting.iserror:
            return .result(Int32(bitPattern: word(p, 0)) < 0 ? 1 : 0)
        case Semihosting.istty:
            switch semihosting.handles[word(p, 0)] {
            case .stdin?, .stdout?, .stderr?: return .result(1)
            default: return .result(0)
            }
        case Semihosting.seek:
            let h = word(p, 0), to = Int(word(p, 1))
            if case .features? = semihosting.handles[h] {
                semihosting.handles[h] = .features(offset: to)
                return .result(0)
            }
            semihosting.lastErrno = 29  // ESPIPE
            return .result(UInt32(bitPattern: -1))
        case Semihosting.flen:
            if case .features? = semihosting.handles[word(p, 0)] { return .result(UInt32(SemihostingState.features.count)) }
            return .result(0)
        case Semihosting.clock:
            return .result(UInt32(truncatingIfNeeded: UInt64(seconds() * 100)))  // centiseconds of modelled time
        case Semihosting.time:
            return .result(UInt32(truncatingIfNeeded: UInt64(seconds())))  // modelled seconds since reset
        case Semihosting.errno:
            return .result(semihosting.lastErrno)
        case Semihosting.getCmdline:
            let dest = word(p, 0), cap = Int(word(p, 1))
            var line = Array(options.commandLine.utf8.prefix(max(0, cap - 1)))
            line.append(0)
            _ = line.withUnsafeBytes { uc_mem_write(uc, UInt64(dest), $0.baseAddress, $0.count) }
            var len = UInt32(line.count - 1)
            uc_mem_write(uc, UInt64(p) + 4, &len, 4)
            return .result(0)
        case Semihosting.heapinfo:
            var block = heapInfo()
            let dest = word(p, 0)
            uc_mem_write(uc, UInt64(dest), &block, 16)
            return .result(0)
        case Semihosting.exit:
            // AArch32: r1 holds the reason code itself, not a pointer.
            exitCode = p == Semihosting.applicationExit ? 0 : 1
            stopReason = .exited(exitCode)
            return .stop
        case Semihosting.exitExtended:
            let reason = word(p, 0), code = Int32(bitPattern: word(p, 1))
            exitCode = reason == Semihosting.applicationExit ? code : (code != 0 ? code : 1)
            stopReason = .exited(exitCode)
            return .stop
        case Semihosting.elapsed:
            var ticks = UInt64(hot.pointee.cycles)
            uc_mem_write(uc, UInt64(p), &ticks, 8)
            return .result(0)
        case Semihosting.tickfreq:
            return .result(UInt32(truncatingIfNeeded: UInt64(board.clockHz.value)))
        default:
            fail(.unsupportedSemihosting(operation: op, pc: image.describe(pc)))
            return .stop
        }
    }

    /// SYS_HEAPINFO block: heap base and limit, stack base (initial SP) and limit.
    /// The heap starts at the image's `end` symbol and runs to 1/16 of the RAM region below the stack.
    private func heapInfo() -> (UInt32, UInt32, UInt32, UInt32) {
        let boot = bootState()
        let stackTop = UInt64(boot.sp)
        let ram = board.memories.first { UInt64(stackTop) > $0.base && UInt64(stackTop) <= $0.end }
        let stackLimit = stackTop - min(UInt64(16 * 1024), (ram?.size ?? 65536) / 4)
        let end = (image.symbol(named: "end") ?? image.symbol(named: "_end") ?? image.symbol(named: "__end__"))?.address
        var heapBase = end ?? ram?.base ?? 0
        heapBase = (heapBase + 7) & ~7
        // The window (region or alias) holding the heap start: up to the stack if the stack is in the
        // same window, else to the window's end (a default-linked program keeps .bss in the flash alias).
        var heapLimit = stackLimit
        for m in board.memories {
            for base in [m.base] + m.aliases where heapBase >= base && heapBase < base + m.size {
                let sameWindow = stackTop > base && stackTop <= base + m.size
                heapLimit = sameWindow ? stackLimit : base + m.size
            }
        }
        if heapLimit <= heapBase { heapLimit = heapBase }
        return (UInt32(truncatingIfNeeded: heapBase), UInt32(truncatingIfNeeded: heapLimit),
                UInt32(truncatingIfNeeded: stackTop), UInt32(truncatingIfNeeded: stackLimit))
    }
}
