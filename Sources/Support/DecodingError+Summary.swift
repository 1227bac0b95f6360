import Foundation

extension DecodingError {
    /// One line for people: the JSON path of the offending value (`.nodes[0].op`) and what is wrong.
    public var summary: String {
        func at(_ c: DecodingError.Context) -> String {
            let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? c.debugDescription : "\(path): \(c.debugDescription)"
        }
        switch self {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return at(c)
        case .keyNotFound(let k, let c): return "\(at(c)) (missing '\(k.stringValue)')"
        @unknown default: return "\(self)"
        }
    }
}
