/// A calibration input that cannot be used: names the file (and line) and the cause.
public struct CalibrationError: Error, CustomStringConvertible, Equatable {
    public var file: String?
    public var line: Int?
    public var reason: String

    public init(file: String? = nil, line: Int? = nil, _ reason: String) {
        (self.file, self.line, self.reason) = (file, line, reason)
    }

    public var description: String {
        switch (file, line) {
        case let (f?, l?): return "\(f):\(l): \(reason)"
        case let (f?, nil): return "\(f): \(reason)"
        default: return reason
        }
    }
}
