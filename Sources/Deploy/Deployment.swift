import Emulator
import Foundation
import Graph
import Kernels
import Targets

/// One model made ready for one board — the path every command that runs a model takes (`run`,
/// `profile`, characterization, validation): lowered to kernel calls, checked against the board's
/// memory, built as the runner firmware (generated C + kernels/harness/model_runner.c), and run on
/// the emulated board.
///
/// The memory check uses the board file's firmware regions and runtime reserve: before building,
/// the planned arena + the reserve must fit the RAM region and the weights the flash region; after
/// building, the image's flash (text, rodata, .data initialisers) must fit the flash region from
/// the boot address and its static RAM (.data + .bss, the arena included) + the reserve the RAM
/// region. A link that fails is repeated with enlarged regions to say by how much it does not fit.
public struct Deployment {
    public let board: Board
    /// How messages name the model (its file path, or a label).
    public let name: String
    public let lowered: LoweredModel
    public let runner: ModelRunner
    public let image: ELFImage
    public let footprint: Footprint

    /// What the built firmware takes of the board, in bytes.
    public struct Footprint: Sendable, Equatable {
        /// The planned arena (activations and kernel scratch), and the activations alone.
        public var arenaBytes: Int, activationBytes: Int
        /// The image's flash: text + rodata + .data initialisers (vector table included).
        public var flashBytes: Int
        /// .data + .bss (the arena is a static array, so it is included).
        public var staticRAMBytes: Int
        /// The board's runtime reserve (stack and heap).
        public var runtimeReserveBytes: Int
        public var ramRegion: String, ramRegionBytes: Int
        public var flashRegion: String, flashRegionBytes: Int

        /// RAM the firmware needs: static data + the runtime reserve.
        public var ramBytes: Int { staticRAMBytes + runtimeReserveBytes }
    }

    /// Reads a model file and deploys it.
    public static func open(_ path: String, board: Board, toolchain: KernelToolchain,
                            convScratch: MemoryPlanner.ConvScratch = .always) throws -> Deployment {
        try Deployment(lowered: try ModelFile.lowered(path), name: path, board: board, toolchain: toolchain, convScratch: convScratch)
    }

    /// `timingOnly`: lookup-table characterization's runner (input 0 and output 0 only; see `ModelRunner`).
    public init(model: QuantizedModel, name: String, board: Board, toolchain: KernelToolchain, timingOnly: Bool = false) throws {
        try self.init(lowered: try ModelFile.lower(model, name: name), name: name, board: board, toolchain: toolchain, timingOnly: timingOnly)
    }

    public init(lowered: LoweredModel, name: String, board: Board, toolchain: KernelToolchain, timingOnly: Bool = false,
                convScratch: MemoryPlanner.ConvScratch = .always) throws {
        self.board = board
        self.name = name
        self.lowered = lowered
        runner = try ModelRunner(lowered, toolchain: toolchain, timingOnly: timingOnly, convScratch: convScratch)
        let ram = board.firmwareRAM, flash = board.firmwareFlash
        let reserve = Int(board.runtimeReserve.value)
        let ramBytes = Int(ram.size), flashBytes = Int(board.firmwareFlashBytes)
        let plan = runner.generator.plan
        if plan.arenaBytes + reserve > ramBytes {
            throw DeployError("\(name) does not fit \(board.name)'s RAM: the arena needs \(plan.arenaBytes) bytes + \(reserve) for the runtime, the board has \(ramBytes) (over by \(plan.arenaBytes + reserve - ramBytes) bytes)")
        }
        let weights = lowered.model.weights.values.reduce(0) { $0 + $1.filter.count + 4 * ($1.bias?.count ?? 0) }
        if weights > flashBytes {
            throw DeployError("\(name) does not fit \(board.name)'s flash: the weights alone need \(weights) bytes, the board has \(flashBytes) (over by \(weights - flashBytes) bytes)")
        }
        let elf: URL
        do { elf = try runner.firmware(board: board) } catch let e as KernelError {
            // Most likely a region overflowed: link with enlarged regions and report the real sizes.
            guard let sized = try? ELFImage(path: try runner.firmware(board: board, sizing: true).path) else { throw e }
            let sizes = ModelRunner.imageSizes(sized, board: board)
            try Self.check(name: name, board: board, flash: sizes.flash, staticRAM: sizes.staticRAM)
            throw e
        }
        image = try ELFImage(path: elf.path)
        let sizes = ModelRunner.imageSizes(image, board: board)
        try Self.check(name: name, board: board, flash: sizes.flash, staticRAM: sizes.staticRAM)
        footprint = Footprint(arenaBytes: plan.arenaBytes, activationBytes: plan.activationBytes, flashBytes: sizes.flash,
                              staticRAMBytes: sizes.staticRAM, runtimeReserveBytes: reserve,
                              ramRegion: ram.name, ramRegionBytes: ramBytes, flashRegion: flash.name, flashRegionBytes: flashBytes)
    }

    /// The built image's sizes against the board's regions.
    static func check(name: String, board: Board, flash: Int, staticRAM: Int) throws {
        let reserve = Int(board.runtimeReserve.value)
        let ram = Int(board.firmwareRAM.size), rom = Int(board.firmwareFlashBytes)
        if flash > rom {
            throw DeployError("\(name) does not fit \(board.name)'s flash: the firmware needs \(flash) bytes (code, weights, data initialisers), the board has \(rom) in '\(board.firmwareFlash.name)' (over by \(flash - rom) bytes)")
        }
        if staticRAM + reserve > ram {
            throw DeployError("\(name) does not fit \(board.name)'s RAM: the firmware's static data (arena included) needs \(staticRAM) bytes + \(reserve) for the runtime, the board has \(ram) in '\(board.firmwareRAM.name)' (over by \(staticRAM + reserve - ram) bytes)")
        }
    }

    /// Runs `samples` (each the model input's bytes) on the emulated board; see `ModelRunner.runEmulated`.
    public func run(_ samples: [[UInt8]], warmup: ModelRunner.Warmup = .everySample, recordEvents: Bool = false,
                    maxInstructions: UInt64 = 50_000_000_000) throws -> ModelRunner.Result {
        try runner.runEmulated(board: board, image: image, samples: samples, warmup: warmup, maxInstructions: maxInstructions, recordEvents: recordEvents)
    }

    public func milliseconds(_ cycles: Double) -> Double { cycles / board.clockHz.value * 1000 }
}
