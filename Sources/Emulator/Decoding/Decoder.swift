import CCapstone
import CUnicorn

/// Thumb-2 decoding with Capstone, M-profile mode, full operand detail.
final class Decoder {
    private var handle: csh = 0
    private var classes: [UInt32: InstructionClass] = [:]
    /// Scratch for cs_regs_access (two cs_regs arrays of 64 entries).
    private var regRead = [UInt16](repeating: 0, count: 64)
    private var regWrite = [UInt16](repeating: 0, count: 64)

    init(armv8m: Bool) throws {
        var mode = CS_MODE_THUMB.rawValue | CS_MODE_MCLASS.rawValue
        if armv8m { mode |= CS_MODE_V8.rawValue }
        let err = cs_open(CS_ARCH_ARM, cs_mode(rawValue: mode), &handle)
        guard err == CS_ERR_OK else { throw EmulatorError.library(call: "cs_open", message: String(cString: cs_strerror(err))) }
        cs_option(handle, CS_OPT_DETAIL, Int(CS_OPT_ON.rawValue))
    }

    deinit { cs_close(&handle) }

    private func instructionClass(_ id: UInt32) -> InstructionClass {
        if let c = classes[id] { return c }
        let name = cs_insn_name(handle, id).map { String(cString: $0) } ?? ""
        let c = InstructionClass.classify(name)
        classes[id] = c
        return c
    }

    /// Decodes `bytes` located at `address` until the bytes end or an instruction cannot be decoded.
    func decode(_ bytes: [UInt8], at address: UInt32) -> [DecodedInstruction] {
        var insns: UnsafeMutablePointer<cs_insn>? = nil
        let n = bytes.withUnsafeBufferPointer { buf in
            cs_disasm(handle, buf.baseAddress, buf.count, UInt64(address), 0, &insns)
        }
        guard n > 0, let list = insns else { return [] }
        defer { cs_free(list, n) }
        var out: [DecodedInstruction] = []
        out.reserveCapacity(n)
        for i in 0..<n { out.append(convert(&list[i])) }
        return out
    }

    private func convert(_ insn: inout cs_insn) -> DecodedInstruction {
        let cls = instructionClass(insn.id)
        let name = cs_insn_name(handle, insn.id).map { String(cString: $0) } ?? ""
        let mnemonic = withUnsafeBytes(of: insn.mnemonic) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }

        var reads: [UInt16] = [], writes: [UInt16] = []
        var nr: UInt8 = 0, nw: UInt8 = 0
        regRead.withUnsafeMutableBufferPointer { rp in
            regWrite.withUnsafeMutableBufferPointer { wp in
                if cs_regs_access(handle, &insn, rp.baseAddress, &nr, wp.baseAddress, &nw) == CS_ERR_OK {
                    reads = Array(rp.prefix(Int(nr)))
                    writes = Array(wp.prefix(Int(nw)))
                }
            }
        }
        let pc = UInt16(ARM_REG_PC.rawValue)
        var d = DecodedInstruction(
            address: UInt32(truncatingIfNeeded: insn.address), size: UInt8(insn.size), cls: cls,
            reads: reads, writes: writes, addressRegs: [], writesPC: writes.contains(pc))
        d.name = name
        guard let detail = insn.detail else { return d }
        let arm = detail.pointee.arm
        let count = Int(arm.op_count)
        d.isConditional = arm.cc != ARM_CC_AL && arm.cc != ARM_CC_INVALID
        d.writeback = arm.writeback
        withUnsafeBytes(of: arm.operands) { raw in
            let ops = raw.bindMemory(to: cs_arm_op.self)
            var regOperands = 0
            var seenMemory = false
            var doubleRegisters = false
            for k in 0..<count {
                let op = ops[k]
                if op.type == ARM_OP_REG || op.type == ARM_OP_IMM {
                    if seenMemory && d.writeback {
                        // Post-indexed: `[Rn], #imm` or `[Rn], Rm`.
                        if op.type == ARM_OP_IMM {
                            let v = Int32(truncatingIfNeeded: op.imm)
                            d.postIndex = op.subtracted ? -v : v
                        } else {
                            d.postIndexByRegister = true
                        }
                        continue
                    }
                    if op.type == ARM_OP_REG {
                        let r = op.reg
                        if r >= ARM_REG_D0.rawValue && r <= ARM_REG_D31.rawValue { doubleRegisters = true }
                        let lsl = op.shift.type == ARM_SFT_LSL ? UInt8(truncatingIfNeeded: op.shift.value) : 0
                        let shifted = op.shift.type != ARM_SFT_INVALID && op.shift.type != ARM_SFT_LSL
                        d.operands.append(.register(UInt16(truncatingIfNeeded: r), lsl: lsl, shifted: shifted))
                    } else {
                        d.operands.append(.immediate(Int64(op.imm)))
                    }
                }
                if op.type == ARM_OP_MEM {
                    seenMemory = true
                    d.memBase = UInt16(truncatingIfNeeded: op.mem.base.rawValue)
                    d.memIndex = UInt16(truncatingIfNeeded: op.mem.index.rawValue)
                    d.memDisp = Int32(op.mem.disp)
                    d.memShift = UInt8(truncatingIfNeeded: max(0, op.mem.lshift))
                    d.memSubtract = op.subtracted
                    d.addressRegs = [d.memBase, d.memIndex].filter { $0 != 0 }
                } else if op.type == ARM_OP_REG {
                    regOperands += 1
                }
            }
            switch cls {
            case .loadMultiple, .storeMultiple:
                let name = mnemonic.split(separator: ".").first.map(String.init) ?? mnemonic
                if name.hasPrefix("push") || name.hasPrefix("pop") || name.hasPrefix("vpush") || name.hasPrefix("vpop") {
                    d.transferCount = regOperands
                    d.memBase = UInt16(ARM_REG_SP.rawValue)
                } else if name.hasPrefix("ldrd") || name.hasPrefix("strd") || name.hasPrefix("ldrexd") || name.hasPrefix("strexd") {
                    d.transferCount = 2
                } else {
                    // LDM/STM/VLDM/VSTM: first register operand is the base, the rest the list.
                    d.transferCount = max(1, regOperands - 1)
                    if count > 0, ops[0].type == ARM_OP_REG { d.memBase = UInt16(truncatingIfNeeded: ops[0].reg) }
                }
                d.isDescending = name.hasPrefix("push") || name.hasPrefix("vpush") || name.hasSuffix("db")
                if d.addressRegs.isEmpty { d.addressRegs = [d.memBase] }
            default: break
            }
            d.accessBytes = Decoder.accessBytes(name: name, cls: cls, transfers: d.transferCount, doubleRegisters: doubleRegisters)
        }
        return d
    }

    /// Bytes moved by one execution of a memory instruction.
    static func accessBytes(name: String, cls: InstructionClass, transfers: Int, doubleRegisters: Bool) -> Int {
        switch cls {
        case .loadMultiple, .storeMultiple:
            if name.hasPrefix("v") { return transfers * (doubleRegisters ? 8 : 4) }
            return transfers * 4
        case .fpuLoadStore:
            return doubleRegisters ? 8 : 4
        case .load, .store:
            if name.hasSuffix("b") || name.hasSuffix("bt") || name.contains("exb") { return 1 }
            if name.hasSuffix("h") || name.hasSuffix("ht") || name.contains("exh") { return 2 }
            return 4
        default:
            return 0
        }
    }
}

/// Capstone ARM register id → Unicorn ARM register id, for r0–r15.
enum RegisterMap {
    static let coreRegisters: [(cs: UInt16, uc: Int32)] = {
        let cs: [arm_reg] = [ARM_REG_R0, ARM_REG_R1, ARM_REG_R2, ARM_REG_R3, ARM_REG_R4, ARM_REG_R5, ARM_REG_R6,
                             ARM_REG_R7, ARM_REG_R8, ARM_REG_R9, ARM_REG_R10, ARM_REG_R11, ARM_REG_R12,
                             ARM_REG_SP, ARM_REG_LR, ARM_REG_PC]
        let uc: [uc_arm_reg] = [UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4,
                                UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9,
                                UC_ARM_REG_R10, UC_ARM_REG_R11, UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR,
                                UC_ARM_REG_PC]
        return zip(cs, uc).map { (UInt16($0.rawValue), Int32($1.rawValue)) }
    }()

    static func unicorn(_ capstone: UInt16) -> Int32? {
        coreRegisters.first { $0.cs == capstone }?.uc
    }
}
