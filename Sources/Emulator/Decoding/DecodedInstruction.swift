/// One instruction of a basic block, as much as the cycle model and fault reports need.
struct DecodedInstruction {
    var address: UInt32
    var size: UInt8
    var cls: InstructionClass
    /// Registers read / written (Capstone register ids, explicit and implicit).
    var reads: [UInt16]
    var writes: [UInt16]
    /// Registers that form the address of a memory access (base, index).
    var addressRegs: [UInt16]
    /// For memory instructions: base register, index register, scale, displacement, shift of index.
    var memBase: UInt16 = 0
    var memIndex: UInt16 = 0
    var memDisp: Int32 = 0
    var memShift: UInt8 = 0
    var memSubtract = false
    /// Registers moved by a multiple/double transfer.
    var transferCount: Int = 0
    /// Descending multiple transfers (PUSH, STMDB, VPUSH, VSTMDB) access below the base.
    var isDescending = false
    var writesPC: Bool
    /// Capstone's canonical name ("add", "ldrb", "vldr", …) — used to track address arithmetic.
    var name: String = ""
    /// Executes under a condition (inside an IT block or a conditional branch).
    var isConditional = false
    /// The base register is written back (pre/post-indexed single transfers, `!` multiples).
    var writeback = false
    /// Post-indexed single transfer: the immediate added to the base after the access (nil otherwise,
    /// or when the post-index amount is a register).
    var postIndex: Int32? = nil
    var postIndexByRegister = false
    /// Bytes one execution reads or writes (single: 1/2/4/8; multiple: registers × 4 or 8).
    var accessBytes: Int = 0
    /// Non-memory operands in order: registers (with an LSL amount) and immediates.
    var operands: [Operand] = []

    enum Operand: Equatable {
        case register(UInt16, lsl: UInt8, shifted: Bool)
        case immediate(Int64)
    }

    /// Reads data memory (single, double and multiple loads, VLDR/VLDM/VPOP).
    var isLoad: Bool {
        switch cls {
        case .load: return true
        case .loadMultiple: return true
        case .fpuLoadStore: return name.hasPrefix("vldr")
        default: return false
        }
    }
}
