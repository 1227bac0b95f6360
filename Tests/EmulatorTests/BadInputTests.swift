import Emulator
import Targets
import TestSupport
import XCTest

/// Malformed firmware and runaway programs end with one clear error, never a trap.
final class BadInputTests: XCTestCase {
    func testNotAnELF() throws {
        XCTAssertEqual(Fixtures.errorMessage { try ELFImage(bytes: Array("hello world".utf8), path: "x.bin") }, "x.bin: not an ELF file (bad magic)")
    }

    func testWrongClassMachineAndTruncation() throws {
        let elf = try Fixtures.assemble("start: bkpt #0", cpu: "cortex-m4", textAddress: 0x2000_0000)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: elf)))
        var c64 = bytes; c64[4] = 2
        XCTAssertTrue(Fixtures.errorMessage { try ELFImage(bytes: c64, path: "f") }.contains("64-bit"))
        var x86 = bytes; x86[18] = 62; x86[19] = 0
        XCTAssertEqual(Fixtures.errorMessage { try ELFImage(bytes: x86, path: "f") }, "f: machine 62 is not ARM (EM_ARM = 40)")
        XCTAssertTrue(Fixtures.errorMessage { try ELFImage(bytes: Array(bytes.prefix(40)), path: "f") }.contains("truncated ELF header"))
        XCTAssertTrue(Fixtures.errorMessage { try ELFImage(bytes: Array(bytes.prefix(200)), path: "f") }.contains("truncated"))
        XCTAssertTrue(Fixtures.errorMessage { try ELFImage(path: "/nonexistent/fw.elf") }.contains("cannot read file"))
    }

    func testSegmentOutsideBoardMemory() throws {
        let elf = try Fixtures.assemble("start: bkpt #0", cpu: "cortex-m4", textAddress: 0x6000_0000)
        let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)) }
        XCTAssertTrue(message.contains("segment at 0x60000000") && message.contains("outside the memory map of nucleo-f446re"), message)
    }

    func testFaultNamesAddressPCAndSymbol() throws {
        let src = """
        start:
            nop
        .global load_bad
        .thumb_func
        load_bad:
            mov.w r0, #0x70000000
            movs r1, #1
            ldr r2, [r0, #8]
            bkpt #0
        """
        let elf = try Fixtures.assemble(src, cpu: "cortex-m4", textAddress: 0x2000_0000)
        let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run() }
        XCTAssertEqual(message, "read of 4 bytes at 0x70000008 outside the board's memory map (pc 0x20000008 <load_bad+0x6>)")
    }

    /// The machine maps spacers between its RAM blocks while it sets up (see `SpacerPlan`) and
    /// unmaps them before anything runs: on the L552 the first two sit at 0x0 and 0x100000, which
    /// must stay outside the memory map for the firmware.
    func testSetUpSpacersAreNotGuestMemory() throws {
        for address in ["#0x00000000", "#0x00100010"] {
            let src = """
            start:
                nop
            .global store_spacer
            .thumb_func
            store_spacer:
                mov.w r0, \(address)
                str r0, [r0]
                bkpt #0
            """
            let elf = try Fixtures.assemble(src, cpu: "cortex-m33", textAddress: 0x2000_0000)
            let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m33"), image: try ELFImage(path: elf)).run() }
            let hex = String(UInt32(address.dropFirst(3), radix: 16)!, radix: 16)
            XCTAssertEqual(message, "write of 4 bytes at 0x\(hex) outside the board's memory map (pc 0x20000006 <store_spacer+0x4>)")
        }
    }

    /// A store into flash does not take effect on the board (the locked flash ignores it): the run
    /// stops naming the store, its address and its PC — from code in flash and in SRAM, byte to word.
    func testStoreIntoFlashStopsTheRun() throws {
        for (text, store, size) in [(0x0800_0000, "str r1, [r0]", 4), (0x2000_0000, "strb r1, [r0, #3]", 1), (0x2000_0000, "strh r1, [r0, #2]", 2)] {
            let src = """
            start:
                nop
            .global store_flash
            .thumb_func
            store_flash:
                ldr r0, =0x08000400
                movs r1, #7
                \(store)
                bkpt #0
            """
            let elf = try Fixtures.assemble(src, cpu: "cortex-m4", textAddress: UInt64(text))
            let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run() }
            let address = store.contains("#3") ? "0x8000403" : store.contains("#2") ? "0x8000402" : "0x8000400"
            XCTAssertTrue(message.hasPrefix("store of \(size) bytes to flash at \(address) (pc 0x\(String(text + 6, radix: 16)) <store_flash+0x4>)"), message)
            XCTAssertTrue(message.contains("flash takes no stores"), message)
        }
    }

    /// With SCB->CCR.DIV_0_TRP set the core raises UsageFault on a divisor of 0; without it the
    /// quotient is 0 and the program goes on (ARMv7-M ARM B3.2.8).
    func testDivideByZeroTrapsOnlyWhenEnabled() throws {
        for (trap, division) in [(true, "udiv r2, r0, r1"), (true, "sdiv r2, r0, r1"), (false, "udiv r2, r0, r1")] {
            let src = """
            start:
                ldr r3, =0xE000ED14
                ldr r4, [r3]
                \(trap ? "orr r4, r4, #16" : "bic r4, r4, #16")
                str r4, [r3]
                movs r0, #9
                movs r1, #0
            .global divide
            .thumb_func
            divide:
                \(division)
                mov r0, #0x18
                ldr r1, =0x20026
                bkpt #0xAB
            """
            let elf = try Fixtures.assemble(src, cpu: "cortex-m4", textAddress: 0x2000_0000)
            let run = { try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run() }
            if trap {
                let message = Fixtures.errorMessage { _ = try run() }
                XCTAssertTrue(message.hasPrefix("UsageFault at 0x2000000e <divide>: \(division.prefix(4).uppercased()) by zero with SCB->CCR.DIV_0_TRP set"), message)
            } else {
                XCTAssertEqual(try run().exitCode, 0)
            }
        }
    }

    /// Semihosting calls whose parameter block, buffer or string lies outside the board's memory
    /// (or, for what the host writes, outside its RAM) stop the run naming the call, the operand and
    /// its range, instead of being reported as done.
    func testSemihostingOutsideTheBoardsMemoryStops() throws {
        // (op, r1, parameter words written at `block` when r1 is `block`, expected message part)
        let cases: [(String, String, [String], String)] = [
            ("0x05", "block", ["1", "0x70000000", "16"], "SYS_WRITE at <call>: its buffer (16 bytes at 0x70000000) is not inside the board's memory"),
            ("0x05", "block", ["1", "0x2001fff8", "64"], "its buffer (64 bytes at 0x2001fff8) is not inside the board's memory"),
            ("0x06", "block", ["1", "0x08000100", "4"], "SYS_READ at <call>: its buffer (4 bytes at 0x8000100) is not inside the board's RAM"),
            ("0x05", "0x70000000", [], "SYS_WRITE at <call>: its parameter block (12 bytes at 0x70000000) is not inside the board's memory"),
            ("0x04", "0x6fffffff", [], "SYS_WRITE0 at <call>: its string (1 bytes at 0x6fffffff) is not inside the board's memory"),
            ("0x16", "block", ["0x08000000"], "SYS_HEAPINFO at <call>: its block (16 bytes at 0x8000000) is not inside the board's RAM"),
        ]
        for (op, r1, words, expected) in cases {
            let src = """
            start:
                ldr r2, =block
                \(words.enumerated().map { "ldr r3, =\($0.element)\n    str r3, [r2, #\(4 * $0.offset)]" }.joined(separator: "\n    "))
                mov r0, #\(op)
                ldr r1, =\(r1)
            .global call
            .thumb_func
            call:
                bkpt #0xAB
                bkpt #0
            .align 2
            block: .space 16
            """
            let elf = try Fixtures.assemble(src, cpu: "cortex-m4", textAddress: 0x2000_0000)
            let message = Fixtures.errorMessage { _ = try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run() }
            // the PC is the BKPT's, named by its symbol
            let normalized = message.replacingOccurrences(of: #"at 0x[0-9a-f]+ <call>"#, with: "at <call>", options: .regularExpression)
            XCTAssertTrue(normalized.hasPrefix("semihosting SYS_") && normalized.contains(expected), "\(op) \(words): \(message)")
        }
    }

    /// A wall-clock limit beyond what Unicorn can represent (microseconds as UInt64) is no limit,
    /// not a trap: the library's own boundary, whatever the caller checked.
    func testHugeTimeoutIsNoLimit() throws {
        let elf = try Fixtures.assemble("start: nop\n mov r0, #0x18\n ldr r1, =0x20026\n bkpt #0xAB", cpu: "cortex-m4", textAddress: 0x2000_0000)
        for t in [1e300, Double.infinity, 1.8e13] {
            let r = try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run(RunOptions(timeoutSeconds: t))
            XCTAssertEqual(r.exitCode, 0, "\(t)")
        }
    }

    func testUndefinedInstruction() throws {
        let elf = try Fixtures.assemble("start: nop\n udf #3", cpu: "cortex-m4", textAddress: 0x2000_0000)
        let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run() }
        XCTAssertEqual(message, "undefined instruction at 0x20000002 <start+0x2>")
    }

    func testEndlessProgramHitsBudget() throws {
        let elf = try Fixtures.assemble("start: b start", cpu: "cortex-m33", textAddress: 0x2000_0000)
        let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m33"), image: try ELFImage(path: elf)).run(RunOptions(maxInstructions: 100_000)) }
        XCTAssertTrue(message.hasPrefix("instruction budget of 100000 exhausted"), message)
    }

    func testUnsupportedSemihostingCallIsNamed() throws {
        let elf = try Fixtures.assemble("start: movs r0, #0x12\n bkpt #0xab", cpu: "cortex-m4", textAddress: 0x2000_0000)
        let message = Fixtures.errorMessage { try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf)).run() }
        XCTAssertEqual(message, "unsupported semihosting call 0x12 (SYS_SYSTEM) at 0x20000002 <start+0x2>")
    }
}
