import Foundation
import Kernels
import Support
import Targets

/// The calibration suite for one board: `kernels/calibration/suite.c` (microbenchmarks that each
/// isolate a few events, and operator kernels at lookup-table shapes) built with the board's flags,
/// copied into a folder with a manifest and the steps to run it on the board.
public struct CalibrationSuite: Sendable {
    public struct Manifest: Codable, Sendable, Equatable {
        public var format = "micronas-calibration-suite"
        public var version = 1
        public var board: String
        public var clockHz: Double
        /// The ELF, relative to the manifest's folder.
        public var firmware: String
        public var sha256: String
        /// The regions the firmware prints, in order, with the emulated board's cycles.
        public var regions: [RegionEntry]
        public var compilerFlags: [String]
        public var created: String

        public struct RegionEntry: Codable, Sendable, Equatable {
            public var name: String
            public var emulatedCycles: UInt32
            enum CodingKeys: String, CodingKey { case name, emulatedCycles = "emulated_cycles" }
        }

        enum CodingKeys: String, CodingKey {
            case format, version, board, clockHz = "clock_hz", firmware, sha256, regions, compilerFlags = "compiler_flags", created
        }
    }

    public var directory: URL
    public var manifest: Manifest
    public var firmware: URL { directory.appendingPathComponent(manifest.firmware) }

    /// The suite's source in a checkout.
    public static func source(_ toolchain: KernelToolchain) -> URL { toolchain.root.appendingPathComponent("kernels/calibration/suite.c") }

    /// Builds the suite for `board`, emulates it once (the manifest lists what it prints) and writes
    /// `suite-<board>.elf`, `manifest.json` and `README.md` into `directory` (created if missing;
    /// files of an earlier suite there are replaced, each write atomic).
    public static func make(board: Board, toolchain: KernelToolchain, directory: URL, date: Date = Date()) throws -> CalibrationSuite {
        let source = Self.source(toolchain)
        guard FileManager.default.fileExists(atPath: source.path) else { throw CalibrationError(file: source.path, "the calibration suite's source is missing (kernels/calibration/suite.c of the micronas repository)") }
        let built = try toolchain.firmware(name: "calibration-suite", sources: [source, try toolchain.boardSetupSource(board: board)] + (try toolchain.kernelSources()),
                                           includes: [toolchain.kernelsDirectory], headers: try toolchain.kernelHeaders() + [toolchain.harnessDirectory.appendingPathComponent("mn_board.h")], board: board,
                                           defines: board.firmwareRAM.kind == .tcm ? ["MN_NO_RAM_CODE"] : [])
        let elfName = "suite-\(board.name).elf"
        let bytes = try Data(contentsOf: built)
        try AtomicWrite.file(bytes, to: directory.appendingPathComponent(elfName), createParents: true)
        let regions = try FirmwareRegions.emulate(directory.appendingPathComponent(elfName), on: board)
        let named = regions.regions.filter { !$0.name.hasPrefix("#") }
        guard !named.isEmpty, regions.unmatchedLines.isEmpty else {
            throw CalibrationError(file: built.path, "the suite printed \(named.count) region lines the emulator could pair with counter reads (\(regions.unmatchedLines.count) unpaired)")
        }
        let manifest = Manifest(board: board.name, clockHz: board.clockHz.value, firmware: elfName, sha256: regions.sha256,
                                regions: named.map { Manifest.RegionEntry(name: $0.name, emulatedCycles: $0.cycles) },
                                compilerFlags: board.compilerFlags, created: ISO8601DateFormatter().string(from: date))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicWrite.file(try encoder.encode(manifest), to: directory.appendingPathComponent("manifest.json"))
        try AtomicWrite.file(Data(readme(manifest, board: board).utf8), to: directory.appendingPathComponent("README.md"))
        return CalibrationSuite(directory: directory, manifest: manifest)
    }

    /// Reads a suite folder's manifest and checks its firmware is the one the manifest names.
    public static func read(_ directory: URL) throws -> CalibrationSuite {
        let url = directory.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CalibrationError(file: url.path, "no suite manifest (make one with `micronas calibrate suite --target <board> --out \(directory.path)`)")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch { throw CalibrationError(file: url.path, "not a suite manifest (\(error))") }
        guard manifest.format == "micronas-calibration-suite", manifest.version == 1 else { throw CalibrationError(file: url.path, "not a version 1 micronas calibration suite manifest") }
        guard !manifest.firmware.contains("/"), !manifest.firmware.isEmpty else { throw CalibrationError(file: url.path, "field 'firmware' must name a file in the suite folder") }
        let suite = CalibrationSuite(directory: directory, manifest: manifest)
        guard FileManager.default.fileExists(atPath: suite.firmware.path) else { throw CalibrationError(file: url.path, "the suite's firmware \(suite.firmware.path) is missing") }
        let sha = try SHA256.hex(file: suite.firmware)
        guard sha == manifest.sha256 else {
            throw CalibrationError(file: suite.firmware.path, "SHA-256 \(sha.prefix(12))… differs from the manifest's \(manifest.sha256.prefix(12))…: the firmware was rebuilt or replaced; make the suite again")
        }
        return suite
    }

    static func readme(_ m: Manifest, board: Board) -> String {
        """
        # micronas calibration suite for \(m.board)

        `\(m.firmware)` (SHA-256 `\(m.sha256)`) times \(m.regions.count) regions with DWT->CYCCNT and prints one
        `<region>: <cycles> cycles` line each when it is done\(board.console.map { " — through semihosting and \($0.name) at \($0.baud) baud (8N1)" } ?? " through semihosting"). The same image runs on
        the emulator (`micronas emulate --target \(m.board) \(m.firmware)`) and on the board.

        \(Self.clockText(board))

        ## 1. Run it on the board and capture the lines

        \(Self.captureText(board))

        With OpenOCD (ST-LINK on a Nucleo board; use your board's config file):

            openocd -f board/st_nucleo_<family>.cfg \\
              -c 'init; reset halt; arm semihosting enable' \\
              -c 'program \(m.firmware) verify' -c 'reset run' 2>&1 | tee board.log

        With pyOCD:

            pyocd load --target <mcu> \(m.firmware)
            pyocd gdbserver --target <mcu> --semihosting &    # then in arm-none-eabi-gdb:
            #   target remote :3333, monitor reset halt, continue   (output appears in the gdbserver's console)

        st-flash alone cannot show semihosting output: flash with it (`st-flash write` needs a .bin:
        `arm-none-eabi-objcopy -O binary \(m.firmware) suite.bin; st-flash write suite.bin 0x\(String(board.bootAddress.value, radix: 16))`),
        then attach OpenOCD or pyOCD as above to see the lines.

        Keep only the `<region>: <cycles> cycles` lines in `board.log` (other lines stop the fit with
        their line number; lines starting with `#` are skipped). Running it several times and passing
        every log is fine: each region's median is fitted.

        ## 2. Fit

            micronas calibrate fit --target \(m.board) --suite <this folder> --log board.log --out \(m.board)-calibrated.json

        prints the held-out error before and after, the costs that moved and those the regions cannot
        identify, and writes a board overlay. Put it in a folder's `boards/` and pass the folder as
        `--targets-dir` to any command (or set `MICRONAS_TARGETS`) to use the calibrated board.

        ## Regions

        \(m.regions.map { "- `\($0.name)`: \($0.emulatedCycles) cycles on the emulated \(m.board)" }.joined(separator: "\n"))

        """
    }

    /// What the README says about the clock: set by the image (from the board file's
    /// `clock_setup`), or left for the user to set.
    static func clockText(_ board: Board) -> String {
        if let c = board.clockSetup {
            return """
            **The image sets the clock** before its first region: \(c.steps.count) register steps from `\(board.file)`'s
            `clock_setup` (\(c.source)) make the core run at \(String(format: "%g", c.hclkHz / 1e6)) MHz with the board file's flash wait
            states and caches. It prints `# clock set-up done`, or names the ready flag that never came
            (then the timings are at the reset clock and must not be fitted).
            """
        }
        return """
        **The image does not set the clock**: `\(board.file)` has no `clock_setup`, so after reset the MCU
        runs from its reset oscillator with the reset flash latency. The board file describes
        \(String(format: "%g", board.clockHz.value / 1e6)) MHz with its flash wait states and caches; configure exactly that before `main`
        runs (a debugger script that programs RCC and FLASH->ACR), or add a `clock_setup` to the board
        file (docs/calibration.md) and make the suite again; otherwise the fit compares another clock
        with the board file's.
        """
    }

    /// How to capture the lines: a serial terminal on the console UART where the board file has one,
    /// and semihosting under a debugger (always possible).
    static func captureText(_ board: Board) -> String {
        guard let u = board.console else {
            return "The image prints through semihosting, so run it under a debugger with semihosting enabled and\nsave what it prints."
        }
        return """
        Either flash the image and read \(u.name) (\(u.source)) with a serial terminal at \(u.baud) baud, 8N1, no flow
        control, then press reset:

            stty -F /dev/ttyACM0 \(u.baud) raw -echo && cat /dev/ttyACM0 | tee board.log    # stop with Ctrl-C after the last region

        or run it under a debugger with semihosting enabled as below; both print the same lines.
        """
    }
}
