import ArgumentParser

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit a board's cycle costs to traces recorded on the real board (docs/calibration.md).",
        discussion: """
        suite: build the calibration firmware for a board; run it on the board and save what it prints. \
        fit: pair those lines (or any trace of an ELF that reads DWT->CYCCNT) with the emulator's events of the same \
        regions and fit the board's costs; writes a board overlay. trace: the emulator's own trace of an ELF, in the \
        trace format (for a round trip without a board, or to compare). report: region by region, what boards predict \
        against what a board measured.
        """,
        subcommands: [CalibrateSuiteCommand.self, CalibrateTraceCommand.self, CalibrateFitCommand.self, CalibrateReportCommand.self]
    )
}
