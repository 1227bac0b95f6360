public enum KernelError: Error, CustomStringConvertible {
    case malformedOutput(String)
    case toolchain(command: String, status: Int32, output: String)
    case executorFailed(executor: String, message: String)
    case invalidCase(op: String, reason: String)

    public var description: String {
        switch self {
        case .malformedOutput(let m): return "verification firmware output is malformed: \(m)"
        case .toolchain(let c, let s, let o): return "\(c) failed with status \(s): \(o.split(separator: "\n").prefix(3).joined(separator: " | "))"
        case .executorFailed(let e, let m): return "\(e): \(m)"
        case .invalidCase(let op, let r): return "invalid \(op) call: \(r)"
        }
    }
}
