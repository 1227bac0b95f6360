import ArgumentParser
import Foundation
import Graph
import Support

/// Writes one line to stderr (progress and errors; stdout carries results only).
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

/// One JSON object on one line, keys sorted.
func jsonLine(_ object: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// `s` padded with spaces to `width` (at least one space after it).
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// `s` right-aligned in `width`.
func right(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

func kib(_ bytes: UInt64) -> String {
    bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
}

/// A file's contents, or a `ValidationError` naming the option and the file.
func readFile(_ path: String, option: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(option): cannot read \(path)") }
    return data
}

/// A Graph JSON file named by `option`; errors name the file.
func readGraph(_ path: String, option: String = "--graph") throws -> Graph {
    let bytes = try readFile(path, option: option)
    do { return try JSONDecoder().decode(Graph.self, from: bytes) } catch let e as DecodingError {
        throw GraphError("\(path): not a Graph: \(e.summary)")
    }
}
