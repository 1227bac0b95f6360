import Foundation

/// All boards found in one or more targets directories (`boards/*.json`, each naming a core in
/// `cores/*.json`, or overlaying another board with `"base"`).
///
/// Directories are layers, lowest first: a board or core in a higher layer shadows one of the same
/// name below it, and a board's core and base are looked up in its own layer and the ones below.
/// So a user's folder holding one board file (or one overlay) on top of the repository's `targets/`
/// is a complete catalog. Adding a board is adding a file: nothing here knows any board by name.
public struct BoardCatalog: Sendable {
    /// The layers, lowest first.
    public let directories: [URL]
    /// The visible boards (shadowed ones left out), sorted by name.
    public let boards: [Board]

    /// The topmost layer.
    public var directory: URL { directories[directories.count - 1] }

    public init(directory: URL) throws { try self.init(directories: [directory]) }

    /// Reads every board of every layer. The first bad file stops loading with its name and field.
    public init(directories: [URL]) throws {
        precondition(!directories.isEmpty, "a catalog needs at least one directory")
        self.directories = directories
        var loader = CatalogLoader(layers: try directories.map(CatalogLoader.Layer.init))
        var visible: [String: Board] = [:]
        for (i, layer) in loader.layers.enumerated() {
            var inLayer: [String: String] = [:]
            for file in layer.boards {
                let board = try loader.board(file, layer: i)
                // A name twice in one folder is a mistake; in a higher folder it shadows on purpose.
                if let other = inLayer[board.name.lowercased()] { throw TargetError.duplicateName(board.name, files: [other, board.file].sorted()) }
                inLayer[board.name.lowercased()] = board.file
                visible[board.name.lowercased()] = board
            }
        }
        let loaded = visible.values.sorted { $0.name < $1.name }
        var seen: [String: String] = [:]
        for b in loaded {
            for key in [b.name] + b.aliases {
                if let other = seen[key.lowercased()] { throw TargetError.duplicateName(key, files: [other, b.file].sorted()) }
                seen[key.lowercased()] = b.file
            }
        }
        boards = loaded
    }

    /// The board called `name`, or the board that lists `name` as an alias.
    public func board(named name: String) throws -> Board {
        let key = name.lowercased()
        if let b = boards.first(where: { $0.name.lowercased() == key || $0.aliases.contains { $0.lowercased() == key } }) {
            return b
        }
        throw TargetError.unknownBoard(name, known: knownNames)
    }

    /// Board names followed by aliases, for messages and help.
    public var knownNames: [String] {
        boards.map(\.name) + boards.flatMap { b in b.aliases.map { "\($0) (→ \(b.name))" } }
    }

    // MARK: locating the directories

    /// The repository's own `targets/` (the first `targets/boards` found walking up from the
    /// executable's directory, then from the working directory), or nil.
    public static func repositoryDirectory(executable: String = CommandLine.arguments.first ?? "",
                                           workingDirectory: String = FileManager.default.currentDirectoryPath) -> URL? {
        var starts: [URL] = []
        if !executable.isEmpty { starts.append(URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()) }
        starts.append(URL(fileURLWithPath: workingDirectory))
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("targets")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("boards").path) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    /// The layers a command works with: the repository's `targets/`, then `$MICRONAS_TARGETS`, then
    /// `extra` (`--targets-dir`). Each given folder must hold `boards/`.
    public static func layers(adding extra: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                              executable: String = CommandLine.arguments.first ?? "") throws -> [URL] {
        var layers: [URL] = []
        if let standard = repositoryDirectory(executable: executable) { layers.append(standard) }
        var given: [(URL, String)] = []
        if let env = environment["MICRONAS_TARGETS"], !env.isEmpty { given.append((URL(fileURLWithPath: env), "$MICRONAS_TARGETS=\(env)")) }
        if let extra { given.append((extra, "--targets-dir \(extra.path)")) }
        for (url, label) in given {
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("boards").path) else {
                throw TargetError.noTargetsDirectory(searched: ["\(label) (no boards/ folder in it)"])
            }
            if !layers.contains(where: { $0.standardizedFileURL.path == url.standardizedFileURL.path }) { layers.append(url) }
        }
        guard !layers.isEmpty else { throw TargetError.noTargetsDirectory(searched: ["the folders above the executable and the working directory"]) }
        return layers
    }

    /// The catalog of `layers(adding:)`.
    public static func standard(adding extra: URL? = nil) throws -> BoardCatalog {
        try BoardCatalog(directories: try layers(adding: extra))
    }
}
