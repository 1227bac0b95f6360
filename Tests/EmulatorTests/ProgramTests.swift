import Emulator
import Targets
import TestSupport
import XCTest

/// Whole C programs built with the harness (newlib rdimon semihosting) on every board.
final class ProgramTests: XCTestCase {
    static let dwtProgram = """
    #include <stdint.h>
    #include <stdio.h>
    #include "dwt.h"
    volatile int32_t sink;
    volatile int count = 1000;
    int main(void) {
        int n = count;
        micronas_cycles_start();
        uint32_t t0 = micronas_cycles();
        int32_t acc = 0;
        for (int i = 0; i < n; i++) acc += i * i;
        uint32_t t1 = micronas_cycles();
        sink = acc;
        printf("delta=%lu\\n", (unsigned long)(t1 - t0));
        return 0;
    }
    """

    /// The delta the program prints from DWT->CYCCNT equals the emulator's own count for the region,
    /// measured independently by code probes (exact PC) at the two instructions that read CYCCNT.
    func testCycleCounterDeltaMatchesEmulatorCount() throws {
        for name in ["nucleo-f446re", "nucleo-l552ze-q", "portenta-h7"] {
            let board = try Fixtures.board(name)
            let elf = try Fixtures.buildWithHarness(Self.dwtProgram, board: name)
            let image = try ELFImage(path: elf)
            let first = try Machine(board: board, image: image).run()
            XCTAssertEqual(first.exitCode, 0)
            let printed = try XCTUnwrap(first.stdoutText.split(separator: "=").last.flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            XCTAssertEqual(first.counterReads.count, 2, name)
            let (a, b) = (first.counterReads[0].pc, first.counterReads[1].pc)
            XCTAssertNotEqual(a, b)
            let probed = try Machine(board: board, image: image).run(RunOptions(probes: [a, b]))
            let regionCycles = try XCTUnwrap(probed.probeCycles[b]?.first) - XCTUnwrap(probed.probeCycles[a]?.first)
            // Integer cost tables give exact equality; the M7's half-cycle costs allow the two
            // truncated CYCCNT reads to differ from the probed difference by less than one cycle.
            let fractional = board.costVector.values.contains { $0 != $0.rounded() }
            XCTAssertEqual(Double(printed), regionCycles, accuracy: fractional ? 0.999 : 0, "\(name): printed \(printed), emulator \(regionCycles)")
            // 1000 iterations of a loop with at least a multiply-add, compare and taken branch.
            XCTAssertGreaterThan(printed, 2500, name)
            // The running total kept block by block equals events · costs.
            XCTAssertEqual(probed.accumulatedCycles, probed.events.dot(board.costVector), accuracy: 1e-6 * probed.accumulatedCycles)
            XCTAssertEqual(probed.stdoutText, first.stdoutText)
        }
    }

    func testPrintfStdinAndExitCodeThroughSemihosting() throws {
        let program = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        int main(void) {
            char line[64] = {0};
            if (!fgets(line, sizeof line, stdin)) return 3;
            line[strcspn(line, "\\n")] = 0;
            printf("hello %s %.2f\\n", line, 1.5 * 3);
            fprintf(stderr, "to stderr\\n");
            exit(strlen(line));
        }
        """
        let elf = try Fixtures.buildWithHarness(program, board: "nucleo-l552ze-q")
        let r = try Machine(board: try Fixtures.board("cortex-m33"), image: try ELFImage(path: elf))
            .run(RunOptions(stdin: Array("board\n".utf8)))
        XCTAssertEqual(r.stdoutText, "hello board 4.50\n")
        XCTAssertEqual(String(decoding: r.stderr, as: UTF8.self), "to stderr\n")
        XCTAssertEqual(r.stop, .exited(5))
        XCTAssertEqual(r.exitCode, 5)
    }

    func testPlainRdimonProgramWithDefaultLinkerScriptStopsAtItsFirstWriteIntoFlash() throws {
        // No harness: newlib's own crt0 and default linker script (text at 0x8000, in the STM32F4 boot
        // alias of flash at 0x0) — which also puts .data and .bss there, in flash. On the board crt0's
        // writes into .bss are ignored (the flash is locked), so the program cannot work there; the
        // emulator stops at the first of them instead of letting it run.
        let dir = try Fixtures.temporaryDirectory()
        let src = dir.appendingPathComponent("p.c"), elf = dir.appendingPathComponent("p.elf")
        try "#include <stdio.h>\nint main(void){ printf(\"plain %d\\n\", 42); return 0; }\n".write(to: src, atomically: true, encoding: .utf8)
        try Fixtures.run("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb", "--specs=rdimon.specs", "-O2", src.path, "-o", elf.path])
        let message = Fixtures.errorMessage { _ = try Machine(board: try Fixtures.board("cortex-m4"), image: try ELFImage(path: elf.path)).run() }
        // (crt0's first write there is the SYS_HEAPINFO block the debugger would write into flash)
        XCTAssertEqual(message.replacingOccurrences(of: #"0x[0-9a-f]+ <_start\+0x[0-9a-f]+>"#, with: "PC", options: .regularExpression)
                           .replacingOccurrences(of: #"bytes at 0x[0-9a-f]+"#, with: "bytes at A", options: .regularExpression),
                       "semihosting SYS_HEAPINFO at PC: its block (16 bytes at A) is not inside the board's RAM")
    }

    /// The benchmark's floor run (a C hook that only counts blocks, no accounting) sees exactly the
    /// blocks the accounted run priced, and the same program output.
    func testCountingHookSeesTheAccountedBlocks() throws {
        let program = """
        #include <stdio.h>
        int main(void) {
            unsigned s = 0;
            for (unsigned i = 0; i < 5000; i++) s += (i * 2654435761u) >> (i & 7);
            printf("%u\\n", s);
            return 0;
        }
        """
        let elf = try ELFImage(path: try Fixtures.buildWithHarness(program, board: "nucleo-f446re"))
        let board = try Fixtures.board("cortex-m4")
        let accounted = try Machine(board: board, image: elf).run()
        var options = RunOptions()
        options.accounting = false
        options.countBlocksOnly = true
        let counted = try Machine(board: board, image: elf).run(options)
        XCTAssertEqual(counted.stdoutText, accounted.stdoutText)
        XCTAssertGreaterThan(accounted.blockExecutions, 5000)
        XCTAssertEqual(counted.blockExecutions, accounted.blockExecutions)
    }
}
