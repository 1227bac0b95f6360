import Emulator
import Foundation
import Kernels
import Targets
import TestSupport
import XCTest

/// The board registers a board file's `clock_setup` and `console` touch, modelled by the emulator:
/// the generated set-up completes (every wait is satisfied), registers keep what was written,
/// bytes written to the console's data register are the run's console output, and the rest of the
/// peripheral region stays plain memory.
final class BoardRegisterTests: XCTestCase {
    static let program = """
    #include <stdint.h>
    #include <stdio.h>
    #include "mn_board.h"
    #define REG(a) (*(volatile uint32_t *)(a))
    int main(void) {
        const int clock = mn_board_clock(), console = mn_board_console();
        mn_console_write("hello, board\\n", 13);
        *(volatile uint8_t *)0x40023805u = 0x5A;           /* a byte store into RCC_PLLCFGR (modelled) */
        REG(0x40010000u) = 0x12345678u;                     /* an unmodelled peripheral page: memory */
        printf("clock %d console %d pllcfgr %08lx cr %08lx other %08lx\\n", clock, console,
               (unsigned long)REG(0x40023804u), (unsigned long)REG(0x40023800u), (unsigned long)REG(0x40010000u));
        return 0;
    }
    """

    func testF446ClockSetupAndConsoleRunOnTheEmulator() throws {
        let board = try Fixtures.board("nucleo-f446re")
        let dir = try Fixtures.temporaryDirectory()
        let src = dir.appendingPathComponent("program.c")
        try Self.program.write(to: src, atomically: true, encoding: .utf8)
        let toolchain = KernelToolchain(root: Fixtures.root)
        let elf = try toolchain.firmware(name: "board-registers", sources: [src, try toolchain.boardSetupSource(board: board)],
                                         includes: [], headers: [toolchain.harnessDirectory.appendingPathComponent("mn_board.h")], board: board)
        let r = try Machine(board: board, image: try ELFImage(path: elf.path)).run()
        XCTAssertEqual(r.exitCode, 0, r.stdoutText)
        // PLLCFGR: the written 0x28002D08 with byte 1 replaced; CR: PLLON written, PLLRDY forced by the model.
        XCTAssertEqual(r.stdoutText, "clock -1 console -1 pllcfgr 28005a08 cr 03000000 other 12345678\n")
        XCTAssertEqual(r.consoleText, "hello, board\n")

        // Without the board file's steps the same source links against stubs and prints nothing to the console.
        var bare = board
        bare.clockSetup = nil
        bare.console = nil
        let bareELF = try toolchain.firmware(name: "board-registers", sources: [src, try toolchain.boardSetupSource(board: bare)],
                                             includes: [], headers: [toolchain.harnessDirectory.appendingPathComponent("mn_board.h")], board: bare)
        let bareRun = try Machine(board: bare, image: try ELFImage(path: bareELF.path)).run()
        XCTAssertTrue(bareRun.stdoutText.hasPrefix("clock -2 console -2 pllcfgr 00005a00"), bareRun.stdoutText)
        XCTAssertEqual(bareRun.console, [])
    }
}
