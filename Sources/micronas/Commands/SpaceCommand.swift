import ArgumentParser

struct SpaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "space",
        abstract: "The MicroNAS search space for a window: cells, decision groups, exact size; sample architectures; lower one to Graph JSON.",
        subcommands: [SpaceInfoCommand.self, SpaceSampleCommand.self, SpaceGraphCommand.self], defaultSubcommand: SpaceInfoCommand.self
    )
}
