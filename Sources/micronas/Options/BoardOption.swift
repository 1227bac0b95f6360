import ArgumentParser
import Foundation
import Kernels
import Targets

/// Where boards come from: the repository's `targets/`, with `$MICRONAS_TARGETS` and
/// `--targets-dir` layered on top (their boards and cores shadow ones of the same name; a board
/// file there may name a core or base board from below).
struct TargetsLocation: ParsableArguments {
    @Option(name: .customLong("targets-dir"), help: "A folder of boards/ (and cores/) added on top of the repository's targets/.")
    var directory: String?

    func catalog() throws -> BoardCatalog {
        try BoardCatalog.standard(adding: directory.map { URL(fileURLWithPath: $0) })
    }
}

/// The board a command runs on, by name or alias. `--emulate` is the same option under the name
/// the search and characterization commands read best with.
struct BoardOption: ParsableArguments {
    @OptionGroup var location: TargetsLocation
    @Option(name: [.customLong("target"), .customLong("emulate")], help: "Board or alias (see `micronas targets`; e.g. cortex-m4, cortex-m33, cortex-m7).")
    var target: String

    func catalog() throws -> BoardCatalog { try location.catalog() }

    /// The board, the catalog it came from and the kernel toolchain of that catalog.
    func resolve() throws -> (board: Board, catalog: BoardCatalog, toolchain: KernelToolchain) {
        let catalog = try location.catalog()
        return (try catalog.board(named: target), catalog, KernelToolchain(catalog: catalog))
    }
}
