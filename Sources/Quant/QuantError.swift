/// A quantization parameter that TFLite's int8 arithmetic cannot use.
public struct QuantError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
