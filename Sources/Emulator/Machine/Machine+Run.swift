import CEmulatorShims
import CUnicorn
import Foundation
import Targets

// MARK: hooks of the run (C callbacks; no captures, state through the user pointer)

func machine(_ user: UnsafeMutableRawPointer?) -> Machine {
    Unmanaged<Machine>.fromOpaque(user!).takeUnretainedValue()
}

private func probeHook(_ uc: OpaquePointer?, _ address: UInt64, _ size: UInt32, _ user: UnsafeMutableRawPointer?) {
    let m = machine(user)
    m.probeCycles[address, default: []].append(m.cyclesBefore(address: address))
}

private func interruptHook(_ uc: OpaquePointer?, _ number: UInt32, _ user: UnsafeMutableRawPointer?) {
    machine(user).interrupt(number)
}

private func unmappedHook(_ uc: OpaquePointer?, _ type: uc_mem_type, _ address: UInt64, _ size: Int32, _ value: Int64, _ user: UnsafeMutableRawPointer?) -> Bool {
    let m = machine(user)
    let kind: String
    switch type {
    case UC_MEM_WRITE_UNMAPPED: kind = "write of \(size) bytes"
    case UC_MEM_FETCH_UNMAPPED: kind = "instruction fetch"
    default: kind = "read of \(size) bytes"
    }
    let pc = type == UC_MEM_FETCH_UNMAPPED ? nil : m.locateAccess(address)
    m.fail(.memoryFault(kind: kind, address: address, pc: m.image.describe(pc ?? m.currentBlockStart)))
    return false
}

private func writeProtectedHook(_ uc: OpaquePointer?, _ type: uc_mem_type, _ address: UInt64, _ size: Int32, _ value: Int64, _ user: UnsafeMutableRawPointer?) -> Bool {
    let m = machine(user)
    let region = m.board.memories.first { $0.covers(address, count: 1) }?.name ?? "flash"
    m.fail(.flashWrite(size: Int(size), address: address, region: region, pc: m.image.describe(m.locateAccess(address) ?? m.currentBlockStart)))
    return false
}

private func invalidInstructionHook(_ uc: OpaquePointer?, _ user: UnsafeMutableRawPointer?) -> Bool {
    let m = machine(user)
    m.fail(.undefinedInstruction(pc: m.image.describe(UInt64(m.register(UC_ARM_REG_PC)))))
    return false
}

extension Machine {
    /// Runs the firmware until it exits, hits a non-semihosting BKPT, faults, or runs out of budget.
    public func run(_ options: RunOptions = RunOptions()) throws -> RunResult {
        precondition(!hasRun, "a Machine runs once")
        hasRun = true
        self.options = options
        hot.pointee.budget = options.maxInstructions
        hot.pointee.shortcuts = options.pricingShortcuts
        try installHooks(probes: options.probes, accounting: options.accounting)
        let boot = bootState()
        setRegister(UC_ARM_REG_SP, boot.sp)
        setRegister(UC_ARM_REG_LR, 0xFFFF_FFFF)
        // Unicorn takes microseconds as UInt64 (0: none); a limit beyond it is no limit, and one that
        // is not a positive number stops at once (the CLI refuses both).
        let timeout = options.timeoutSeconds.map { s -> UInt64 in
            let us = s * 1_000_000
            return us >= 1.8e19 ? 0 : (us >= 1 ? UInt64(us) : 1)
        } ?? 0
        let started = Date(), cpuStarted = threadCPUSeconds()
        var err = uc_emu_start(uc, UInt64(boot.pc), 0xFFFF_FFFE, timeout, 0)
        // A stop that put alignment checks on a block about to run (see `addAlignmentChecks`): resume
        // at the block, with what is left of the time limit.
        while let resume = restartAddress, pendingError == nil, err == UC_ERR_OK {
            restartAddress = nil
            var remaining: UInt64 = 0
            if timeout > 0 {
                let used = UInt64(max(0, Date().timeIntervalSince(started)) * 1_000_000)
                guard used < timeout else { break }
                remaining = timeout - used
            }
            err = uc_emu_start(uc, resume | 1, 0xFFFF_FFFE, remaining, 0)
        }
        let wall = Date().timeIntervalSince(started), cpu = threadCPUSeconds() - cpuStarted
        let pc = UInt64(register(UC_ARM_REG_PC))
        if let e = pendingError { throw e }
        if hot.pointee.budgetExceeded { throw EmulatorError.budgetExhausted(instructions: options.maxInstructions, executed: hot.pointee.instructions, pc: image.describe(pc)) }
        guard err == UC_ERR_OK else {
            if err == UC_ERR_INSN_INVALID { throw EmulatorError.undefinedInstruction(pc: image.describe(pc)) }
            if err == UC_ERR_EXCEPTION { throw EmulatorError.cpuException(number: 0, pc: image.describe(pc)) }
            throw EmulatorError.library(call: "uc_emu_start (pc \(image.describe(pc)))", message: String(cString: uc_strerror(err)))
        }
        guard let stop = stopReason else {
            if let t = options.timeoutSeconds { throw EmulatorError.timeout(seconds: t, pc: image.describe(pc)) }
            throw EmulatorError.library(call: "uc_emu_start", message: "emulation stopped at \(image.describe(pc)) without the program exiting")
        }
        let events = eventTotals()
        return RunResult(
            board: board.name, core: board.core.name, clockHz: board.clockHz.value, stop: stop, exitCode: exitCode,
            instructions: UInt64(events[.instructions]), cycles: Self.saturatingCount(events.dot(costs)),
            events: events, stdout: stdoutBytes, stderr: stderrBytes, console: boardRegisters.console, counterReads: counterReads,
            probeCycles: probeCycles, accumulatedCycles: hot.pointee.cycles, wallSeconds: wall, cpuSeconds: cpu, basicBlocks: hot.pointee.blockCount,
            blockExecutions: options.accounting ? (0..<hot.pointee.blockCount).reduce(0) { $0 + hot.pointee.blocks[$1].executions } : countedBlocks.pointee,
            unpricedLoadSites: unpricedLoadSites.count, replayedBlocks: hot.pointee.replays)
    }

    /// A cycle total as a whole number (board files bound every cost, so this saturates only for
    /// runs far beyond any budget).
    static func saturatingCount(_ x: Double) -> UInt64 { x >= 1.8e19 ? UInt64.max : (x > 0 ? UInt64(x.rounded()) : 0) }

    /// `run`, and a non-zero exit status is an error carrying the program's first stderr line.
    public func runToSuccess(_ options: RunOptions = RunOptions()) throws -> RunResult {
        let r = try run(options)
        guard r.exitCode == 0 else { throw EmulatorError.programFailed(exitCode: r.exitCode, stderr: String(decoding: r.stderr, as: UTF8.self)) }
        return r
    }

    private func installHooks(probes: [UInt64], accounting: Bool) throws {
        let me = Unmanaged.passUnretained(self).toOpaque()
        var h: uc_hook = 0
        try check("uc_hook_add(intr)", mn_hook_add_intr(uc, &h, interruptHook, me))
        try check("uc_hook_add(unmapped)", mn_hook_add_invalid_mem(uc, &h, Int32(UC_HOOK_MEM_READ_UNMAPPED.rawValue | UC_HOOK_MEM_WRITE_UNMAPPED.rawValue | UC_HOOK_MEM_FETCH_UNMAPPED.rawValue), unmappedHook, me))
        try check("uc_hook_add(invalid insn)", mn_hook_add_invalid_insn(uc, &h, invalidInstructionHook, me))
        try check("uc_hook_add(write protected)", mn_hook_add_invalid_mem(uc, &h, Int32(UC_HOOK_MEM_WRITE_PROT.rawValue), writeProtectedHook, me))
        guard accounting else {
            if options.countBlocksOnly { try check("uc_hook_add(counting block)", mn_hook_add_counting_block(uc, &h, countedBlocks)) }
            return
        }
        try check("uc_hook_add(block)", mn_hook_add_code(uc, &h, Int32(UC_HOOK_BLOCK.rawValue), blockHook, UnsafeMutableRawPointer(hot), 1, 0))
        if options.dataReadsByMemoryHooks {
            for k in 0..<hot.pointee.pricedCount {
                let r = hot.pointee.priced[k]
                try check("uc_hook_add(data read)", mn_hook_add_mem(uc, &h, Int32(UC_HOOK_MEM_READ.rawValue), dataReadHook, UnsafeMutableRawPointer(hot), r.lo, r.hi - 1))
            }
        }
        for address in divides.keys {
            try check("uc_hook_add(divide)", mn_hook_add_code(uc, &h, Int32(UC_HOOK_CODE.rawValue), divideHook, me, address, address))
        }
        for address in Set(probes.map { $0 & ~1 }) {
            try check("uc_hook_add(probe)", mn_hook_add_code(uc, &h, Int32(UC_HOOK_CODE.rawValue), probeHook, me, address, address))
        }
    }

    /// Records the first error and stops emulation; `run` rethrows it.
    func fail(_ error: EmulatorError) {
        if pendingError == nil { pendingError = error }
        uc_emu_stop(uc)
    }

    var currentBlockStart: UInt64 {
        let i = hot.pointee.current
        return i >= 0 ? hot.pointee.blocks[i].start : UInt64(register(UC_ARM_REG_PC))
    }

    /// The address of the instruction in the current block whose memory access covers `address`,
    /// found by evaluating each candidate's addressing mode with the live registers. (Unicorn does not
    /// keep PC exact inside memory callbacks.) Successive accesses in one block advance a cursor.
    func locateAccess(_ address: UInt64) -> UInt64? {
        let i = hot.pointee.current
        guard i >= 0 else { return nil }
        if accessCursorBlock != i || hot.pointee.blocks[i].executions != lastCursorExecution {
            accessCursorBlock = i
            lastCursorExecution = hot.pointee.blocks[i].executions
            accessCursor = 0
        }
        let insns = analyses[i].instructions
        for k in accessCursor..<insns.count {
            let d = insns[k]
            guard d.cls.isSingleAccess || d.cls == .loadMultiple || d.cls == .storeMultiple else { continue }
            guard let base = registerValue(capstone: d.memBase, at: d.address) else { continue }
            var lo: UInt64, hi: UInt64
            if d.cls.isSingleAccess {
                var a = Int64(base)
                if d.memIndex != 0, let idx = registerValue(capstone: d.memIndex, at: d.address) {
                    let scaled = Int64(idx) << Int64(d.memShift)
                    a += d.memSubtract ? -scaled : scaled
                }
                a += Int64(d.memDisp)
                lo = UInt64(truncatingIfNeeded: a) & 0xFFFF_FFFF
                hi = lo + 8
            } else {
                // 8 bytes per register covers both core and double-precision FPU registers.
                let span = UInt64(8 * max(1, d.transferCount))
                lo = d.isDescending ? UInt64(base) &- span : UInt64(base)
                hi = d.isDescending ? UInt64(base) : UInt64(base) + span
            }
            if address >= lo && address < hi {
                accessCursor = k + 1
                return UInt64(d.address)
            }
        }
        return nil
    }

    private func registerValue(capstone reg: UInt16, at pc: UInt32) -> UInt32? {
        guard let ucReg = RegisterMap.unicorn(reg) else { return nil }
        if ucReg == Int32(UC_ARM_REG_PC.rawValue) { return (pc + 4) & ~3 }
        var v: UInt32 = 0
        uc_reg_read(uc, ucReg, &v)
        return v
    }

}

/// CPU time of the calling thread (excludes time the thread waited for a core).
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

