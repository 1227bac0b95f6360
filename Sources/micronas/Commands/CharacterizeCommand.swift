import ArgumentParser

struct CharacterizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "characterize",
        abstract: "Lookup tables of operator cycles measured on the emulated boards, and their validation.",
        subcommands: [CharacterizeMeasureCommand.self, CharacterizeValidateCommand.self, CharacterizePredictCommand.self, CharacterizeMergeCommand.self, CharacterizeInfoCommand.self],
        defaultSubcommand: CharacterizeMeasureCommand.self
    )
}
