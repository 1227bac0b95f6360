import Targets

/// The static part of a basic block's cost, computed once when the block is first executed.
///
/// Neighbour rules apply inside the block only (the first instruction of a block is never
/// treated as pipelined or stalled by the previous block's last instruction):
/// - a single load right after a single load, whose address does not use that load's
///   destination, counts `loadPipelined` instead of `load` (Cortex-M4 TRM §3.3.2);
/// - a single load/store whose address register was written by the data-processing
///   instruction just before it counts one `aguStall`;
/// - an instruction reading the destination of the load just before it counts one `loadUseStall`;
/// - multiple/double transfers count their registers as `transferBeats`.
struct BlockAnalysis {
    var instructions: [DecodedInstruction]
    /// Static event counts of one execution of the block.
    var events = EventVector()
    /// `prefixCycles[i]` = static cycles of instructions 0..<i (so the last entry is the block's).
    var prefixCycles: [Double] = []
    var endsInControlFlow = false
    /// This block's accesses checked for alignment at entry: indices into `Machine.alignmentProbes`.
    var alignmentChecks: Range<Int> = 0 ..< 0

    init(instructions: [DecodedInstruction], costs: EventVector) {
        self.instructions = instructions
        var prefix = [0.0]
        var previous: DecodedInstruction? = nil
        for insn in instructions {
            var e = EventVector()
            e[.instructions] = 1
            var cls = insn.cls.event
            if let prev = previous {
                let prevIsLoad = prev.cls == .load
                // A base-register writeback comes from the address unit early; only loaded data counts.
                let loaded = prev.writes.filter { $0 != prev.memBase }
                let usesPrevResult = insn.reads.contains { loaded.contains($0) }
                if insn.cls == .load, prevIsLoad, !insn.addressRegs.contains(where: { loaded.contains($0) }) {
                    cls = .loadPipelined
                }
                if (insn.cls.isSingleAccess || insn.cls == .loadMultiple || insn.cls == .storeMultiple),
                   [.alu, .mul, .dsp, .mulLong].contains(prev.cls),
                   insn.addressRegs.contains(where: { prev.writes.contains($0) }) {
                    e[.aguStall] += 1
                }
                if prevIsLoad, usesPrevResult { e[.loadUseStall] += 1 }
            }
            e[cls] += 1
            if insn.cls == .loadMultiple || insn.cls == .storeMultiple { e[.transferBeats] += Double(insn.transferCount) }
            events = events + e
            prefix.append(prefix.last! + e.dot(costs))
            previous = insn
        }
        prefixCycles = prefix
        if let last = instructions.last { endsInControlFlow = last.cls == .branch || last.writesPC }
    }

    /// Index of the instruction at `address`, if it starts one.
    func index(of address: UInt32) -> Int? {
        instructions.firstIndex { $0.address == address }
    }
}
