import ArgumentParser
import Emulator
import Foundation
import Targets

struct BenchEmulatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Emulated MIPS with cycle accounting vs raw Unicorn (no accounting hooks) on the same firmware.")

    @OptionGroup var board: BoardOption
    @Argument(help: "Firmware ELF to run (bench/emulator/dotloop.c built with kernels/harness).") var firmware: String
    @Option(help: "Runs of each kind, interleaved; the best time of each is reported.") var repeats = 5
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        try require(repeats, in: 1 ... 1_000, "--repeats")
    }

    func run() throws {
        try reportingErrors {
            let board = try self.board.catalog().board(named: self.board.target)
            let image = try ELFImage(path: firmware)
            var accounted: RunResult? = nil
            // Best CPU time of the emulating thread (time it waited for a core on a busy machine is not
            // counted), and best wall time for reference.
            var raw = Timing(), floor = Timing(), full = Timing()
            var blocksExecuted: UInt64 = 0
            for i in 0..<repeats {
                // Alternate the kinds so that machine noise hits them alike.
                var rawOptions = RunOptions()
                rawOptions.accounting = false
                let rawRun = try Machine(board: board, image: image).run(rawOptions)
                raw.add(rawRun)
                // Unicorn with one block hook that only counts: the dispatch cost every accounted block pays.
                var floorOptions = rawOptions
                floorOptions.countBlocksOnly = true
                let floorRun = try Machine(board: board, image: image).run(floorOptions)
                floor.add(floorRun)
                blocksExecuted = floorRun.blockExecutions
                let r = try Machine(board: board, image: image).run()
                full.add(r)
                if accounted == nil { accounted = r }
                guard rawRun.stdout == r.stdout else { throw ValidationError("raw and accounted runs printed different output") }
                printError(String(format: "run %d/%d (cpu s): raw %.3f, counting hook %.3f, accounted %.3f", i + 1, repeats,
                                  rawRun.cpuSeconds, floorRun.cpuSeconds, r.cpuSeconds))
            }
            let r = accounted!
            let n = Double(r.instructions)
            let bestAccounted = full.cpu, bestRaw = raw.cpu, bestFloor = floor.cpu
            let mipsAccounted = n / bestAccounted / 1e6, mipsRaw = n / bestRaw / 1e6
            let ratio = mipsAccounted / mipsRaw
            let mipsFloor = n / bestFloor / 1e6
            let wallRatio = raw.wall / full.wall
            if json {
                print(try jsonLine([
                    "target": board.name, "firmware": firmware, "instructions": r.instructions, "cycles": r.cycles,
                    "basic_blocks": r.basicBlocks, "raw_cpu_seconds": bestRaw, "accounted_cpu_seconds": bestAccounted,
                    "mips_raw": mipsRaw, "mips_accounted": mipsAccounted, "ratio": ratio,
                    "raw_wall_seconds": raw.wall, "accounted_wall_seconds": full.wall, "ratio_wall": wallRatio,
                    "counting_hook_cpu_seconds": bestFloor, "mips_counting_hook": mipsFloor, "ratio_counting_hook": mipsFloor / mipsRaw,
                    "blocks_executed": blocksExecuted, "blocks_replayed": r.replayedBlocks,
                    "accounting_ns_per_block": (bestAccounted - bestFloor) / Double(max(1, blocksExecuted)) * 1e9,
                    "hook_dispatch_ns_per_block": (bestFloor - bestRaw) / Double(max(1, blocksExecuted)) * 1e9,
                ]))
            } else {
                print("firmware      \(firmware) on \(board.name) (\(board.core.name))")
                print("instructions  \(r.instructions) in \(r.basicBlocks) basic blocks, \(r.cycles) modelled cycles")
                print("times         best of \(repeats), CPU time of the emulating thread")
                print(String(format: "raw unicorn   %.3f s  %7.1f MIPS (no accounting hooks)", bestRaw, mipsRaw))
                print(String(format: "counting hook %.3f s  %7.1f MIPS (%.2fx raw: one C block hook that only counts — Unicorn's per-block dispatch)", bestFloor, mipsFloor, mipsFloor / mipsRaw))
                print(String(format: "accounted     %.3f s  %7.1f MIPS (cycle model, caches, DWT, semihosting)", bestAccounted, mipsAccounted))
                print(String(format: "per block     %llu blocks run: %.1f ns Unicorn hook dispatch, %.1f ns micronas accounting", blocksExecuted,
                             (bestFloor - bestRaw) / Double(max(1, blocksExecuted)) * 1e9, (bestAccounted - bestFloor) / Double(max(1, blocksExecuted)) * 1e9))
                print(String(format: "memo          %llu block executions (%.1f%%) priced from their memo", r.replayedBlocks,
                             100 * Double(r.replayedBlocks) / Double(max(1, blocksExecuted))))
                print(String(format: "ratio         %.2fx raw (targets: >= 100 MIPS and >= 0.5x raw); wall clock %.2fx", ratio, wallRatio))
            }
        }
    }
}

/// Best CPU and wall time over repeated runs.
private struct Timing {
    var cpu = Double.infinity
    var wall = Double.infinity

    mutating func add(_ r: RunResult) {
        cpu = min(cpu, r.cpuSeconds)
        wall = min(wall, r.wallSeconds)
    }
}
