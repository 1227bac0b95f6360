import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks with a reference measured in the same run.",
        subcommands: [BenchEmulatorCommand.self, BenchTrainCommand.self, BenchSearchCommand.self])
}
