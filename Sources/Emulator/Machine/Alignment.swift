import CEmulatorShims
import CUnicorn

/// Accesses the core faults on when unaligned, even with unaligned support (ARMv7-M ARM A3.2.1,
/// Armv8-M ARM B6.3; Cortex-M33 TRM 3.5): only LDR, LDRT, LDRH, LDRHT, LDRSH, LDRSHT, STR, STRT, STRH,
/// STRHT and TBH may be unaligned. LDRD/STRD, LDM/STM, LDREX/STREX, LDA/STL and every FPU load and
/// store need word alignment (the exclusive and acquire/release forms: their own size) and raise
/// UsageFault (UFSR.UNALIGNED) otherwise. Unicorn's QEMU lets all but LDREX through.
struct AlignmentSite {
    var address: AddressExpression
    /// Low address bits that must be zero.
    var mask: UInt64
    var bytes: Int
    var mnemonic: String
    /// The instruction.
    var site: UInt64
    var machine: UnsafeMutableRawPointer

    /// The alignment the access needs, or nil when it never faults: single LDR/STR/LDRH/STRH forms,
    /// byte accesses, and SP- or PC-based word offsets (SP is word-aligned on M-profile, bits [1:0]
    /// RAZ/WI; a literal address is Align(PC, 4) plus a multiple of 4).
    static func requiredAlignment(_ d: DecodedInstruction) -> UInt64? {
        let n = d.name
        var align: UInt64
        switch d.cls {
        case .loadMultiple, .storeMultiple, .fpuLoadStore:
            align = 4
        case .load, .store:
            guard n.contains("ex") || n.hasPrefix("lda") || n.hasPrefix("stl") else { return nil }
            align = UInt64(max(1, d.accessBytes))
        default:
            return nil
        }
        guard align > 1 else { return nil }
        let sp = LoadAddressAnalysis.sp, pc = LoadAddressAnalysis.pc
        if (d.memBase == sp || d.memBase == pc) && d.memIndex == 0 && d.memDisp % 4 == 0 { return nil }
        return align
    }
}

func alignmentHook(_ uc: OpaquePointer?, _ address: UInt64, _ size: UInt32, _ user: UnsafeMutableRawPointer?) {
    let site = user.unsafelyUnwrapped.assumingMemoryBound(to: AlignmentSite.self)
    let target = HotState.evaluate(site.pointee.address, uc)
    guard target & site.pointee.mask != 0 else { return }
    Unmanaged<Machine>.fromOpaque(site.pointee.machine).takeUnretainedValue().alignmentFault(site.pointee, at: target)
}

extension Machine {
    /// Alignment checks for a newly discovered block. An access whose address is a linear function
    /// of the registers at block entry (the common case) is checked by `pricedBlock` at each entry
    /// (`checkAlignment`): no Unicorn hook, whose cost grows with every hook installed. The block then
    /// takes no fast path that skips `pricedBlock`, except a countdown of self re-entries that move
    /// each access by a multiple of its alignment. Any other access (conditional, or its base loaded
    /// in the block) gets a code hook at the instruction; as the block is already translated without
    /// it, this returns true and the caller stops emulation before the block runs, so that `run`
    /// restarts there with the hook in place.
    func addAlignmentChecks(_ insns: [DecodedInstruction], to record: inout BlockRecord, analysis block: inout BlockAnalysis) -> Bool {
        var byAddress: [UInt64: (align: UInt64, insn: DecodedInstruction)] = [:]
        for d in insns { if let a = AlignmentSite.requiredAlignment(d) { byAddress[UInt64(d.address)] = (a, d) } }
        guard !byAddress.isEmpty else { return false }
        let me = Unmanaged.passUnretained(self).toOpaque()
        func site(_ address: UInt64, _ e: AddressExpression) -> AlignmentSite {
            let (align, d) = byAddress[address]!
            return AlignmentSite(address: e, mask: align - 1, bytes: max(1, d.accessBytes), mnemonic: d.name, site: address, machine: me)
        }
        let analysis = LoadAddressAnalysis.analyse(insns, select: { AlignmentSite.requiredAlignment($0) != nil }) { [self] a in
            isFetchModelled(a) ? read32(a) : nil
        }
        if !analysis.entryProbes.isEmpty {
            block.alignmentChecks = alignmentProbes.count ..< alignmentProbes.count + analysis.entryProbes.count
            record.checksAlignment = true
            record.trivialFetchLine = BlockRecord.notTrivial
            for (probe, address) in zip(analysis.entryProbes, analysis.entryPriced) {
                let s = site(address, probe.address)
                alignmentProbes.append(s)
                if !(probe.hasStep && UInt64(bitPattern: probe.step) & s.mask == 0) { record.alignmentKept = false }
            }
        }
        var added = false
        for (address, probe) in analysis.hooked where alignmentHooks[address] == nil {
            let user = UnsafeMutablePointer<AlignmentSite>.allocate(capacity: 1)
            user.initialize(to: site(address, probe.address))
            var h: uc_hook = 0
            guard mn_hook_add_code(uc, &h, Int32(UC_HOOK_CODE.rawValue), alignmentHook, UnsafeMutableRawPointer(user), address, address) == UC_ERR_OK else {
                user.deallocate()
                fail(.library(call: "uc_hook_add(alignment check at \(image.describe(address)))", message: "failed"))
                return false
            }
            alignmentHooks[address] = user
            added = true
        }
        if added { _ = mn_ctl_remove_cache(uc, record.start, record.end) }
        return added
    }

    /// The entry check of `addAlignmentChecks`: false (and the run stopped) when an access is unaligned.
    @inline(__always) func checkAlignment(block: Int, _ uc: OpaquePointer?) -> Bool {
        for k in analyses[block].alignmentChecks {
            let target = HotState.evaluate(alignmentProbes[k].address, uc)
            if target & alignmentProbes[k].mask != 0 {
                alignmentFault(alignmentProbes[k], at: target)
                return false
            }
        }
        return true
    }

    func alignmentFault(_ s: AlignmentSite, at target: UInt64) {
        fail(.usageFault(reason: "\(s.mnemonic.uppercased()) of \(s.bytes) bytes at 0x\(String(target, radix: 16)), not \(s.mask + 1)-byte aligned (UFSR.UNALIGNED)",
                         pc: image.describe(s.site)))
    }
}
