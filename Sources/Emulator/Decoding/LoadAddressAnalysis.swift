import CCapstone
import CEmulatorShims
import CUnicorn

/// Derives, for each load of a block, its address as a function of the registers at block entry.
enum LoadAddressAnalysis {
    struct Result {
        var entryProbes: [LoadProbe] = []
        /// Loads that need a code hook: (instruction address, its own addressing, condition code).
        var hooked: [(address: UInt64, probe: LoadProbe)] = []
        /// Addresses of the loads priced at block entry.
        var entryPriced: [UInt64] = []
    }

    static let sp = UInt16(ARM_REG_SP.rawValue)
    static let pc = UInt16(ARM_REG_PC.rawValue)

    /// `readOnlyWord` returns the word at an address in read-only memory (flash), so that a literal-pool
    /// load (`LDR Rd, [PC, #imm]`) gives Rd a known constant, typically the address of a global.
    /// `select` picks the accesses analysed (the loads, for pricing; the accesses that need alignment,
    /// for `AlignmentSite`).
    static func analyse(_ insns: [DecodedInstruction], select: (DecodedInstruction) -> Bool = { $0.isLoad },
                        readOnlyWord: (UInt64) -> UInt32?) -> Result {
        var result = Result()
        // Symbolic value of each core register (Capstone id) in terms of the entry registers.
        var known: [UInt16: AddressExpression] = [:]
        for (cs, uc) in RegisterMap.coreRegisters where cs != pc { known[cs] = .register(uc) }

        func value(_ reg: UInt16, at insn: DecodedInstruction) -> AddressExpression? {
            if reg == pc { return .constant(Int64((insn.address + 4) & ~3)) }
            return known[reg]
        }

        for insn in insns {
            if select(insn), insn.memBase != sp || insn.memIndex != 0 {
                let own = ownAddress(insn)
                var entry: AddressExpression? = nil
                if !insn.isConditional, let base = value(insn.memBase, at: insn) {
                    entry = base.adding(own.displacement)
                    if entry != nil, insn.memIndex != 0 {
                        if let idx = value(insn.memIndex, at: insn) {
                            entry = entry!.adding(idx, times: own.indexCoefficient)
                        } else {
                            entry = nil
                        }
                    }
                }
                let bytes = UInt32(max(1, insn.accessBytes))
                if let e = entry {
                    result.entryProbes.append(LoadProbe(address: e, bytes: bytes))
                    result.entryPriced.append(UInt64(insn.address))
                } else if let uc = RegisterMap.unicorn(insn.memBase) {
                    var e = AddressExpression.register(uc).adding(own.displacement)
                    if insn.memBase == pc { e = .constant(Int64((insn.address + 4) & ~3) + own.displacement) }
                    if insn.memIndex != 0, let ucIndex = RegisterMap.unicorn(insn.memIndex) {
                        e = e.adding(.register(ucIndex), times: own.indexCoefficient) ?? e
                    }
                    result.hooked.append((UInt64(insn.address), LoadProbe(address: e, bytes: bytes)))
                }
            }
            let before = known
            update(&known, after: insn, value: { $0 == pc ? .constant(Int64((insn.address + 4) & ~3)) : before[$0] })
            if insn.cls == .load, insn.memBase == pc, insn.accessBytes == 4, !insn.isConditional,
               case .register(let rd, _, _)? = insn.operands.first, rd != pc,
               let word = readOnlyWord(UInt64((insn.address + 4) & ~3) &+ UInt64(bitPattern: Int64(insn.memDisp))) {
                known[rd] = .constant(Int64(word))
            }
        }
        // Induction for a block that re-enters itself: a load's address moves by a constant when each of
        // its registers leaves the block as itself plus a constant.
        var exitStep: [Int32: Int64] = [:]
        for (cs, uc) in RegisterMap.coreRegisters where cs != pc {
            if let e = known[cs], e.reg0 == uc, e.coef0 & 0xFFFF_FFFF == 1, e.reg1 < 0 { exitStep[uc] = e.offset }
        }
        for i in result.entryProbes.indices {
            let e = result.entryProbes[i].address
            var step: Int64 = 0
            var derivable = true
            for (reg, coef) in [(e.reg0, e.coef0), (e.reg1, e.coef1)] where reg >= 0 {
                if let c = exitStep[reg] { step &+= coef &* c } else { derivable = false }
            }
            result.entryProbes[i].hasStep = derivable
            result.entryProbes[i].step = step
        }
        return result
    }

    /// The instruction's own addressing: displacement (0 when post-indexed; −bytes for decrement-before
    /// multiples) and the signed scale of the index register.
    static func ownAddress(_ insn: DecodedInstruction) -> (displacement: Int64, indexCoefficient: Int64) {
        var disp = insn.postIndex != nil || insn.postIndexByRegister ? 0 : Int64(insn.memDisp)
        if (insn.cls == .loadMultiple || insn.cls == .storeMultiple) && insn.isDescending { disp = -Int64(insn.accessBytes) }
        let scale = Int64(1) << Int64(insn.memShift)
        return (disp, insn.memSubtract ? -scale : scale)
    }

    /// Applies the register writes of `insn` to the symbolic register file.
    static func update(_ known: inout [UInt16: AddressExpression], after insn: DecodedInstruction,
                       value: (UInt16) -> AddressExpression?) {
        var next: [UInt16: AddressExpression?] = [:]
        // Base write-back of memory instructions.
        if insn.writeback, insn.memBase != 0 {
            let base = value(insn.memBase)
            let own = ownAddress(insn)
            if insn.isConditional || insn.postIndexByRegister {
                next[insn.memBase] = .some(nil)
            } else if insn.cls == .loadMultiple || insn.cls == .storeMultiple {
                let delta = Int64(insn.accessBytes)
                next[insn.memBase] = base?.adding(insn.isDescending ? -delta : delta)
            } else if let post = insn.postIndex {
                next[insn.memBase] = base?.adding(Int64(post))
            } else if insn.memIndex != 0 {
                next[insn.memBase] = value(insn.memIndex).flatMap { base?.adding($0, times: own.indexCoefficient) }
            } else {
                next[insn.memBase] = base?.adding(own.displacement)
            }
        }
        let arithmetic = insn.isConditional ? nil : addressArithmetic(insn, value: value)
        for reg in insn.writes where reg != pc && RegisterMap.unicorn(reg) != nil && next[reg] == nil {
            next[reg] = .some(arithmetic?.destination == reg ? arithmetic?.value : nil)
        }
        for (reg, v) in next {
            if let v { known[reg] = v } else { known[reg] = nil }
        }
    }

    /// ADD/SUB/MOV/MOVW/MOVT forms whose result stays a linear function of the entry registers.
    static func addressArithmetic(_ insn: DecodedInstruction, value: (UInt16) -> AddressExpression?)
        -> (destination: UInt16, value: AddressExpression?)? {
        let ops = insn.operands
        guard case .register(let rd, _, _)? = ops.first else { return nil }
        func operand(_ op: DecodedInstruction.Operand) -> AddressExpression? {
            switch op {
            case .immediate(let v): return .constant(v)
            case .register(let r, let lsl, let shifted):
                guard !shifted, let v = value(r) else { return nil }
                return AddressExpression().adding(v, times: Int64(1) << Int64(lsl))
            }
        }
        switch insn.name {
        case "add", "addw", "sub", "subw":
            let sign: Int64 = insn.name.hasPrefix("sub") ? -1 : 1
            if ops.count == 3, let a = operand(ops[1]), let b = operand(ops[2]) { return (rd, a.adding(b, times: sign)) }
            if ops.count == 2, let a = value(rd), let b = operand(ops[1]) { return (rd, a.adding(b, times: sign)) }
            return (rd, nil)
        case "mov", "movw":
            if ops.count == 2 { return (rd, operand(ops[1])) }
            return (rd, nil)
        case "movt":
            if ops.count == 2, case .immediate(let hi) = ops[1], let low = value(rd), low.isConstant {
                return (rd, .constant((low.offset & 0xFFFF) | (hi & 0xFFFF) << 16))
            }
            return (rd, nil)
        default:
            return nil
        }
    }
}
