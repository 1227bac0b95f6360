import Targets

/// What an instruction costs, before its neighbours are considered.
enum InstructionClass: UInt8 {
    case alu, branch, mul, mulLong, dsp, divide, load, store, loadMultiple, storeMultiple
    case fpu, fpuMac, fpuDivide, fpuLoadStore, system

    var event: Event {
        switch self {
        case .alu: return .alu
        case .branch: return .branch
        case .mul: return .mul
        case .mulLong: return .mulLong
        case .dsp: return .dsp
        case .divide: return .divide
        case .load: return .load
        case .store: return .store
        case .loadMultiple: return .loadMultiple
        case .storeMultiple: return .storeMultiple
        case .fpu: return .fpu
        case .fpuMac: return .fpuMac
        case .fpuDivide: return .fpuDivide
        case .fpuLoadStore: return .fpuLoadStore
        case .system: return .system
        }
    }

    var isSingleAccess: Bool { self == .load || self == .store || self == .fpuLoadStore }

    /// Classifies by Capstone's canonical instruction name (no condition code, no width suffix).
    static func classify(_ name: String) -> InstructionClass {
        switch name {
        case "b", "bl", "blx", "bx", "bxj", "cbz", "cbnz", "tbb", "tbh": return .branch
        case "mul", "mla", "mls": return .mul
        case "smull", "umull", "smlal", "umlal", "umaal", "smlald", "smlaldx", "smlsld", "smlsldx": return .mulLong
        case "sdiv", "udiv": return .divide
        case "vdiv", "vsqrt": return .fpuDivide
        case "vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms": return .fpuMac
        case "vldr", "vstr": return .fpuLoadStore
        case "vldmia", "vldmdb", "vpop": return .loadMultiple
        case "vstmia", "vstmdb", "vpush": return .storeMultiple
        case "ldm", "ldmdb", "ldmda", "ldmib", "pop", "ldrd", "ldrexd", "ldaexd": return .loadMultiple
        case "stm", "stmdb", "stmda", "stmib", "push", "strd", "strexd", "stlexd": return .storeMultiple
        case "dmb", "dsb", "isb", "mrs", "msr", "cps", "cpsie", "cpsid", "wfi", "wfe", "sev", "svc",
             "bkpt", "udf", "clrex", "yield", "sg", "tt", "ttt", "tta", "ttat", "vmrs", "vmsr", "dbg", "pld", "pli":
            return .system
        default: break
        }
        if name.hasPrefix("smlal") { return .mulLong }
        if name.hasPrefix("ldr") || name.hasPrefix("lda") { return .load }
        if name.hasPrefix("str") || name.hasPrefix("stl") { return .store }
        if name.hasPrefix("v") { return .fpu }
        if isDSP(name) { return .dsp }
        return .alu
    }

    private static let dspNames: Set<String> = [
        "sxtb16", "sxtab16", "uxtb16", "uxtab16", "sel", "usad8", "usada8", "ssat", "usat", "ssat16", "usat16",
        "pkhbt", "pkhtb", "sasx", "ssax", "uasx", "usax", "sadd16", "sadd8", "ssub16", "ssub8",
        "uadd16", "uadd8", "usub16", "usub8", "smmul", "smmulr", "smmla", "smmlar", "smmls", "smmlsr",
    ]

    private static func isDSP(_ n: String) -> Bool {
        if dspNames.contains(n) { return true }
        // SMLAD/SMLSD/SMUAD/SMUSD (+X), SMLAxy, SMLAWy, SMULxy, SMULWy.
        for p in ["smlad", "smlsd", "smuad", "smusd", "smlabb", "smlabt", "smlatb", "smlatt", "smlaw",
                  "smulbb", "smulbt", "smultb", "smultt", "smulw"] where n.hasPrefix(p) { return true }
        // Saturating and halving SIMD: QADD, QSUB, QDADD, QASX…, SHADD8, UHSUB16, UQADD8…
        if n.hasPrefix("q") { return true }
        for p in ["shadd", "shsub", "shasx", "shsax", "uhadd", "uhsub", "uhasx", "uhsax",
                  "uqadd", "uqsub", "uqasx", "uqsax"] where n.hasPrefix(p) { return true }
        return false
    }
}
