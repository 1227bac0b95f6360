import ArgumentParser
import Emulator
import Foundation
import Kernels
import Support
import Targets

struct KernelsVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run random operator cases through the Swift reference, the host-compiled C and the emulated C; exit 0 only if every output is bit-identical."
    )

    @OptionGroup var location: TargetsLocation
    @Option(help: "Board or alias, or `all` (every board of the catalog).") var target = "all"
    @Option(help: "Random cases per operator.") var cases = 100
    @Option(help: "Seed of the case generator.") var seed: UInt64 = 1
    @Option(help: "Operators to check (comma-separated TFLite names; default all).") var ops: String?
    @Flag(help: "Print one JSON object instead of tables.") var json = false

    func validate() throws {
        try require(cases, in: 1 ... 1_000_000, "--cases")
        _ = try selectedOperators()
    }

    /// `--ops` as operators, or every operator.
    func selectedOperators() throws -> [KernelCase.Op] {
        try ops.map { list in
            try list.split(separator: ",").map { name in
                guard let op = KernelCase.Op(rawValue: name.trimmingCharacters(in: .whitespaces).uppercased()) else {
                    throw ValidationError("unknown operator \(name); known: \(KernelCase.Op.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return op
            }
        } ?? KernelCase.Op.allCases
    }

    func run() throws {
        try reportingErrors {
            let catalog = try location.catalog()
            let boards = target == "all" ? catalog.boards : [try catalog.board(named: target)]
            let selected = try selectedOperators()
            var g = SplitMix64(seed: seed)
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
