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

/// Runs a command body; a library error becomes one `error: …` line on stderr and exit status 2, a
/// bad option value found while running (`ValidationError`) one line and exit status 64 (usage).
/// Exit codes pass through unchanged.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        printError("error: \(e.message)")
        throw ExitCode.validationFailure
    } catch {
        printError("error: \(error)")
        throw ExitCode(2)
    }
}

func jsonLine(_ object: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
