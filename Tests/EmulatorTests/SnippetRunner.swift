import Emulator
import Targets
import TestSupport
import XCTest

/// Runs a hand-written Thumb-2 snippet between the labels `region_begin` and `region_end` and returns
/// the modelled cycles of that region (probe at region_end minus first probe at region_begin).
///
/// Layout: `start:` setup, a `nop` (so the setup's last instruction cannot pipeline with or stall the
/// region's first), the region, then `region_end: bkpt #0` and `far: bkpt #1` as a branch target.
func regionCycles(_ board: Board, setup: String = "", body: String, at address: UInt64 = 0x2000_0000,
                  file: StaticString = #filePath, line: UInt = #line) throws -> Double {
    let cpu = board.compilerFlags.first { $0.hasPrefix("-mcpu=") }!.dropFirst(6)
    let source = """
    start:
    \(setup)
        nop
    .global region_begin
    region_begin:
    \(body)
    .global region_end
    region_end:
        bkpt #0
    far:
        bkpt #1
    """
    let elf = try Fixtures.assemble(source, cpu: String(cpu), textAddress: address)
    let image = try ELFImage(path: elf)
    let a = try XCTUnwrap(image.symbol(named: "region_begin")).address
    let b = try XCTUnwrap(image.symbol(named: "region_end")).address
    let result = try Machine(board: board, image: image).run(RunOptions(maxInstructions: 1_000_000, probes: [a, b]))
    XCTAssertEqual(result.stop, .breakpoint(0), "snippet must end at region_end", file: file, line: line)
    let begin = try XCTUnwrap(result.probeCycles[a]?.first, file: file, line: line)
    let end = try XCTUnwrap(result.probeCycles[b]?.first, file: file, line: line)
    return end - begin
}

/// A base-pointer set-up: r4 = sp - 64 (readable SRAM), [r4] = r4, r1/r2 small operands.
let dataSetup = """
    sub sp, sp, #64
    mov r4, sp
    str r4, [r4]
    movs r1, #3
    movs r2, #5
"""
