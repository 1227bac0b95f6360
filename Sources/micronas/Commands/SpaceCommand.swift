import ArgumentParser

struct SpaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "space",
        abstract: "The MicroNAS search space for a window: cells, decision groups, exact size; sample architectures.",
        subcommands: [SpaceInfoCommand.self, SpaceSampleCommand.self], defaultSubcommand: SpaceInfoCommand.self
    )
}
