import ArgumentParser
import Foundation
import Kernels
import SearchSpace
import Support
import Targets

/// The board, search space and table file every characterization command works on.
struct CharacterizationTarget: ParsableArguments {
    @OptionGroup var board: BoardOption
    @OptionGroup var space: SpaceOptions
    @OptionGroup var file: TableFile

    func resolve() throws -> (board: Board, space: SearchSpace, toolchain: KernelToolchain) {
        let (b, _, toolchain) = try board.resolve()
        return (b, try space.space(), toolchain)
    }

    func tableURL() -> URL { file.url }
}

/// The lookup-table file (SQLite; one file holds any number of boards, cost tables and kernel builds).
struct TableFile: ParsableArguments {
    @Option(help: "Lookup-table file (SQLite; default: $MICRONAS_CACHE/characterization/lookup.sqlite).") var table: String?

    var url: URL {
        table.map { URL(fileURLWithPath: $0) } ?? CacheDirectory.characterization.appendingPathComponent("lookup.sqlite")
    }
}
