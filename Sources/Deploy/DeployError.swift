public struct DeployError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A `.tflite` that cannot be written or read: names the file, tensor or operator and the cause.
public struct TFLiteError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
