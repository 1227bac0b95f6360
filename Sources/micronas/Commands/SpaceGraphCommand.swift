import ArgumentParser
import Foundation
import Graph
import SearchSpace
import Support

/// An architecture — a bare Architecture JSON or a search run's `architecture.json` (its delivered
/// architecture) — lowered to the Graph JSON `micronas train` takes, so that a searched
/// architecture can be retrained with other settings.
struct SpaceGraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Lower an architecture (Architecture JSON, or a search run's architecture.json: its delivered architecture) to Graph JSON for `micronas train`."
    )
    @OptionGroup var options: SpaceOptions
    @Option(help: "Architecture JSON, or a search run's architecture.json.") var architecture: String
    @Option(help: "Write the Graph JSON here.") var graphOut: String
    @Flag(help: "Leave out the dropout (0.3) between cells.") var noDropout = false

    private struct RunFile: Decodable { var delivered: Architecture }

    func run() throws {
        try reportingErrors {
            let s = try options.space()
            let bytes = try readFile(architecture, option: "--architecture")
            let a: Architecture
            if let run = try? JSONDecoder().decode(RunFile.self, from: bytes) {
                a = run.delivered
            } else {
                do { a = try JSONDecoder().decode(Architecture.self, from: bytes) } catch let e as DecodingError {
                    throw ValidationError("\(architecture): neither an Architecture nor a search run's architecture.json: \(e.summary)")
                }
            }
            do { try s.validate(a) } catch { throw ValidationError("\(architecture): \(error)") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let url = URL(fileURLWithPath: graphOut)
            try AtomicWrite.checkParent(of: url)
            try AtomicWrite.file(try encoder.encode(try s.graph(for: a, dropout: !noDropout)), to: url)
            printError("\(a.summary): wrote \(graphOut)")
        }
    }
}
