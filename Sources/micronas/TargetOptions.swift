import ArgumentParser
import Foundation
import Targets

/// Where boards come from: `--targets-dir`, else `$MICRONAS_TARGETS`, else the nearest `targets/`.
struct TargetsLocation: ParsableArguments {
    @Option(name: .customLong("targets-dir"), help: "Directory holding boards/ and cores/ (default: $MICRONAS_TARGETS or the nearest targets/).")
    var directory: String?

    func catalog() throws -> BoardCatalog {
        if let d = directory { return try BoardCatalog(directory: URL(fileURLWithPath: d)) }
        return try BoardCatalog.standard()
    }
}

/// Writes one line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Exits with a one-line error naming the cause (no stack trace, no trap).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ error: Error) { description = String(describing: error) }
}

func jsonLine(_ object: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
