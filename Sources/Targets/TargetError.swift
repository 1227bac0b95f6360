/// Why a board could not be found or read. Every case names the file and the field.
public enum TargetError: Error, Equatable, CustomStringConvertible {
    case unknownBoard(String, known: [String])
    case noTargetsDirectory(searched: [String])
    case unreadable(file: String, reason: String)
    case missingField(file: String, field: String)
    case invalidField(file: String, field: String, reason: String)
    case duplicateName(String, files: [String])

    public var description: String {
        switch self {
        case let .unknownBoard(name, known):
            return "unknown target '\(name)'; known targets: \(known.joined(separator: ", "))"
        case let .noTargetsDirectory(searched):
            return "no targets/ directory with boards/ found (searched \(searched.joined(separator: ", "))); set MICRONAS_TARGETS"
        case let .unreadable(file, reason):
            return "\(file): \(reason)"
        case let .missingField(file, field):
            return "\(file): missing field '\(field)'"
        case let .invalidField(file, field, reason):
            return "\(file): invalid field '\(field)': \(reason)"
        case let .duplicateName(name, files):
            return "target name '\(name)' is defined more than once (\(files.joined(separator: ", ")))"
        }
    }
}
