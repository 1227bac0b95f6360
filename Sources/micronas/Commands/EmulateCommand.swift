import ArgumentParser
import Emulator
import Foundation
import Targets

struct EmulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Run an ARM ELF firmware on an emulated board; print its output and modelled cycles.")

    @OptionGroup var board: BoardOption
    @Argument(help: "Firmware: a statically linked ELF32 ARM executable.") var firmware: String
    @Option(help: "Stop with an error after this many instructions.") var maxInstructions: UInt64 = 1_000_000_000
    @Option(help: "Stop with an error after this many wall-clock seconds.") var timeout: Double?
    @Option(help: "File whose bytes the program reads from semihosting stdin.") var stdin: String?
    @Option(help: "Write what the firmware sent through the board's console UART (`console` in the board file) to this file.")
    var console: String?
    @Flag(help: "End stdout with one JSON object describing the run.") var json = false

    func validate() throws {
        try require(maxInstructions, in: 1 ... .max, "--max-instructions")
        if let t = timeout, !(t > 0 && t <= 1e9) { throw ValidationError("--timeout must be a positive number of seconds, at most 1e9") }
    }

    func run() throws {
        try reportingErrors {
            let board = try self.board.catalog().board(named: self.board.target)
            let image = try ELFImage(path: firmware)
            let input = try stdin.map { [UInt8](try readFile($0, option: "--stdin")) } ?? []
            let machine = try Machine(board: board, image: image)
            let result = try machine.run(RunOptions(maxInstructions: maxInstructions, timeoutSeconds: timeout, stdin: input,
                                                    commandLine: (firmware as NSString).lastPathComponent))
            FileHandle.standardOutput.write(Data(result.stdout))
            FileHandle.standardError.write(Data(result.stderr))
            if let path = console {
                do { try Data(result.console).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                    throw ValidationError("--console \(path): cannot write: \(error.localizedDescription)")
                }
            }
            if json {
                let object: [String: Any] = [
                    "target": result.board, "core": result.core, "clock_hz": result.clockHz,
                    "exit_code": Int(result.exitCode), "stop": result.stop.description,
                    "instructions": result.instructions, "cycles": result.cycles, "seconds": result.seconds,
                    "events": result.events.named, "stdout": result.stdoutText, "console": result.consoleText,
                    "counter_reads": result.counterReads.map { ["pc": $0.pc, "value": $0.value] },
                    "basic_blocks": result.basicBlocks, "unpriced_load_sites": result.unpricedLoadSites,
                    "wall_seconds": result.wallSeconds, "cpu_seconds": result.cpuSeconds, "replayed_blocks": result.replayedBlocks,
                    "mips": Double(result.instructions) / max(result.wallSeconds, 1e-9) / 1e6,
                ]
                if !result.stdout.isEmpty && result.stdout.last != 0x0A { print("") }
                print(try jsonLine(object))
            } else {
                printError(String(format: "%@: %@ on %@ (%@, %.0f MHz): %llu instructions, %llu cycles, %.6f s",
                                  firmware, result.stop.description, result.board, result.core, result.clockHz / 1e6,
                                  result.instructions, result.cycles, result.seconds))
                if let uart = board.console, !result.console.isEmpty, console == nil {
                    printError("\(uart.name) console: \(result.console.count) bytes (--console FILE keeps them)")
                }
            }
            if result.exitCode != 0 { throw ExitCode(result.exitCode) }
        }
    }
}
