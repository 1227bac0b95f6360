import ArgumentParser
import Datasets
import Foundation
import Graph
import SearchSpace
import Support

struct SpaceSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Uniformly random architectures (JSON), optionally lowered to Graph JSON for `micronas train`.")
    @OptionGroup var options: SpaceOptions
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Write the (first) architecture's Graph JSON here (with dropout 0.3 between cells).") var graphOut: String?

    func run() throws {
        try reportingErrors {
            let s = try options.space()
            var g = SplitMix64(seed: seed)
            let a = s.sample(using: &g)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(a), as: UTF8.self))
            if let path = graphOut {
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicWrite.file(try encoder.encode(try s.graph(for: a, dropout: true)), to: URL(fileURLWithPath: path))
                printError("wrote \(path)")
            }
        }
    }
}
