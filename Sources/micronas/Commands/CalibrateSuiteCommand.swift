import ArgumentParser
import Calibration
import Foundation

struct CalibrateSuiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Build the calibration firmware for a board into a folder, with a manifest and the steps to run it on the board.")

    @OptionGroup var board: BoardOption
    @Option(help: "Folder for the suite (created if missing).") var out: String
    @Flag(help: "Print the manifest as one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            let (b, _, toolchain) = try board.resolve()
            let dir = URL(fileURLWithPath: out)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
                throw ValidationError("--out \(dir.path) is a file, not a folder")
            }
            printError("building the calibration suite for \(b.name)…")
            let suite = try CalibrationSuite.make(board: b, toolchain: toolchain, directory: dir)
            if json {
                let data = try JSONEncoder().encode(suite.manifest)
                var o = try JSONSerialization.jsonObject(with: data) as! [String: Any]
                o["directory"] = dir.path
                print(try jsonLine(o))
            } else {
                print("\(suite.firmware.path): \(suite.manifest.regions.count) timed regions, SHA-256 \(suite.manifest.sha256)")
                print("\(dir.appendingPathComponent("README.md").path): how to run it on \(b.name) and capture its lines")
                print("then: micronas calibrate fit --target \(b.name) --suite \(dir.path) --log board.log --out \(b.name)-calibrated.json")
            }
        }
    }
}
