import ArgumentParser
import Foundation
import Targets

/// The repository micronas runs from — the folder holding targets/, kernels/, scripts/ and the
/// project venv (.venv, made by `make setup`) — found above the executable, else above the working
/// directory. Read only: nothing is written there.
func repositoryRoot() throws -> URL {
    guard let targets = BoardCatalog.repositoryDirectory() else {
        throw ValidationError("cannot find the micronas repository (targets/, scripts/) above the executable or the working directory")
    }
    return targets.deletingLastPathComponent()
}
