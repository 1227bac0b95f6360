import Foundation
import Graph
import Support

/// Model files: a `.tflite` (int8, as the TensorFlow Lite converter or micronas writes it) or a
/// micronas quantized-model `.json`. Every error names the file.
public enum ModelFile {
    public static func read(_ path: String) throws -> QuantizedModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw DeployError("\(path): cannot read file") }
        if path.lowercased().hasSuffix(".json") {
            do { return try JSONDecoder().decode(QuantizedModel.self, from: data) } catch let e as DecodingError {
                throw DeployError("\(path): not a micronas quantized model: \(e.summary)")
            }
        }
        do { return try TFLiteReader.decode([UInt8](data)) } catch let e as TFLiteError { throw DeployError("\(path): \(e)") }
    }

    /// Writes `model` as `path` (a `.tflite`) and its quantized JSON beside it (the same name with
    /// `.json`), each atomically; returns the JSON's path.
    @discardableResult
    public static func write(_ model: QuantizedModel, tflite path: String) throws -> String {
        guard path.lowercased().hasSuffix(".tflite") else { throw DeployError("\(path): the model file must end in .tflite (its quantized JSON goes beside it)") }
        let bytes: [UInt8]
        do { bytes = try TFLiteWriter.encode(model) } catch let e as TFLiteError { throw DeployError("\(path): \(e)") }
        let json = String(path.dropLast(".tflite".count)) + ".json"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicWrite.file(Data(bytes), to: URL(fileURLWithPath: path))
        try AtomicWrite.file(try encoder.encode(model), to: URL(fileURLWithPath: json))
        return json
    }

    /// The model file lowered to kernel calls; errors name the file.
    public static func lowered(_ path: String) throws -> LoweredModel {
        try lower(try read(path), name: path)
    }

    /// A model lowered to kernel calls; errors name it (`name`: its file or a label).
    public static func lower(_ model: QuantizedModel, name: String) throws -> LoweredModel {
        do { return try LoweredModel(model) } catch let e as GraphError { throw DeployError("\(name): \(e)") }
    }
}
