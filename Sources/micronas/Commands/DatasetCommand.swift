import ArgumentParser

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Fetch and inspect time-series window datasets.",
        subcommands: [DatasetFetchCommand.self, DatasetInfoCommand.self]
    )
}
