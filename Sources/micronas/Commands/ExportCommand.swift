import ArgumentParser
import Deploy
import Foundation
import Kernels

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as model.tflite plus a self-contained C deployment folder (c/).",
        discussion: "The C folder holds micronas_model.{h,c} (weights in flash, one static arena), the kernel sources it uses, a Makefile (host and boards) and a README. The folder appears all at once: an interrupted export leaves nothing half-written."
    )

    @OptionGroup var location: TargetsLocation
    @Option(help: "The model: a micronas quantized-model .json (or a .tflite).") var model: String
    @Option(help: "Output folder (created; must not exist unless --force).") var out: String
    @Flag(help: "Replace an existing output folder.") var force = false
    @Flag(help: "Smallest arena: a conv whose im2col scratch would raise it runs the scratch-free kernel path (slower), so the arena is TFLM's reference-kernel plan.") var minArena = false
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        try reportingErrors {
            let catalog = try location.catalog()
            let q = try ModelFile.read(model)
            let s = try Export.write(q, name: model, to: URL(fileURLWithPath: out), replacing: force,
                                     toolchain: KernelToolchain(catalog: catalog), boards: catalog.boards,
                                     convScratch: minArena ? .whereFree : .always)
            if json {
                print(try jsonLine(["out": out, "tflite": "\(out)/model.tflite", "tflite_bytes": s.tfliteBytes, "c": "\(out)/c",
                                    "arena_bytes": s.arenaBytes, "kernels": s.kernelSources, "ops": s.ops]))
            } else {
                print("wrote \(out)/model.tflite (\(s.tfliteBytes) bytes) and \(out)/c/ (\(s.ops) ops, arena \(s.arenaBytes) bytes, kernels: \(s.kernelSources.joined(separator: ", ")))")
            }
        }
    }
}
