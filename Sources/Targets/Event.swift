/// The events the emulator counts per run. A board's cycle model prices each one:
///
///     cycles = Σ_e count[e] · cost[e]
///
/// Static events are decoded once per basic block; dynamic ones are observed while the
/// program runs. The order of `allCases` is the layout of event and cost vectors.
public enum Event: String, CaseIterable, Codable, Sendable, Comparable {
    // MARK: static, per instruction class
    /// Every executed instruction (informational; usually cost 0).
    case instructions
    /// Data processing, moves, compares, shifts, extends, bitfield ops, IT, NOP.
    case alu
    /// Branch issue cycle: B, BL, BX, BLX, CBZ, CBNZ, TBB, TBH (refill is `branchTaken`).
    case branch
    /// 32-bit-result multiplies: MUL, MLA, MLS.
    case mul
    /// 64-bit-result multiplies: SMULL, UMULL, SMLAL, UMLAL, UMAAL, SMLALxy, SMLALD, SMLSLD.
    case mulLong = "mul_long"
    /// DSP extension: SIMD add/sub, saturating, packing, SMLAD/SMUAD/SMLAxy/SMULxy/SMMUL, SXTB16, SEL, USAD8.
    case dsp
    /// Issue slot of SDIV/UDIV (the data-dependent part is `divideCycles`).
    case divide
    /// Single load (LDR, LDRB, LDRH, LDRSB, LDRSH, LDREX) not pipelined behind another access.
    case load
    /// Single load or store issued right behind a load whose result it does not need for its address.
    case loadPipelined = "load_pipelined"
    /// Single store (STR, STRB, STRH, STREX) not pipelined.
    case store
    /// LDM, POP, LDRD, VLDM, VPOP issue cycle.
    case loadMultiple = "load_multiple"
    /// STM, PUSH, STRD, VSTM, VPUSH issue cycle.
    case storeMultiple = "store_multiple"
    /// Registers moved by multiple/double transfers (N in the TRM's "1 + N").
    case transferBeats = "transfer_beats"
    /// A load/store whose address register was written by the instruction just before it.
    case aguStall = "agu_stall"
    /// An instruction that reads the destination of the load just before it.
    case loadUseStall = "load_use_stall"
    /// FPU arithmetic, moves, conversions, compares.
    case fpu
    /// FPU multiply-accumulate (VMLA, VMLS, VNMLA, VNMLS, VFMA, VFMS, VFNMA, VFNMS).
    case fpuMac = "fpu_mac"
    /// VDIV, VSQRT.
    case fpuDivide = "fpu_divide"
    /// VLDR, VSTR.
    case fpuLoadStore = "fpu_load_store"
    /// Barriers, MRS/MSR, CPS, WFI/WFE, SVC, BKPT and other system instructions.
    case system

    // MARK: dynamic
    /// Pipeline refill after a taken branch or any other write to PC (P in the TRM).
    case branchTaken = "branch_taken"
    /// Data-dependent cycles of SDIV/UDIV beyond the issue slot.
    case divideCycles = "divide_cycles"
    /// Data reads from a flash region (literal pools, const tables, weights).
    case flashDataReads = "flash_data_reads"
    /// Flash data reads that missed every cache serving them (each pays the wait states).
    case flashDataMisses = "flash_data_misses"
    /// Instruction-fetch lines from flash, entered by a branch, missing the instruction cache.
    case fetchBranchMisses = "fetch_branch_misses"
    /// Instruction-fetch lines from flash, reached sequentially, missing the instruction cache.
    case fetchSequentialMisses = "fetch_sequential_misses"
    /// Data reads from cacheable SRAM that missed the data cache (Cortex-M7 AXI SRAM).
    case sramDataMisses = "sram_data_misses"

    public static func < (a: Event, b: Event) -> Bool { a.index < b.index }

    /// Position in event and cost vectors.
    public var index: Int { Event.indexTable[self]! }
    private static let indexTable: [Event: Int] =
        Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    public static var count: Int { allCases.count }

    /// Events that depend on the instruction stream only (priced by the core file).
    public static let coreEvents: [Event] = [
        .instructions, .alu, .branch, .mul, .mulLong, .dsp, .divide, .load, .loadPipelined, .store,
        .loadMultiple, .storeMultiple, .transferBeats, .aguStall, .loadUseStall, .fpu, .fpuMac,
        .fpuDivide, .fpuLoadStore, .system, .branchTaken, .divideCycles,
    ]
    /// Events that depend on the memory system (priced by the board file).
    public static let memoryEvents: [Event] = [
        .flashDataReads, .flashDataMisses, .fetchBranchMisses, .fetchSequentialMisses, .sramDataMisses,
    ]
}

/// A vector indexed by `Event` (counts or costs).
public struct EventVector: Equatable, Sendable {
    public var values: [Double]

    public init() { values = Array(repeating: 0, count: Event.count) }

    public subscript(_ e: Event) -> Double {
        get { values[e.index] }
        set { values[e.index] = newValue }
    }

    /// Σ self[e] · other[e].
    public func dot(_ other: EventVector) -> Double {
        var s = 0.0
        for i in 0..<values.count { s += values[i] * other.values[i] }
        return s
    }

    public static func + (a: EventVector, b: EventVector) -> EventVector {
        var r = a
        for i in 0..<r.values.count { r.values[i] += b.values[i] }
        return r
    }

    public static func - (a: EventVector, b: EventVector) -> EventVector {
        var r = a
        for i in 0..<r.values.count { r.values[i] -= b.values[i] }
        return r
    }

    /// A vector from named counts (`named`'s inverse); nil when a name is not an event.
    public init?(named: [String: Double]) {
        self.init()
        for (name, v) in named {
            guard let e = Event(rawValue: name) else { return nil }
            self[e] = v
        }
    }

    /// Non-zero entries by name, for reports.
    public var named: [String: Double] {
        var d: [String: Double] = [:]
        for e in Event.allCases where self[e] != 0 { d[e.rawValue] = self[e] }
        return d
    }
}

