import ArgumentParser

struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Build and check the int8 C kernels.",
        subcommands: [KernelsVerifyCommand.self, KernelsBenchCommand.self]
    )
}
