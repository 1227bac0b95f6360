/// A graph that cannot be built: names the node (or input), the field, and the cause.
public struct GraphError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
