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
}
