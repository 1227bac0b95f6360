import ArgumentParser
import Characterization
import Datasets
import Deploy
import Foundation
import Kernels
import SearchSpace
import Targets

struct CharacterizeInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "What a lookup-table file holds: entries per board, cost table and kernel build.")
    @OptionGroup var file: TableFile
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            let store = try TableStore(url: file.url, create: false)
            let rows = try store.summary()
            if json {
                print(try jsonLine(["table": store.url.path, "tables": rows.map { ["board": $0.board, "cost_hash": $0.costHash, "kernel_hash": $0.kernelHash,
                                                                                  "entries": $0.entries, "with_events": $0.withEvents] as [String: Any] }]))
            } else {
                print(store.url.path)
                for r in rows { print("  \(r.board)  costs \(r.costHash)  kernels \(r.kernelHash)  \(r.entries) entries (\(r.withEvents) with events)") }
                if rows.isEmpty { print("  (empty)") }
            }
        }
    }
}
