import Foundation

/// A dataset file that cannot be used: names the file, the line (when there is one) and the cause.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
    public init(file: String, line: Int? = nil, _ cause: String) {
        description = line.map { "\(file):\($0): \(cause)" } ?? "\(file): \(cause)"
    }
}

public struct NPYError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
