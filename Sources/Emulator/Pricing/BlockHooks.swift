import CEmulatorShims
import CUnicorn
import Foundation
import Targets

// MARK: the pricing hooks (C callbacks; no captures, state through the user pointer)

/// Every basic block: static cycles, taken/not-taken, instruction-fetch lines, budget.
///
/// The common case first, priced in a few instructions: a block re-entering itself inside its memo's
/// countdown (see `HotState.startCountdown`), then a trivial successor (`BlockRecord.trivialFetchLine`).
/// Everything else goes to `pricedBlock`.
@inline(__always)
func blockHook(_ uc: OpaquePointer?, _ address: UInt64, _ size: UInt32, _ user: UnsafeMutableRawPointer?) {
    let s = user.unsafelyUnwrapped.assumingMemoryBound(to: HotState.self)
    let b = s.pointee.currentRecord
    let key = address | UInt64(size) << 32
    if b.pointee.key == key {
        if b.pointee.countdown != 0 && b.pointee.memoEpoch == s.pointee.epoch {
            // The general path below for index == previous (a re-entry: not sequential, its branch
            // back taken) with the memo replayed; the budget cannot run out inside a countdown, and
            // the taken branches and memo counters are added when the countdown ends (`settle`).
            b.pointee.countdown &-= 1
            b.pointee.executions &+= 1
            s.pointee.instructions &+= b.pointee.instructionCount
            s.pointee.cycles += b.pointee.replayCycles
            return
        }
    } else if b.pointee.nextKey == key {
        let n = s.pointee.blocks + b.pointee.nextIndex
        let line = n.pointee.trivialFetchLine
        if line == s.pointee.lastFetchLine || line == BlockRecord.noFetch {
            runTrivial(uc, address, s, n)
            return
        }
        if line == BlockRecord.multiLine {
            multiLineSuccessor(uc, address, size, s, n)
            return
        }
    }
    pricedBlock(uc, address, size, s)
}

/// `pricedBlock` for a block with no loads, no loop and no fetch that changes a cache, run after
/// the current block as last time: the epoch stays, the next-block cache already points here, and
/// the block is not counting (it does not loop).
@inline(__always)
func runTrivial(_ uc: OpaquePointer?, _ address: UInt64, _ s: UnsafeMutablePointer<HotState>, _ n: UnsafeMutablePointer<BlockRecord>) {
    _ = s.pointee.enter(n, index: s.pointee.currentRecord.pointee.nextIndex, at: address)
    if s.pointee.instructions > s.pointee.budget { s.pointee.exhaustBudget(uc) }
}

/// A successor spanning several fetch lines (`BlockRecord.multiLine`): trivial if its fetch changes
/// no cache, else priced by `pricedBlock`. Kept out of `blockHook` so that the replay path stays
/// free of the register saves the line loop needs.
@inline(never)
func multiLineSuccessor(_ uc: OpaquePointer?, _ address: UInt64, _ size: UInt32, _ s: UnsafeMutablePointer<HotState>,
                                _ n: UnsafeMutablePointer<BlockRecord>) {
    if s.pointee.fetchChangesNothing(n) {
        runTrivial(uc, address, s, n)
    } else {
        pricedBlock(uc, address, size, s)
    }
}

@inline(never)
func pricedBlock(_ uc: OpaquePointer?, _ address: UInt64, _ size: UInt32, _ s: UnsafeMutablePointer<HotState>) {
    let previous = s.pointee.current
    let key = address | UInt64(size) << 32
    var index: Int
    if previous >= 0 && s.pointee.blocks[previous].key == key {
        index = previous
    } else if previous >= 0 && s.pointee.blocks[previous].nextKey == key {
        index = s.pointee.blocks[previous].nextIndex
    } else {
        index = s.pointee.lookup(key)
        if index < 0 {
            let machine = Unmanaged<Machine>.fromOpaque(s.pointee.owner!).takeUnretainedValue()
            index = machine.discoverBlock(address, size, key: key)
            // Alignment checks were put on it: emulation stops before the block runs and restarts here.
            if machine.restartAddress != nil { return }
        }
        if previous >= 0 {
            s.pointee.blocks[previous].nextKey = key
            s.pointee.blocks[previous].nextIndex = index
        }
    }
    let b = s.pointee.blocks + index
    if b.pointee.counting { s.pointee.settle(b) }
    let sequential = s.pointee.enter(b, index: index, at: address)
    if b.pointee.checksAlignment && !Unmanaged<Machine>.fromOpaque(s.pointee.owner!).takeUnretainedValue().checkAlignment(block: index, uc) {
        return
    }
    let hasLoads = b.pointee.probeCount > 0
    if hasLoads || b.pointee.fetchModelled {
        // Block memo (see `HotState.priceInFull`). A block that re-enters itself with the epoch
        // unchanged since its memo was recorded (or last replayed) finds the caches exactly as that
        // execution left them: nothing else looked anything up in between. If its loads read the same
        // lines again, the execution repeats an access sequence that hit throughout, from the state
        // that sequence produced — it hits throughout again and leaves the same lines in the same LRU
        // order (only the timestamps would differ). So its prices are the memo's, and the caches need
        // no update.
        let selfLoop = index == previous && s.pointee.shortcuts
        if selfLoop {
            b.pointee.loops = true
            b.pointee.trivialFetchLine = BlockRecord.notTrivial
        }
        if !b.pointee.loops {
            // Not a loop body (or short cuts off: `loops` is only set with them): no memo to replay
            // or record; locate and price in one pass.
            if hasLoads { s.pointee.locateBlockLoads(b, uc, selfLoop: false, price: true) }
            if b.pointee.fetchModelled { s.pointee.priceFetch(from: b.pointee.start, to: b.pointee.end, sequential: sequential) }
            s.pointee.epoch &+= 1
        } else {
            let memoValid = selfLoop && b.pointee.memoEpoch == s.pointee.epoch
            let sameLines = hasLoads ? s.pointee.locateBlockLoads(b, uc, selfLoop: selfLoop) : true
            if memoValid && sameLines {
                s.pointee.replay(b)
                s.pointee.startCountdown(b)
            } else {
                // A loop body's memo can be recorded on entry too, when the fetch starts as a
                // re-entry's would: with the block's own last line fetched last.
                let record = !b.pointee.fetchModelled || s.pointee.lastFetchLine == (b.pointee.end &- 1) >> s.pointee.fetchLineShift
                if record && b.pointee.memoEpoch != .max && s.pointee.lookupsChangeNothing(b) {
                    // Every lookup would be a hit that changes no cache, on the lines of the memo's
                    // ranges: the memo's prices again (see `HotState.lookupsChangeNothing`).
                    s.pointee.replay(b)
                    s.pointee.adoptLines(b)
                    s.pointee.startCountdown(b)
                } else {
                    s.pointee.priceInFull(b, sequential: sequential, recordMemo: record)
                }
            }
        }
    }
    if s.pointee.instructions > s.pointee.budget { s.pointee.exhaustBudget(uc) }
}

/// Reference pricing of data reads (RunOptions.dataReadsByMemoryHooks): one call per access.
func dataReadHook(_ uc: OpaquePointer?, _ type: uc_mem_type, _ address: UInt64, _ size: Int32, _ value: Int64, _ user: UnsafeMutableRawPointer?) {
    _ = user!.assumingMemoryBound(to: HotState.self).pointee.priceLoad(at: address, bytes: UInt32(size))
}

/// A load whose address is only known at the instruction: evaluate its addressing mode now.
func hookedLoadHook(_ uc: OpaquePointer?, _ address: UInt64, _ size: UInt32, _ user: UnsafeMutableRawPointer?) {
    // Unicorn does not call code hooks of IT-block instructions whose condition fails
    // (DataReadTests.testConditionalLoadCountsOnlyWhenExecuted), so no condition test here.
    let h = user!.assumingMemoryBound(to: HookedLoad.self)
    let target = HotState.evaluate(h.pointee.probe.address, uc)
    _ = h.pointee.hot.pointee.priceLoad(at: target, bytes: h.pointee.probe.bytes)
}

func divideHook(_ uc: OpaquePointer?, _ address: UInt64, _ size: UInt32, _ user: UnsafeMutableRawPointer?) {
    machine(user).priceDivide(at: address)
}

extension Machine {
    /// Σ executions · static events of every block, plus the dynamic counters.
    public func eventTotals() -> EventVector {
        var total = EventVector()
        for i in 0..<hot.pointee.blockCount {
            if hot.pointee.blocks[i].counting { hot.pointee.settle(hot.pointee.blocks + i) }
            hot.pointee.flushReplays(hot.pointee.blocks + i)
        }
        for i in 0..<hot.pointee.blockCount {
            let n = Double(hot.pointee.blocks[i].executions)
            guard n > 0 else { continue }
            let e = analyses[i].events
            for k in 0..<total.values.count where e.values[k] != 0 { total.values[k] += n * e.values[k] }
        }
        total[.branchTaken] += Double(hot.pointee.branchTaken)
        total[.divideCycles] += Double(divideCycles)
        total[.fetchBranchMisses] += Double(hot.pointee.fetchBranchMisses)
        total[.fetchSequentialMisses] += Double(hot.pointee.fetchSequentialMisses)
        total[.flashDataReads] += Double(hot.pointee.flashData.reads)
        total[.flashDataMisses] += Double(hot.pointee.flashData.misses)
        total[.sramDataMisses] += Double(hot.pointee.sramData.misses)
        return total
    }

    /// Decodes a block seen for the first time and records its static cost.
    func discoverBlock(_ address: UInt64, _ size: UInt32, key: UInt64) -> Int {
        var bytes = [UInt8](repeating: 0, count: Int(size))
        _ = bytes.withUnsafeMutableBytes { uc_mem_read(uc, address, $0.baseAddress, Int(size)) }
        var insns = decoder.decode(bytes, at: UInt32(truncatingIfNeeded: address))
        if insns.isEmpty {
            // Capstone could not decode what Unicorn runs; price it as one ALU instruction per halfword.
            insns = (0..<max(1, Int(size) / 2)).map {
                DecodedInstruction(address: UInt32(truncatingIfNeeded: address) + UInt32($0 * 2), size: 2, cls: .alu,
                                   reads: [], writes: [], addressRegs: [], writesPC: false)
            }
        }
        var analysis = BlockAnalysis(instructions: insns, costs: costs)
        // A divide not found by the load-time scan (code written at run time) gets the mean of its bounds.
        for insn in insns where insn.cls == .divide && divides[UInt64(insn.address)] == nil {
            analysis.events[.divideCycles] += (board.core.divideBase.value + board.core.divideMax.value) / 2
        }
        let staticCycles = analysis.events.dot(costs)
        analyses.append(analysis)
        var record = BlockRecord(
            start: address, end: address + UInt64(size), cycles: staticCycles, instructionCount: UInt64(insns.count), endsInControlFlow: analysis.endsInControlFlow,
            fetchModelled: isFetchModelled(address))
        if hot.pointee.pricedCount > 0 && !options.dataReadsByMemoryHooks {
            let loads = LoadAddressAnalysis.analyse(insns) { [self] a in isFetchModelled(a) ? read32(a) : nil }
            record.probeStart = hot.pointee.appendProbes(loads.entryProbes)
            record.probeCount = Int32(loads.entryProbes.count)
            hookLoads(loads.hooked, entryPriced: loads.entryPriced, blockStart: address, blockEnd: address + UInt64(size))
        }
        if options.pricingShortcuts && record.probeCount == 0 {
            let shift = hot.pointee.fetchLineShift
            let first = address >> shift, last = (address + UInt64(size) - 1) >> shift
            if !record.fetchModelled {
                record.trivialFetchLine = BlockRecord.noFetch
            } else if first == last {
                record.trivialFetchLine = first
            } else if hot.pointee.hasFetchCache && Int(last - first) < hot.pointee.fetchCache!.sets {
                record.trivialFetchLine = BlockRecord.multiLine
                record.trivialFirstLine = first
                record.trivialLastLine = last
            }
        }
        let hooked = addAlignmentChecks(insns, to: &record, analysis: &analyses[analyses.count - 1])
        let index = hot.pointee.insert(record, key: key)
        if hooked {
            restartAddress = address
            uc_emu_stop(uc)
        }
        return index
    }

    /// Code hooks on loads whose address is only known at the instruction. The block, already
    /// translated, is dropped from Unicorn's cache so the next execution runs through the hooks (this
    /// first execution of those loads goes unpriced).
    ///
    /// Hooks are per address, not per block: a load that one block prices at entry and another block
    /// would need a hook for (the same instruction reached through a different block start) is priced
    /// at entry only — a hook there would cost every execution of the hot block a callback. Such cases
    /// are rare (a straight-line prologue running into a loop body); their addresses are collected in
    /// `unpricedLoadSites` and reported as `RunResult.unpricedLoadSites`.
    private func hookLoads(_ loads: [(address: UInt64, probe: LoadProbe)], entryPriced: [UInt64],
                           blockStart: UInt64, blockEnd: UInt64) {
        var added = false
        for address in entryPriced where entryPricedAddresses.insert(address).inserted {
            guard let (handle, _) = loadHooks[address] else { continue }
            uc_hook_del(uc, handle)
            loadHooks[address] = nil
            unpricedLoadSites.insert(address)
            _ = mn_ctl_remove_cache(uc, address, address + 4)
        }
        for load in loads where loadHooks[load.address] == nil {
            if entryPricedAddresses.contains(load.address) {
                unpricedLoadSites.insert(load.address)
                continue
            }
            let user = UnsafeMutablePointer<HookedLoad>.allocate(capacity: 1)
            user.initialize(to: HookedLoad(hot: hot, probe: load.probe))
            hookedLoads.append(user)
            var h: uc_hook = 0
            if mn_hook_add_code(uc, &h, Int32(UC_HOOK_CODE.rawValue), hookedLoadHook, UnsafeMutableRawPointer(user), load.address, load.address) != UC_ERR_OK {
                fail(.library(call: "uc_hook_add(load at \(image.describe(load.address)))", message: "failed"))
            }
            loadHooks[load.address] = (h, user)
            added = true
        }
        if added { _ = mn_ctl_remove_cache(uc, blockStart, blockEnd) }
    }

    /// SDIV/UDIV cycles from the operands: `min(max, base + ceil(bits / bitsPerCycle))`, where `bits`
    /// is how many more significant bits the dividend has than the divisor (0 if it is smaller).
    func priceDivide(at address: UInt64) {
        guard let d = divides[address] else { return }
        let regs: [uc_arm_reg] = [UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4, UC_ARM_REG_R5,
                                  UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                                  UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC]
        var n = register(regs[Int(d.rn)]), m = register(regs[Int(d.rm)])
        // SCB->CCR.DIV_0_TRP (bit 4; ARMv7-M ARM B3.2.8, Armv8-M ARM D1.2.31): a divisor of 0 raises
        // UsageFault (DIVBYZERO) instead of returning 0. This hook runs before the instruction.
        if m == 0, let ccr = read32(Machine.ccrAddress), ccr & (1 << 4) != 0 {
            fail(.usageFault(reason: "\(d.signed ? "SDIV" : "UDIV") by zero with SCB->CCR.DIV_0_TRP set", pc: image.describe(address)))
            return
        }
        if d.signed {
            n = UInt32(Int32(bitPattern: n).magnitude)
            m = UInt32(Int32(bitPattern: m).magnitude)
        }
        let bits = (m == 0 || n < m) ? 0 : (m.leadingZeroBitCount - n.leadingZeroBitCount + 1)
        let core = board.core
        let cycles = min(core.divideMax.value, core.divideBase.value + (Double(bits) / core.divideBitsPerCycle.value).rounded(.up))
        divideCycles += UInt64(cycles)  // ≤ divide max ≤ BoardParsing.maxCost
        hot.pointee.cycles += cycles * costs[.divideCycles]
        lastDivide = (address, cycles * costs[.divideCycles], hot.pointee.instructions)
    }

    /// Modelled cycles before the instruction at `address` in the current block executes.
    func cyclesBefore(address: UInt64) -> Double {
        let i = hot.pointee.current
        guard i >= 0 else { return hot.pointee.cycles }
        let a = analyses[i]
        let k = a.index(of: UInt32(truncatingIfNeeded: address)) ?? (a.instructions.count - 1)
        var before = hot.pointee.cycles - (a.prefixCycles.last! - a.prefixCycles[k])
        // Hooks at one address run in no fixed order: a divide priced at this very instruction
        // (same block execution) has not executed yet from the probe's point of view.
        if lastDivide.address == address && lastDivide.stamp == hot.pointee.instructions { before -= lastDivide.cost }
        return before
    }

    /// The events behind `cyclesBefore(address:)`: the run's totals less the static events of the
    /// current block from the instruction at `address` on (and a divide priced there but not yet run).
    func eventsBefore(address: UInt64) -> EventVector {
        var events = eventTotals()
        let i = hot.pointee.current
        guard i >= 0 else { return events }
        let a = analyses[i]
        let k = a.index(of: UInt32(truncatingIfNeeded: address)) ?? (a.instructions.count - 1)
        let prefix = BlockAnalysis(instructions: Array(a.instructions[0..<k]), costs: costs).events
        for e in 0..<events.values.count { events.values[e] += prefix.values[e] - a.events.values[e] }
        if lastDivide.address == address && lastDivide.stamp == hot.pointee.instructions && costs[.divideCycles] != 0 {
            events[.divideCycles] -= lastDivide.cost / costs[.divideCycles]
        }
        return events
    }
}
