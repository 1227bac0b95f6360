import Emulator
import Targets
import TestSupport
import XCTest

/// One hand-timed snippet and its expected cycles on each core model, with where the numbers come from.
struct TimingCase {
    var name: String
    var setup = ""
    var body: String
    /// Cortex-M4: Arm DDI 0439B (Cortex-M4 TRM r0p1) Table 3-1 and §3.3.2, P = 2.
    /// Cortex-M33 uses the same numbers: its TRM (Arm 100230) has no timing table and
    /// targets/cores/cortex-m33f.json reuses the Cortex-M4 costs (stated there as an estimate).
    var m4: Double
    /// Cortex-M7: the dual-issue estimates of targets/cores/cortex-m7.json (the M7 TRM has no table):
    /// ALU/branch/FPU 0.5, load/store 1, pipelined load 0.5, beats 0.5, load-use 1, taken refill 1.
    var m7: Double
}

let timingCases: [TimingCase] = [
    // 5 data-processing instructions × 1 (Table 3-1: ADD, EOR, LSL, MOV, SUB = 1). M7: 5 × 0.5.
    TimingCase(name: "ALU run", body: "adds r0, r0, #1\n eors r1, r1, r2\n lsls r3, r3, #2\n mov r5, r6\n subs r0, r0, r1", m4: 5, m7: 2.5),
    // MUL 1 + MLA 1 + SMULL 1 + UMLAL 1 (Table 3-1: single-cycle on M4). M7: one MAC pipe, 4 × 1.
    TimingCase(name: "MUL/MLA/SMULL/UMLAL", setup: dataSetup, body: "mul r0, r1, r2\n mla r3, r1, r2, r3\n smull r5, r6, r1, r2\n umlal r5, r6, r1, r2", m4: 4, m7: 4),
    // SMLAD 1 + SMLAD 1 + SXTB16 1 (Table 3-1 DSP = 1). M7: 3 × 1.
    TimingCase(name: "SMLAD/SXTB16", setup: dataSetup, body: "smlad r0, r1, r2, r0\n smlad r3, r1, r2, r3\n sxtb16 r5, r1", m4: 3, m7: 3),
    // LDR 2 + two pipelined LDR 1 + 1 (§3.3.2: "LDR R0,[R1,R5]; LDR R1,[R2]; LDR R2,[R3,#4] — four cycles"). M7: 1 + 0.5 + 0.5.
    TimingCase(name: "back-to-back LDR", setup: dataSetup, body: "ldr r0, [r4]\n ldr r1, [r4, #4]\n ldr r2, [r4, #8]", m4: 4, m7: 2),
    // Second LDR's address is the first's result: no pipelining, 2 + 2. M7: 1 + 1 + 1 load-use stall.
    TimingCase(name: "dependent LDR", setup: dataSetup, body: "ldr r0, [r4]\n ldr r1, [r0]", m4: 4, m7: 3),
    // ADD 1 then LDR 2 on the ADD's result + 1 AGU stall (Cortex-M3 TRM §18.3 / M4F notes). M7: 0.5 + 1 (forwarded).
    TimingCase(name: "AGU stall", setup: dataSetup, body: "adds r5, r4, #4\n ldr r0, [r5]", m4: 4, m7: 1.5),
    // STR Rx,[Ry,#imm] is one cycle (§3.3.2), two of them. M7: 2 × 1.
    TimingCase(name: "STR", setup: dataSetup, body: "str r1, [r4, #4]\n str r2, [r4, #8]", m4: 2, m7: 2),
    // LDM of 4 registers: 1 + N = 5 (Table 3-1). M7: 1 + 4 × 0.5.
    TimingCase(name: "LDM x4", setup: dataSetup, body: "ldm r4, {r0-r3}", m4: 5, m7: 3),
    // STM of 3 registers: 1 + 3 = 4. M7: 1 + 3 × 0.5.
    TimingCase(name: "STM x3", setup: dataSetup, body: "stm r4, {r0-r2}", m4: 4, m7: 2.5),
    // PUSH {r0-r3, lr}: 1 + 5 = 6. M7: 1 + 5 × 0.5.
    TimingCase(name: "PUSH x5", setup: dataSetup, body: "push {r0-r3, lr}", m4: 6, m7: 3.5),
    // B taken: 1 + P = 3. M7: 0.5 + 1.
    TimingCase(name: "taken B", body: "b.w over\n nop\n over:", m4: 3, m7: 1.5),
    // CMP 1 + BNE not taken 1 (Table 3-1: a not-taken conditional branch is 1). M7: 0.5 + 0.5.
    TimingCase(name: "not-taken BNE", body: "cmp r0, r0\n bne far", m4: 2, m7: 1),
    // 3 × (SUBS 1 + BNE 1) + 2 taken back-edges × P 2 = 10. M7: 3 × 1 + 2 × 1.
    TimingCase(name: "counted loop", setup: "movs r0, #3", body: "loop: subs r0, r0, #1\n bne loop", m4: 10, m7: 5),
    // UDIV with dividend < divisor terminates at the 2-cycle lower bound (Table 3-1: 2 to 12).
    TimingCase(name: "UDIV early", setup: "movs r1, #5\n movs r2, #100", body: "udiv r0, r1, r2", m4: 2, m7: 2),
    // 0xFFFFFFFF / 1 produces 32 quotient bits: the 12-cycle upper bound.
    TimingCase(name: "UDIV full", setup: "mov r1, #0xFFFFFFFF\n movs r2, #1", body: "udiv r0, r1, r2", m4: 12, m7: 12),
    // 0x7FFFFFFF / 1 signed: 31 bits, ceil(31 / 3.2) = 10 → 12 (cap).
    TimingCase(name: "SDIV full", setup: "mvn r1, #0x80000000\n movs r2, #1", body: "sdiv r0, r1, r2", m4: 12, m7: 12),
]

final class InstructionTimingTests: XCTestCase {
    private func check(_ boardName: String, _ expected: KeyPath<TimingCase, Double>) throws {
        let board = try Fixtures.board(boardName)
        for c in timingCases {
            XCTAssertEqual(try regionCycles(board, setup: c.setup, body: c.body), c[keyPath: expected],
                           "\(boardName): \(c.name)")
        }
    }

    func testCortexM4() throws { try check("cortex-m4", \.m4) }
    func testCortexM33() throws { try check("cortex-m33", \.m4) }
    func testCortexM7() throws { try check("cortex-m7", \.m7) }

    func testFlashFetchWithWaitStates() throws {
        // 31 NOPs (1 cycle each, Table 3-1) from a 16-byte boundary span 4 128-bit flash lines.
        // SRAM: 31. Flash with the ART caches and prefetch off: each line pays the 5 wait states of
        // RM0390 Table 5 at 180 MHz → 31 + 4 × 5 = 51. With the ART as on the board (prefetch hides
        // sequential lines, the branch-entered first line misses): 31 + 5 = 36.
        let board = try Fixtures.board("nucleo-f446re")
        let body = "b.w aligned\n .balign 16\naligned:\n" + String(repeating: "nop\n", count: 31)
        func cycles(_ b: Board, at address: UInt64) throws -> Double {
            try regionCycles(b, body: body, at: address) - 3  // minus the 3-cycle B that enters the run
        }
        XCTAssertEqual(try cycles(board, at: 0x2000_0000), 31)
        var noART = board
        noART.caches = []
        noART.memoryCosts[.fetchSequentialMisses] = Sourced(5, source: "RM0390 Table 5 with prefetch disabled")
        XCTAssertEqual(try cycles(noART, at: 0x0800_0100), 51)
        XCTAssertEqual(try cycles(board, at: 0x0800_0100), 36)
        // The L552 ICACHE has no prefetch behind it: 31 + 4 lines × 3 wait states (RM0438 Table 41).
        XCTAssertEqual(try cycles(try Fixtures.board("nucleo-l552ze-q"), at: 0x0800_0100), 43)
    }
}
