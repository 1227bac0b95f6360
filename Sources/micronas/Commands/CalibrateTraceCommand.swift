import ArgumentParser
import Calibration
import Foundation
import Support

struct CalibrateTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Emulate an ELF that reads DWT->CYCCNT and write its regions as a trace (the emulator's side of a calibration).",
        discussion: "Every interval between two consecutive counter reads is a region, named by the `<region>: <cycles> cycles` lines the firmware prints (else #i, the interval after read i).")

    @OptionGroup var board: BoardOption
    @Argument(help: "Firmware: a statically linked ELF32 ARM executable.") var firmware: String
    @Option(help: "Trace file to write (JSON lines).") var out: String
    @Flag(help: "Only the named regions (leave out the #i intervals).") var namedOnly = false
    @Flag(help: "Replace --out if it exists.") var force = false

    func run() throws {
        try reportingErrors {
            let b = try board.catalog().board(named: board.target)
            let outURL = URL(fileURLWithPath: out)
            if FileManager.default.fileExists(atPath: outURL.path) && !force { throw SupportError.exists(path: outURL.path) }
            let elf = URL(fileURLWithPath: firmware)
            let regions = try FirmwareRegions.emulate(elf, on: b)
            let kept = regions.regions.filter { $0.cycles > 0 && (!namedOnly || !$0.name.hasPrefix("#")) }
            guard !kept.isEmpty else { throw ValidationError("\(firmware): no named regions (it prints no `<region>: <cycles> cycles` lines); leave out --named-only") }
            let header = Trace.Header(board: b.name, clockHz: b.clockHz.value, firmware: .init(path: elf.path, sha256: regions.sha256),
                                      origin: .init(kind: "emulator", toolchain: "micronas emulator", date: ISO8601DateFormatter().string(from: Date()),
                                                    notes: "emulated \(b.name) (\(b.file))"))
            let trace = Trace(header: header, records: kept.map { Trace.Record(region: $0.name, cycles: $0.cycles, line: 0) }, file: outURL.path)
            try AtomicWrite.file(try trace.jsonLines(), to: outURL)
            print("\(outURL.path): \(kept.count) regions of \(elf.lastPathComponent) on the emulated \(b.name) (\(kept.filter { !$0.name.hasPrefix("#") }.count) named)")
        }
    }
}
