import Emulator
import Targets
import TestSupport
import XCTest

/// Data reads from flash are priced without memory hooks: each load's address is derived from the
/// registers at block entry, or evaluated by a code hook on the load (see DataAccess.swift). These
/// snippets count, by hand, the words each one reads from a 16-byte-aligned flash table and the
/// 128-bit lines it touches, on the STM32F446 whose ART data cache (8 lines of 128 bits, RM0390
/// §3.4.2) is cold at the start, so misses = distinct lines touched.
final class DataReadTests: XCTestCase {
    private func flashReads(_ body: String, file: StaticString = #filePath, line: UInt = #line) throws -> (reads: Double, misses: Double) {
        let board = try Fixtures.board("nucleo-f446re")
        let source = """
        start:
            movw r0, #:lower16:table
            movt r0, #:upper16:table
        \(body)
            bkpt #0
            .balign 16
        table:
            .rept 32
            .word 0x01020304
            .endr
        """
        let elf = try Fixtures.assemble(source, cpu: "cortex-m4", textAddress: 0x0800_0000)
        let result = try Machine(board: board, image: try ELFImage(path: elf)).run(RunOptions(maxInstructions: 100_000))
        XCTAssertEqual(result.stop, .breakpoint(0), file: file, line: line)
        return (result.events[.flashDataReads], result.events[.flashDataMisses])
    }

    func testPostIncrementLoopIsPricedAtBlockEntry() throws {
        // 16 word loads walking 64 bytes: 16 reads, 4 lines.
        let r = try flashReads("""
            movs r2, #16
        1:  ldr r1, [r0], #4
            subs r2, #1
            bne 1b
        """)
        XCTAssertEqual(r.reads, 16)
        XCTAssertEqual(r.misses, 4)
    }

    func testIndexedAndComputedAddresses() throws {
        // Byte loads at r0 + 4·i (register offset with shift) for i = 0..7, then through ADD with LSL:
        // 8 + 8 reads over 32 bytes = 2 lines.
        let r = try flashReads("""
            movs r2, #0
        1:  ldrb r1, [r0, r2, lsl #2]
            add r3, r0, r2, lsl #2
            ldrh r1, [r3, #2]
            adds r2, #1
            cmp r2, #8
            bne 1b
        """)
        XCTAssertEqual(r.reads, 16)
        XCTAssertEqual(r.misses, 2)
    }

    func testLoadMultipleAndDouble() throws {
        // LDM of 4 words (one line), LDRD of 2 words from the next line: 6 reads, 2 lines.
        let r = try flashReads("""
            ldm r0, {r1, r2, r3, r4}
            ldrd r1, r2, [r0, #16]
        """)
        XCTAssertEqual(r.reads, 6)
        XCTAssertEqual(r.misses, 2)
    }

    func testConditionalLoadCountsOnlyWhenExecuted() throws {
        // Loads inside IT blocks get code hooks that test the condition. Two passes; the first runs
        // before the hooks exist (unpriced, see below). In the second the EQ load executes and the NE
        // load does not: 1 read.
        let r = try flashReads("""
            movs r2, #2
        1:  cmp r0, r0
            it ne
            ldrne r1, [r0]
            it eq
            ldreq r1, [r0, #32]
            subs r2, #1
            bne 1b
        """)
        XCTAssertEqual(r.reads, 1)
        XCTAssertEqual(r.misses, 1)
    }

    func testPointerLoadedFromMemoryUsesACodeHook() throws {
        // The table address round-trips through the stack, so the load's address is only known at
        // the instruction. The code hook is installed when the block is first decoded, after Unicorn
        // translated it: the first of the 4 executions (r2 = 4, line 3) goes unpriced (documented),
        // the next 3 read one word each from lines 2, 1 and 0.
        let r = try flashReads("""
            sub sp, #8
            str r0, [sp]
            movs r2, #4
        1:  ldr r3, [sp]
            add r3, r3, r2, lsl #4
            ldr r1, [r3, #-16]
            subs r2, #1
            bne 1b
        """)
        XCTAssertEqual(r.reads, 3)
        XCTAssertEqual(r.misses, 3)
    }

    func testStackAndSRAMLoadsAreNotFlashReads() throws {
        let r = try flashReads("""
            sub sp, #16
            str r0, [sp, #4]
            movs r2, #64
        1:  ldr r1, [sp, #4]
            subs r2, #1
            bne 1b
        """)
        XCTAssertEqual(r.reads, 0)
        XCTAssertEqual(r.misses, 0)
    }

    /// The load address analysis against a second executor: Unicorn memory-read hooks, which see
    /// every access. A compiled int8 convolution (weights const in flash, activations in SRAM) on
    /// every board: reads, misses and cycles agree to within the loads left unpriced on the first
    /// execution of blocks that needed a code hook.
    func testAnalysisAgreesWithMemoryHooksOnCompiledCode() throws {
        let source = try String(contentsOf: Fixtures.root.appendingPathComponent("bench/emulator/dotloop.c"), encoding: .utf8)
        for name in ["nucleo-f446re", "nucleo-l552ze-q", "portenta-h7"] {
            let board = try Fixtures.board(name)
            let elf = try Fixtures.buildWithHarness(source, board: name, optimization: "-O2", defines: ["REPEAT=2"])
            var reference = RunOptions(maxInstructions: 50_000_000)
            reference.dataReadsByMemoryHooks = true
            let hooked = try Machine(board: board, image: try ELFImage(path: elf)).run(reference)
            let analysed = try Machine(board: board, image: try ELFImage(path: elf)).run(RunOptions(maxInstructions: 50_000_000))
            XCTAssertEqual(analysed.stdout, hooked.stdout, name)
            XCTAssertEqual(analysed.instructions, hooked.instructions, name)
            let reads = hooked.events[.flashDataReads]
            XCTAssertGreaterThan(reads, 100_000, "\(name): the workload reads its weights from flash")
            XCTAssertEqual(analysed.events[.flashDataReads], reads, accuracy: 16, name)
            XCTAssertEqual(analysed.events[.flashDataMisses], hooked.events[.flashDataMisses], accuracy: 8, name)
            XCTAssertEqual(analysed.events[.sramDataMisses], hooked.events[.sramDataMisses], accuracy: 8, name)
            XCTAssertEqual(Double(analysed.cycles), Double(hooked.cycles), accuracy: Double(hooked.cycles) * 1e-5, name)
        }
    }

    /// The block memo, its countdown and the address induction (DataAccess.swift, HotState.swift)
    /// against the same emulator pricing every block execution in full: every event counter and every
    /// DWT->CYCCNT value the program reads must be identical. Loops with positive and negative steps,
    /// byte/word/doubleword and multiple loads, strides that cross cache lines at different rates,
    /// flash and SRAM data (cacheable on the H7), a pointer chase (code-hooked loads), at -O1/-O2/-O3.
    func testPricingShortcutsChangeNoEvent() throws {
        let source = """
        #include <stdint.h>
        #include <stdio.h>
        #include <string.h>
        #define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
        #define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
        #define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
        static const int8_t w8[1024] = {1, -2, 3, -4, 5, 6, -7, 8};
        static const int32_t w32[512] = {7, 9, -11, 13};
        static const int64_t w64[128] = {3, -5};
        static int8_t a8[2048];
        static int32_t a32[512];
        static uint32_t next[256];
        int main(void) {
            DEMCR |= 1u << 24;
            DWT_CYCCNT = 0;
            DWT_CTRL |= 1u;
            for (int i = 0; i < 2048; i++) a8[i] = (int8_t)(i * 29 + 3);
            for (int i = 0; i < 512; i++) a32[i] = i * 7 - 100;
            for (int i = 0; i < 256; i++) next[i] = (uint32_t)((i * 97 + 13) & 255);
            uint32_t t0 = DWT_CYCCNT;
            int32_t acc = 0;
            for (int r = 0; r < 6; r++) {
                for (int o = 0; o < 24; o++)                      /* forward bytes, flash x SRAM */
                    for (int i = 0; i < 40; i++) acc += w8[o * 40 + i] * a8[(o * 37 + i) & 2047];
                for (int i = 511; i >= 0; i--) acc += w32[i] ^ a32[i];     /* backward words */
                for (int i = 0; i < 128; i += 3) acc += (int32_t)(w64[i] >> 3); /* doublewords, stride 24 */
                for (int i = 0; i < 1024; i += 36) acc += w8[i] + a8[2047 - i]; /* line-crossing stride */
                uint32_t k = (uint32_t)r;                         /* pointer chase */
                for (int i = 0; i < 200; i++) { k = next[k]; acc += w8[k * 4]; }
                int32_t tmp[16];
                memcpy(tmp, &w32[(r * 16) & 511], sizeof tmp);     /* load multiple */
                for (int i = 0; i < 16; i++) acc += tmp[i];
                printf("%lu\\n", (unsigned long)(DWT_CYCCNT - t0));
            }
            printf("acc %ld\\n", (long)acc);
            return 0;
        }
        """
        for name in ["nucleo-f446re", "nucleo-l552ze-q", "portenta-h7"] {
            let board = try Fixtures.board(name)
            for flags in ["-O1", "-O2", "-O3"] {
                let elf = try Fixtures.buildWithHarness(source, board: name, optimization: flags)
                var full = RunOptions(maxInstructions: 50_000_000)
                full.pricingShortcuts = false
                let reference = try Machine(board: board, image: try ELFImage(path: elf)).runToSuccess(full)
                let fast = try Machine(board: board, image: try ELFImage(path: elf)).runToSuccess(RunOptions(maxInstructions: 50_000_000))
                let label = "\(name) \(flags)"
                XCTAssertEqual(reference.replayedBlocks, 0, label)
                XCTAssertGreaterThan(fast.replayedBlocks, fast.blockExecutions / 10, "\(label): the short cuts are exercised")
                XCTAssertGreaterThan(reference.events[.flashDataReads], 10_000, label)
                XCTAssertEqual(fast.stdoutText, reference.stdoutText, "\(label): every DWT->CYCCNT value read")
                for event in Event.allCases {
                    XCTAssertEqual(fast.events[event], reference.events[event], "\(label): \(event)")
                }
                XCTAssertEqual(fast.cycles, reference.cycles, label)
                XCTAssertEqual(fast.accumulatedCycles, reference.accumulatedCycles, accuracy: reference.accumulatedCycles * 1e-12, label)
                // The countdown stops short of the instruction budget: the run stops at the same place.
                let budget = reference.instructions / 2 + 1
                var shortFull = full
                shortFull.maxInstructions = budget
                let stopped = Fixtures.errorMessage { try Machine(board: board, image: try ELFImage(path: elf)).run(shortFull) }
                XCTAssertTrue(stopped.hasPrefix("instruction budget of \(budget) exhausted"), "\(label): \(stopped)")
                XCTAssertEqual(Fixtures.errorMessage { try Machine(board: board, image: try ELFImage(path: elf)).run(RunOptions(maxInstructions: budget)) },
                               stopped, label)
            }
        }
    }

    /// A loop body's memo may be recorded on entry only when the entry fetches its lines as a re-entry
    /// does (HotState.priceInFull). Here the loop is entered by falling through a not-taken branch in
    /// its own first fetch line, so the entry skips that line and a re-entry does not; with no
    /// instruction cache (an F446 with its ART instruction cache taken out) every fetched line is a
    /// priced miss, so a memo taken at the entry would under-price each re-entry by a branch miss.
    func testLoopEntryMemoNeedsTheReentryFetch() throws {
        let source = """
        #include <stdio.h>
        static int run(int n) {
            int acc;
            __asm__ volatile(
                "  movs %0, #0\\n"
                "  .balign 16\\n"
                "  cmp %1, #0\\n"
                "  beq 2f\\n"
                "1: adds %0, %0, #3\\n"
                "  nop\\n  nop\\n  nop\\n  nop\\n  nop\\n  nop\\n"
                "  subs %1, %1, #1\\n"
                "  bne 1b\\n"
                "2:\\n"
                : "=&r"(acc), "+r"(n) : : "cc");
            return acc;
        }
        int main(void) {
            int total = 0;
            for (int r = 0; r < 50; r++) total += run(20 + (r & 3));
            printf("total %d\\n", total);
            return 0;
        }
        """
        var board = try Fixtures.board("nucleo-f446re")
        board.caches.removeAll { $0.role == .instruction }
        let reference = try assertShortcutsExact(source, on: board, stdout: "total 3219\n", replays: 500)
        XCTAssertGreaterThan(reference.events[.fetchBranchMisses], 1000)
    }

    /// Runs `source` (built for the F446) on `board` with and without the pricing short cuts: same
    /// output, every event and the cycles identical, and more than `replays` memo replays. Returns the
    /// reference run.
    @discardableResult
    private func assertShortcutsExact(_ source: String, on board: Board, stdout: String, replays: UInt64,
                                      file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let elf = try Fixtures.buildWithHarness(source, board: "nucleo-f446re")
        var full = RunOptions(maxInstructions: 5_000_000)
        full.pricingShortcuts = false
        let reference = try Machine(board: board, image: try ELFImage(path: elf)).runToSuccess(full)
        let fast = try Machine(board: board, image: try ELFImage(path: elf)).runToSuccess(RunOptions(maxInstructions: 5_000_000))
        XCTAssertEqual(reference.stdoutText, stdout, file: file, line: line)
        XCTAssertEqual(fast.stdoutText, reference.stdoutText, file: file, line: line)
        XCTAssertGreaterThan(fast.replayedBlocks, replays, "the loop replays its memo", file: file, line: line)
        for event in Event.allCases {
            XCTAssertEqual(fast.events[event], reference.events[event], "\(event)", file: file, line: line)
        }
        XCTAssertEqual(fast.cycles, reference.cycles, file: file, line: line)
        return reference
    }

    /// A loop body's memo is replayed at a loop entry only if every line the entry would look up is
    /// the most recent of its set (`HotState.lookupsChangeNothing`). Here the loop spans fetch lines
    /// X and X+1 of a 2-line direct-mapped fetch cache; between runs a block in line X+2 evicts X, and
    /// the entry (from a block in X+1, the loop's own last line) must miss on X again.
    func testLoopEntryReplayNeedsEveryLookedUpLineMostRecent() throws {
        let source = """
        #include <stdio.h>
        static int run(int outer) {
            int acc = 0, n = 0;
            __asm__ volatile(
                "  b 2f\\n"
                "  .balign 32\\n"
                "1: adds %0, %0, #3\\n"
                "  nop\\n  nop\\n  nop\\n  nop\\n  nop\\n  nop\\n"
                "  subs %1, %1, #1\\n"
                "  bne 1b\\n"
                "  b 3f\\n"
                "2: movs %1, #5\\n"
                "  b 1b\\n"
                "  .balign 32\\n"
                "3: subs %2, %2, #1\\n"
                "  bne 2b\\n"
                : "+r"(acc), "+r"(n), "+r"(outer) : : "cc");
            return acc;
        }
        int main(void) {
            printf("acc %d\\n", run(40));
            return 0;
        }
        """
        var board = try Fixtures.board("nucleo-f446re")
        let i = try XCTUnwrap(board.caches.firstIndex { $0.role == .instruction })
        board.caches[i].lines = 2
        board.caches[i].ways = 1
        try assertShortcutsExact(source, on: board, stdout: "acc 600\n", replays: 100)
    }
}
