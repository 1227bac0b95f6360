import Foundation
import Graph
import Kernels
import Support
import Targets

/// `model.tflite` plus a self-contained C deployment folder (`c/`: micronas_model.{h,c}, the kernel
/// sources it calls, a Makefile for the host and the boards, a README), written as one folder that
/// appears all at once (`AtomicWrite.folder`).
public enum Export {
    public struct Summary: Sendable {
        public var folder: URL
        public var tfliteBytes: Int
        public var arenaBytes: Int
        public var kernelSources: [String]
        public var ops: Int
    }

    public static func write(_ model: QuantizedModel, name: String, to folder: URL, replacing: Bool,
                             toolchain: KernelToolchain, boards: [Board], convScratch: MemoryPlanner.ConvScratch = .always) throws -> Summary {
        let tflite = try TFLiteWriter.encode(model)
        var summary: Summary? = nil
        try AtomicWrite.folder(at: folder, replacing: replacing) { temporary in
            try Data(tflite).write(to: temporary.appendingPathComponent("model.tflite"))
            summary = try writeC(model, name: name, to: temporary.appendingPathComponent("c"), toolchain: toolchain, boards: boards,
                                 convScratch: convScratch)
        }
        summary!.folder = folder
        summary!.tfliteBytes = tflite.count
        return summary!
    }

    /// Only the C deployment folder (created; it must not exist), e.g. beside a `.tflite` written
    /// elsewhere. `folder` and `tfliteBytes` of the summary describe the C folder and the model's encoding.
    public static func writeC(_ model: QuantizedModel, name: String, to folder: URL, toolchain: KernelToolchain, boards: [Board],
                              convScratch: MemoryPlanner.ConvScratch = .always) throws -> Summary {
        let lowered = try ModelFile.lower(model, name: name)
        let generator = CodeGenerator(lowered, convScratch: convScratch)
        try generator.write(to: folder, kernelsDirectory: toolchain.kernelsDirectory, boards: boards)
        return Summary(folder: folder, tfliteBytes: try TFLiteWriter.encode(model).count, arenaBytes: generator.plan.arenaBytes,
                       kernelSources: generator.kernelSources, ops: lowered.ops.count)
    }
}
