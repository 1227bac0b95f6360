import ArgumentParser
import Characterization
import Datasets
import Deploy
import Foundation
import Kernels
import SearchSpace
import Targets

struct CharacterizeMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join table files (e.g. measured with --shard on several machines) into one; the inputs are only read.")
    @Argument(help: "Table files to merge.") var tables: [String]
    @Option(help: "The merged table file (created if missing; rows it already has are kept).") var out: String

    func run() throws {
        try reportingErrors {
            guard !tables.isEmpty else { throw ValidationError("give at least one table file") }
            // Open and check every input's rows first: a corrupt or foreign one stops the merge
            // before anything is written.
            let inputs = try tables.map { try TableStore(url: URL(fileURLWithPath: $0), create: false) }
            for input in inputs { try input.checkRows() }
            let merged = try TableStore(url: URL(fileURLWithPath: out))
            var added = 0
            for input in inputs { added += try merged.merge(from: input) }
            print("\(added) entries added from \(tables.count) table file(s); \(try merged.count()) in \(out)")
        }
    }
}
