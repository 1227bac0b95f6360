import ArgumentParser
import Calibration
import Foundation
import Metrics
import Targets

struct CalibrateReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Region by region: what boards (e.g. a board and its calibrated overlay) predict for a suite, against what the board measured.")

    @OptionGroup var location: TargetsLocation
    @Option(help: "A calibration suite folder (`micronas calibrate suite`).") var suite: String
    @Option(help: "Boards to compare, comma-separated (each must take the suite's image: the same compiler flags).") var boards: String
    @Option(help: "Serial logs of the suite run on the board (their medians are the measured column); repeatable.") var log: [String] = []
    @Flag(help: "Print the comparison as one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            let catalog = try location.catalog()
            let s = try CalibrationSuite.read(URL(fileURLWithPath: suite))
            let names = boards.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("--boards: give board names separated by commas") }
            let list = try names.map { try catalog.board(named: $0) }
            for b in list where b.compilerFlags != s.manifest.compilerFlags {
                throw ValidationError("--boards: \(b.name) is built with \(b.compilerFlags.joined(separator: " ")); the suite's image is for \(s.manifest.compilerFlags.joined(separator: " "))")
            }
            var measured: [String: [Double]] = [:]
            for l in log {
                let t = try Trace.read(URL(fileURLWithPath: l))
                for (r, n) in zip(t.records, t.occurrenceNames) { measured[n, default: []].append(Double(r.cycles)) }
            }
            let emulated = try list.map { try FirmwareRegions.emulate(s.firmware, on: $0) }
            let regionNames = s.manifest.regions.map(\.name)
            for n in measured.keys where !regionNames.contains(n) { throw ValidationError("--log: region '\(n)' is not one the suite prints") }
            let rows: [(String, [Double], Double?)] = regionNames.map { n in
                (n, emulated.map { Double($0.region(named: n)?.cycles ?? 0) }, measured[n].map(Calibration.median))
            }
            var perBoard: [[String: Any]] = []
            if !measured.isEmpty {
                for (k, b) in list.enumerated() {
                    let pairs = rows.compactMap { r in r.2.map { (r.1[k], $0) } }
                    let e = ErrorStatistics(predicted: pairs.map(\.0), measured: pairs.map(\.1))
                    perBoard.append(Calibration.json(e).merging(["board": b.name]) { $1 })
                }
            }
            if json {
                print(try jsonLine([
                    "suite": s.directory.path, "boards": list.map(\.name), "errors": perBoard,
                    "regions": rows.map { r -> [String: Any] in
                        var o: [String: Any] = ["region": r.0, "predicted": Dictionary(uniqueKeysWithValues: zip(list.map(\.name), r.1))]
                        if let m = r.2 { o["measured"] = m }
                        return o
                    },
                ]))
                return
            }
            let width = max(10, list.map(\.name.count).max() ?? 0) + 2
            print(pad("region", 28) + list.map { right($0.name, width) }.joined() + (measured.isEmpty ? "" : right("measured", 12)))
            for r in rows {
                var line = pad(r.0, 28) + r.1.map { right(String(format: "%.0f", $0), width) }.joined()
                if let m = r.2 {
                    line += right(String(format: "%.0f", m), 12) + "   " + r.1.map { String(format: "%+.1f%%", 100 * ($0 - m) / m) }.joined(separator: " ")
                }
                print(line)
            }
            for o in perBoard {
                print(String(format: "%@: MAPE %.2f %%, max |error| %.2f %%, R² %.5f over %d regions", o["board"] as! String, o["mape"] as! Double, o["max_abs_pct"] as! Double, o["r2"] as! Double, o["regions"] as! Int))
            }
        }
    }
}
