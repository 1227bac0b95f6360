/// A number read from a board or core file together with where it came from
/// (manual and section, or "estimate: reason").
public struct Sourced<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var source: String
    public init(_ value: Value, source: String) {
        self.value = value
        self.source = source
    }
}

/// What a memory region is, which decides how accesses to it are priced.
public enum MemoryKind: String, Sendable, CaseIterable {
    case flash, sram, tcm, peripheral
}

/// One window of the board's address map.
public struct MemoryRegion: Sendable, Equatable {
    public var name: String
    public var kind: MemoryKind
    public var base: UInt64
    public var size: UInt64
    /// Further addresses the same memory appears at (STM32 boot alias at 0x0).
    public var aliases: [UInt64]
    /// Whether a data cache of the board serves this region (Cortex-M7 AXI SRAM).
    public var isCacheable: Bool
    public var source: String

    public var end: UInt64 { base + size }
    public func contains(_ address: UInt64) -> Bool { address >= base && address < end }
    /// Whether [address, address + count) lies in this memory at its base or at one of its aliases.
    public func covers(_ address: UInt64, count: UInt64) -> Bool {
        ([base] + aliases).contains { address >= $0 && address + count <= $0 + size }
    }
}

/// Which accesses a cache serves.
public enum CacheRole: String, Sendable, CaseIterable {
    case instruction, data, unified
}

/// A set-associative LRU cache in front of some regions.
public struct CacheSpec: Sendable, Equatable {
    public var name: String
    public var role: CacheRole
    /// Region kinds it caches (e.g. flash; flash and sram for the M7 L1).
    public var regions: [MemoryKind]
    public var lineBytes: Int
    public var lines: Int
    public var ways: Int
    public var source: String
}

/// The core: CPU model for Unicorn, Capstone/compiler facts, and instruction-class costs.
public struct CoreSpec: Sendable, Equatable {
    public var name: String
    /// Unicorn CPU model name: cortex-m4, cortex-m7 or cortex-m33.
    public var cpu: String
    public var architecture: String
    public var hasDSP: Bool
    public var hasFPU: Bool
    public var cpuid: Sourced<UInt32>
    public var costs: [Event: Sourced<Double>]
    /// SDIV/UDIV data-dependent cycles: `min(max, base + ceil(bits / bitsPerCycle))` where
    /// `bits` = significant bits of the dividend beyond those of the divisor.
    public var divideBase: Sourced<Double>
    public var divideBitsPerCycle: Sourced<Double>
    public var divideMax: Sourced<Double>
    public var notes: String
}

/// A board: an MCU around a core, with its clock, memory map, caches and memory-system costs.
public struct Board: Sendable, Equatable {
    public var name: String
    public var aliases: [String]
    public var mcu: String
    public var core: CoreSpec
    public var clockHz: Sourced<Double>
    public var bootAddress: Sourced<UInt64>
    public var memories: [MemoryRegion]
    public var caches: [CacheSpec]
    public var memoryCosts: [Event: Sourced<Double>]
    /// arm-none-eabi-gcc flags selecting this core (`-mcpu`, `-mthumb`, FPU/ABI).
    public var compilerFlags: [String]
    /// Where the board file was read from (for an overlay: the overlay's file).
    public var file: String
    public var notes: String
    /// The board this one is an overlay of (`"base"` in its file), if any.
    public var base: String? = nil
    /// RAM a firmware keeps beside its static data (.data, .bss, the arena): the stack the runner
    /// paints and newlib's heap (stdio buffers). Deploy checks arena + static data + this against
    /// the firmware's RAM region.
    public var runtimeReserve: Sourced<UInt64> = Board.defaultRuntimeReserve
    /// Register steps that give a real board the clock and flash wait states this file describes
    /// (`clock_setup`), and its serial console (`console`); nil where the file has none.
    public var clockSetup: ClockSetup? = nil
    public var console: ConsoleUART? = nil

    public static let defaultRuntimeReserve = Sourced<UInt64>(
        12 * 1024, source: "micronas default: kernels/harness/model_runner.c paints 8 KB of stack for the invokes; newlib's heap (stdio buffers, about 2 KB) and start-up frames take the rest")

    /// The cost vector: core costs for instruction classes, board costs for the memory system.
    public var costVector: EventVector {
        var v = EventVector()
        for (e, c) in core.costs { v[e] = c.value }
        for (e, c) in memoryCosts { v[e] = c.value }
        return v
    }

    /// Provenance of each cost, by event.
    public var costSources: [Event: String] {
        var d: [Event: String] = [:]
        for (e, c) in core.costs { d[e] = c.source }
        for (e, c) in memoryCosts { d[e] = c.source }
        return d
    }

    public func region(containing address: UInt64) -> MemoryRegion? {
        memories.first { $0.contains(address) }
    }

    /// The RAM region firmware is linked into (data, bss, heap, stack): the sram or tcm region
    /// holding 0x2000_0000, the base of the Armv7-M/Armv8-M "SRAM" address region, else the first
    /// RAM region in the file. (A board file always has one: the catalog checks.)
    public var firmwareRAM: MemoryRegion {
        let ram = memories.filter { $0.kind == .sram || $0.kind == .tcm }
        return ram.first { $0.contains(0x2000_0000) } ?? ram[0]
    }

    /// The region firmware's code, constants and vector table go to: the one holding the boot
    /// address (the catalog checks there is one, of kind flash or tcm).
    public var firmwareFlash: MemoryRegion { region(containing: bootAddress.value)! }

    /// Bytes of `firmwareFlash` from the boot address on: what a firmware image may occupy.
    public var firmwareFlashBytes: UInt64 { firmwareFlash.end - bootAddress.value }

    /// Default initial SP for images without a vector table: the top of `firmwareRAM`.
    public var defaultStackTop: UInt64 { firmwareRAM.end }

    public var sramBytes: UInt64 { memories.filter { $0.kind == .sram || $0.kind == .tcm }.reduce(0) { $0 + $1.size } }
    public var flashBytes: UInt64 { memories.filter { $0.kind == .flash }.reduce(0) { $0 + $1.size } }
}
