import ArgumentParser

@main
struct Micronas: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "micronas",
        abstract: "Find time-series classifiers that fit a microcontroller, proven on emulated boards.",
        subcommands: [TargetsCommand.self, EmulateCommand.self, BuildCommand.self, BenchCommand.self, KernelsCommand.self,
                      RunCommand.self, ProfileCommand.self, ExportCommand.self, DatasetCommand.self, TrainCommand.self, QuantizeCommand.self, EvaluateCommand.self,
                      SpaceCommand.self, CharacterizeCommand.self, SearchCommand.self, CalibrateCommand.self]
    )
}
