/// Why an evaluation cannot run or did not hold: one line naming the file, window or byte at fault.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
