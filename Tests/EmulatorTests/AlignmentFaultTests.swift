import Emulator
import TestSupport
import XCTest

/// The core faults on an unaligned LDRD/STRD, LDM/STM, exclusive or FPU access even with unaligned
/// support (ARMv7-M ARM A3.2.1; Armv8-M ARM B6.3), which Unicorn lets through: the emulator raises
/// UsageFault naming the instruction, its PC and its address — on the first execution, inside loops,
/// for addresses known at block entry and for those only known at the instruction.
final class AlignmentFaultTests: XCTestCase {
    /// Assembles `body` (r0 = `base` on entry, r5 = address of a word holding `base`), runs it on the
    /// M4 board and returns the error message, or "exit 0".
    private func run(_ body: String, base: UInt32 = 0x2000_1001, fpu: Bool = false, text: UInt64 = 0x2000_0000) throws -> String {
        let src = """
            \(fpu ? "ldr r1, =0xE000ED88\n    ldr r2, [r1]\n    orr r2, r2, #0xF00000\n    str r2, [r1]\n    dsb\n    isb" : "")
            ldr r0, =0x\(String(base, radix: 16))
            ldr r5, =0x20001800
            str r0, [r5]
            movs r4, #0
            b body
        .global body
        .thumb_func
        body:
            \(body)
            mov r0, #0x18
            ldr r1, =0x20026
            bkpt #0xAB
        """
        let elf = try Fixtures.assemble(src, cpu: "cortex-m4", textAddress: text, fpu: fpu)
        let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run() }
        XCTAssertFalse(message.contains("\n"), message)
        if message == "no error" { return "exit 0" }
        return message
    }

    private func assertFault(_ body: String, _ expected: String, base: UInt32 = 0x2000_1001, fpu: Bool = false,
                             text: UInt64 = 0x2000_0000, file: StaticString = #filePath, line: UInt = #line) throws {
        let message = try run(body, base: base, fpu: fpu, text: text)
        XCTAssertTrue(message.hasPrefix("UsageFault at 0x") && message.contains(expected), message, file: file, line: line)
    }

    func testEachFaultingFormNamesInstructionAddressAndPC() throws {
        try assertFault("ldrd r2, r3, [r0]", "<body>: LDRD of 8 bytes at 0x20001001, not 4-byte aligned (UFSR.UNALIGNED)")
        try assertFault("nop\n    strd r2, r3, [r0, #8]", "<body+0x2>: STRD of 8 bytes at 0x20001009, not 4-byte aligned")
        try assertFault("ldm r0, {r2, r3}", "LDM of 8 bytes at 0x20001001")
        try assertFault("stm r0!, {r2, r3}", "STM of 8 bytes at 0x20001001")
        // Decrement-before: the lowest address is base − 8.
        try assertFault("stmdb r0!, {r2, r3}", "STMDB of 8 bytes at 0x20000ff9")
        try assertFault("ldrex r2, [r0]", "LDREX of 4 bytes at 0x20001001, not 4-byte aligned")
        try assertFault("ldrexh r2, [r0]", "LDREXH of 2 bytes at 0x20001001, not 2-byte aligned")
        try assertFault("vldr s0, [r0]", "VLDR of 4 bytes at 0x20001001", fpu: true)
        try assertFault("vstmia r0, {s0-s1}", "VSTMIA of 8 bytes at 0x20001001", fpu: true)
    }

    /// What the core allows: unaligned single LDR/LDRH/STR, byte exclusives, 4-aligned LDRD/LDM,
    /// PUSH/POP, and an aligned LDREXH at an odd word offset.
    func testAllowedAccessesRun() throws {
        XCTAssertEqual(try run("ldr r2, [r0]\n    ldrh r3, [r0]\n    str r2, [r0, #4]\n    strh r3, [r0, #2]\n    ldrexb r2, [r0]"), "exit 0")
        XCTAssertEqual(try run("ldrd r2, r3, [r0]\n    ldm r0, {r2, r3}\n    push {r2, r3}\n    pop {r2, r3}", base: 0x2000_1004), "exit 0")
        XCTAssertEqual(try run("ldrexh r2, [r0]", base: 0x2000_1002), "exit 0")
        XCTAssertEqual(try run("vldr s0, [r0]\n    vstmia r0, {s0-s1}", base: 0x2000_1004, fpu: true), "exit 0")
    }

    /// A base loaded inside the block (no entry expression) and a conditional access are checked at
    /// the instruction — including their first execution; a condition that fails does not fault.
    func testAccessesKnownOnlyAtTheInstruction() throws {
        try assertFault("ldr r0, [r5]\n    ldm r0, {r2, r3}", "LDM of 8 bytes at 0x20001001")
        try assertFault("cmp r4, #0\n    it eq\n    ldrdeq r2, r3, [r0]", "LDRD of 8 bytes at 0x20001001")
        XCTAssertEqual(try run("cmp r4, #1\n    it eq\n    ldrdeq r2, r3, [r0]"), "exit 0")
    }

    /// In a loop: a pointer stepping by 2 faults on the second pass, one stepping by 4 never does
    /// (its checks may be skipped by the replay of re-entries, since alignment is kept).
    func testLoops() throws {
        // From SRAM and from flash (where the fetch model lets a loop replay its re-entries).
        for text: UInt64 in [0x2000_0000, 0x0800_0000] {
            try assertFault("movs r1, #100\nloop2:\n    ldm r0, {r2, r3}\n    adds r0, #2\n    subs r1, #1\n    bne loop2",
                            "LDM of 8 bytes at 0x20001002", base: 0x2000_1000, text: text)
            XCTAssertEqual(try run("movs r1, #200\nloop4:\n    ldm r0, {r2, r3}\n    adds r0, #4\n    subs r1, #1\n    bne loop4",
                                   base: 0x2000_1000, text: text), "exit 0")
            try assertFault("movs r1, #200\nloop5:\n    ldm r0, {r2, r3}\n    adds r0, #4\n    subs r1, #1\n    cmp r1, #150\n    it eq\n    addeq r0, #1\n    cmp r1, #0\n    bne loop5",
                            "LDM of 8 bytes at 0x200010c9", base: 0x2000_1000, text: text)
        }
    }
}
