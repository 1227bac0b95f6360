import ArgumentParser
import Emulator
import Foundation
import Kernels
import Targets

struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Build and check the int8 C kernels.",
        subcommands: [KernelsVerifyCommand.self, KernelsBenchCommand.self]
    )
}

struct KernelsVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run random operator cases through the Swift reference, the host-compiled C and the emulated C; exit 0 only if every output is bit-identical."
    )

    @OptionGroup var location: TargetsLocation
    @Option(help: "Board or alias, or `all`.") var target = "all"
    @Option(help: "Random cases per operator.") var cases = 100
    @Option(help: "Seed of the case generator.") var seed: UInt64 = 1
    @Option(help: "Operators to check (comma-separated TFLite names; default all).") var ops: String?
    @Flag(help: "Print one JSON object instead of tables.") var json = false

    func validate() throws {
        guard cases > 0 else { throw ValidationError("--cases must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let catalog = try location.catalog()
            let boards = target == "all" ? catalog.boards : [try catalog.board(named: target)]
            let selected: [KernelCase.Op] = try ops.map { list in
                try list.split(separator: ",").map { name in
                    guard let op = KernelCase.Op(rawValue: name.trimmingCharacters(in: .whitespaces).uppercased()) else {
                        throw ValidationError("unknown operator \(name); known: \(KernelCase.Op.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return op
                }
            } ?? KernelCase.Op.allCases
            var g = SeededGenerator(seed: seed)
            let all = try selected.flatMap { op in try (0..<cases).map { _ in try KernelCase.random(op, using: &g) } }
            let toolchain = KernelToolchain(catalog: catalog)
            printError("building the verification program for the host and \(boards.count) board(s)…")
            var executors = [try KernelVerifier.hostExecutor(toolchain)]
            let count = all.count
            for board in boards {
                executors.append(try KernelVerifier.emulatedExecutor(toolchain, board: board) { r in
                    printError(String(format: "%@: %d cases, %.0f M instructions, %.1f s", board.name, count,
                                      Double(r.instructions) / 1e6, r.wallSeconds))
                })
            }
            let report = try KernelVerifier.verify(all, executors: executors)
            if json {
                let summaries: [[String: Any]] = report.summaries.map {
                    ["op": $0.op.rawValue, "cases": $0.cases, "outputs": $0.outputs, "identical": $0.identical]
                }
                print(try jsonLine(["seed": seed, "passed": report.passed, "ops": summaries,
                                    "executors": executors.map(\.name), "mismatches": report.mismatches.map(\.description)]))
            } else {
                let names = executors.map(\.name)
                print("op".padding(toLength: 20, withPad: " ", startingAt: 0) + "cases  outputs  " + names.map { $0.padding(toLength: 17, withPad: " ", startingAt: 0) }.joined())
                for s in report.summaries {
                    var line = s.op.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
                    line += String(format: "%5d  %7d  ", s.cases, s.outputs)
                    line += names.map { "\(s.identical[$0] ?? 0)/\(s.cases)".padding(toLength: 17, withPad: " ", startingAt: 0) }.joined()
                    print(line)
                }
                for m in report.mismatches.prefix(20) { print("mismatch: \(m)") }
                print(report.passed ? "all outputs bit-identical to the Swift reference (seed \(seed))"
                                    : "\(report.mismatches.count) case(s) differ from the Swift reference (seed \(seed))")
            }
            if !report.passed { throw ExitCode(1) }
        }
    }
}

struct KernelsBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Cycles of every kernel on the documented search-space shape set, on an emulated board (warm caches, DWT-timed).",
        discussion: "The shape set is listed in kernels/README.md. Every output is also checked against the Swift reference; a mismatch exits 1."
    )

    @OptionGroup var location: TargetsLocation
    @Option(help: "Board or alias (e.g. cortex-m4, cortex-m33).") var target: String
    @Option(help: "Only entries whose name contains this text (case-insensitive).") var filter: String?
    @Option(help: "Optimization flag for the kernels (-O2 measured fastest overall; see kernels/README.md).") var optimization = "-O2"
    @Flag(help: "Print a JSON list of {name, group, op, params, macs, cycles, cycles_per_mac, ms, bit_exact}.") var json = false

    func run() throws {
        try reportingErrors {
            guard ["-O0", "-O1", "-O2", "-O3", "-Os", "-Ofast"].contains(optimization) else {
                throw ValidationError("--optimization must be one of -O0 -O1 -O2 -O3 -Os -Ofast")
            }
            let catalog = try location.catalog()
            let board = try catalog.board(named: target)
            var entries = try KernelBench.standardSet()
            if let f = filter?.lowercased() { entries = entries.filter { $0.name.lowercased().contains(f) } }
            guard !entries.isEmpty else { throw ValidationError("--filter \(filter ?? "") matches no benchmark entry") }
            printError("building the kernel harness for \(board.name)…")
            var toolchain = KernelToolchain(catalog: catalog)
            toolchain.optimization = optimization
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
                let wide = results.compactMap { r -> Double? in
                    guard case .conv(let c) = r.entry.call, c.inputShape.c >= 16 else { return nil }
                    return r.cyclesPerMAC
                }.sorted()
                if !wide.isEmpty {
                    print(String(format: "convs with >= 16 input channels: %d, cycles/MAC min %.3f, median %.3f, max %.3f",
                                 wide.count, wide.first!, wide[wide.count / 2], wide.last!))
                }
            }
            if results.contains(where: { !$0.bitExact }) {
                printError("error: some outputs differ from the Swift reference")
                throw ExitCode(1)
            }
        }
    }
}
