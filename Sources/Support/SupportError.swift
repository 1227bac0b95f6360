/// Errors of the shared helpers; each names the file or program it is about.
public enum SupportError: Error, CustomStringConvertible, Equatable {
    case missingTool(String)
    case cannotWrite(path: String, reason: String)
    case exists(path: String)

    public var description: String {
        switch self {
        case .missingTool(let t): return "\(t) not found on PATH (run `make setup`)"
        case .cannotWrite(let p, let r): return "cannot write \(p): \(r)"
        case .exists(let p): return "\(p) exists; pass --force to replace it"
        }
    }
}
