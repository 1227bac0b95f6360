import ArgumentParser
import Emulator
import Foundation
import Kernels
import Support
import Targets

struct KernelsBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Cycles of every kernel on the documented search-space shape set, on an emulated board (warm caches, DWT-timed).",
        discussion: "The shape set is listed in kernels/README.md. Every output is also checked against the Swift reference; a mismatch exits 1."
    )

    @OptionGroup var board: BoardOption
    @Option(help: "Only entries whose name contains this text (case-insensitive).") var filter: String?
    @Option(help: "Optimization level of the kernels (O2 measured fastest overall; see kernels/README.md).") var optimization: OptimizationLevel = .O2
    @Flag(help: "Print a JSON list of {name, group, op, params, macs, cycles, cycles_per_mac, ms, bit_exact}.") var json = false

    func run() throws {
        try reportingErrors {
            let (board, _, resolvedToolchain) = try self.board.resolve()
            var entries = try KernelBench.standardSet()
            if let f = filter?.lowercased() { entries = entries.filter { $0.name.lowercased().contains(f) } }
            guard !entries.isEmpty else { throw ValidationError("--filter \(filter ?? "") matches no benchmark entry") }
            printError("building the kernel harness for \(board.name)…")
            var toolchain = resolvedToolchain
            toolchain.optimization = optimization.flag
            let executor = try KernelVerifier.emulatedExecutor(toolchain, board: board) { r in
                printError(String(format: "%@: %.0f M instructions emulated in %.1f s", board.name, Double(r.instructions) / 1e6, r.wallSeconds))
            }
            let results = try KernelBench.run(entries, on: executor)
            let ms = { (cycles: UInt32) in Double(cycles) / board.clockHz.value * 1000 }
            if json {
                let list: [[String: Any]] = results.map { r in
                    var o: [String: Any] = ["name": r.entry.name, "group": r.entry.group, "op": r.entry.call.op.rawValue,
                                            "params": r.entry.call.parameters, "macs": r.macs, "cycles": Int(r.cycles),
                                            "ms": ms(r.cycles), "bit_exact": r.bitExact, "target": board.name]
                    o["cycles_per_mac"] = r.cyclesPerMAC ?? NSNull()
                    return o
                }
                print(try jsonLine(list))
            } else {
                print("\(board.name) (\(board.core.name), \(Int(board.clockHz.value / 1e6)) MHz), warm caches")
                print("name".padding(toLength: 30, withPad: " ", startingAt: 0) + "        MACs      cycles  cyc/MAC        ms  exact")
                for r in results {
                    let cpm = r.cyclesPerMAC.map { String(format: "%7.3f", $0) } ?? "      -"
                    print(r.entry.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                          + String(format: "%12d %11u  %@ %9.4f  %@", r.macs, r.cycles, cpm, ms(r.cycles), r.bitExact ? "yes" : "NO"))
                }
                for (name, v) in KernelBench.shapeClasses(results) {
                    print(String(format: "%@: %d, min %.3f, median %.3f, max %.3f", name, v.count, v.first!, v[v.count / 2], v.last!))
                }
            }
            if results.contains(where: { !$0.bitExact }) {
                printError("error: some outputs differ from the Swift reference")
                throw ExitCode(1)
            }
        }
    }
}
