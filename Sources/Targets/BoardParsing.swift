import Foundation

/// Board and core files to `Board` and `CoreSpec`; every error names the file and the field.
enum BoardParsing {
    /// The largest cost of one event a core or board file may state, in cycles: real ones are
    /// below 100; the bound keeps every cycle total a finite whole number.
    static let maxCost = 1e6

    static func core(_ f: JSONFields) throws -> CoreSpec {
        let costsObj = try f.object("costs")
        var costs: [Event: Sourced<Double>] = [:]
        for e in Event.coreEvents { costs[e] = try costsObj.sourced(e.rawValue, atMost: maxCost) }
        for key in costsObj.object.keys where Event(rawValue: key).map({ Event.coreEvents.contains($0) }) != true {
            throw TargetError.invalidField(file: f.file, field: costsObj.name(key), reason: "not a core event; core events: \(Event.coreEvents.map(\.rawValue).joined(separator: ", "))")
        }
        let cpu = try f.string("unicorn_cpu")
        guard ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33"].contains(cpu) else {
            throw f.invalid("unicorn_cpu", "'\(cpu)' is not a Unicorn M-profile model (cortex-m0, -m3, -m4, -m7, -m33)")
        }
        let div = try f.object("divide")
        let cpuidRaw = try f.sourced("cpuid")
        guard cpuidRaw.value < 4_294_967_296 else { throw f.invalid("cpuid", "expected a 32-bit value") }
        let bitsPerCycle = try div.sourced("bits_per_cycle", atMost: 64)
        guard bitsPerCycle.value >= 0.01 else { throw div.invalid("bits_per_cycle", "must be at least 0.01") }
        return CoreSpec(
            name: try f.string("name"), cpu: cpu, architecture: try f.string("architecture"),
            hasDSP: try f.bool("dsp"), hasFPU: try f.bool("fpu"),
            cpuid: Sourced(UInt32(cpuidRaw.value), source: cpuidRaw.source), costs: costs,
            divideBase: try div.sourced("base", atMost: maxCost), divideBitsPerCycle: bitsPerCycle, divideMax: try div.sourced("max", atMost: maxCost),
            notes: try f.optionalString("notes") ?? "")
    }

    static func board(_ f: JSONFields, core: CoreSpec) throws -> Board {
        var memories: [MemoryRegion] = []
        for m in try f.objects("memories") {
            let kindName = try m.string("kind")
            guard let kind = MemoryKind(rawValue: kindName) else {
                throw m.invalid("kind", "'\(kindName)' is not one of \(MemoryKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let base = try m.address("base")
            let size = UInt64(try m.positiveInt("size"))
            guard base % 4096 == 0, size % 4096 == 0 else { throw m.invalid("size", "base and size must be multiples of 4 KiB") }
            guard base + size <= 0x1_0000_0000 else { throw m.invalid("size", "region ends beyond 4 GiB") }
            let aliases = m.has("aliases") ? try m.strings("aliases").enumerated().map { i, s -> UInt64 in
                guard let v = JSONFields.parseNumber(s), v >= 0, v + Double(size) <= 4_294_967_296, UInt64(v) % 4096 == 0 else {
                    throw TargetError.invalidField(file: f.file, field: m.name("aliases[\(i)]"), reason: "expected a 4 KiB-aligned address")
                }
                return UInt64(v)
            } : []
            memories.append(MemoryRegion(
                name: try m.string("name"), kind: kind, base: base, size: size, aliases: aliases,
                isCacheable: m.has("cacheable") ? try m.bool("cacheable") : false, source: try m.string("source")))
        }
        guard !memories.isEmpty else { throw f.invalid("memories", "at least one memory region is required") }
        let spans = memories.flatMap { m in ([m.base] + m.aliases).map { ($0, $0 + m.size, m.name) } }.sorted { $0.0 < $1.0 }
        for (a, b) in zip(spans, spans.dropFirst()) where b.0 < a.1 {
            throw f.invalid("memories", "'\(a.2)' and '\(b.2)' overlap")
        }
        guard memories.contains(where: { $0.kind == .sram || $0.kind == .tcm }) else {
            throw f.invalid("memories", "no sram or tcm region for the stack")
        }
        var caches: [CacheSpec] = []
        for c in f.has("caches") ? try f.objects("caches") : [] {
            let roleName = try c.string("role")
            guard let role = CacheRole(rawValue: roleName) else {
                throw c.invalid("role", "'\(roleName)' is not one of \(CacheRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let kinds = try c.strings("regions").map { s -> MemoryKind in
                guard let k = MemoryKind(rawValue: s) else { throw c.invalid("regions", "'\(s)' is not a memory kind") }
                return k
            }
            let line = try c.positiveInt("line_bytes"), lines = try c.positiveInt("lines"), ways = try c.positiveInt("ways")
            guard line.nonzeroBitCount == 1, line >= 4 else { throw c.invalid("line_bytes", "must be a power of two ≥ 4") }
            guard lines % ways == 0, (lines / ways).nonzeroBitCount == 1 else {
                throw c.invalid("ways", "lines / ways must be a power of two")
            }
            caches.append(CacheSpec(name: try c.string("name"), role: role, regions: kinds, lineBytes: line,
                                    lines: lines, ways: ways, source: try c.string("source")))
        }
        let costsObj = try f.object("memory_costs")
        var memoryCosts: [Event: Sourced<Double>] = [:]
        for e in Event.memoryEvents { memoryCosts[e] = try costsObj.sourced(e.rawValue, atMost: maxCost) }
        for key in costsObj.object.keys where Event(rawValue: key).map({ Event.memoryEvents.contains($0) }) != true {
            throw TargetError.invalidField(file: f.file, field: costsObj.name(key), reason: "not a memory event; memory events: \(Event.memoryEvents.map(\.rawValue).joined(separator: ", "))")
        }
        let clock = try f.sourced("clock_hz")
        guard clock.value >= 1000, clock.value <= 10e9 else { throw TargetError.invalidField(file: f.file, field: "clock_hz.value", reason: "must be between 1 kHz and 10 GHz") }
        let bootRaw = try f.object("boot_address")
        let boot = Sourced(try bootRaw.address("value"), source: try bootRaw.string("source"))
        var board = Board(
            name: try f.string("name"), aliases: f.has("aliases") ? try f.strings("aliases") : [],
            mcu: try f.string("mcu"), core: core, clockHz: clock, bootAddress: boot,
            memories: memories, caches: caches, memoryCosts: memoryCosts,
            compilerFlags: try f.strings("compiler_flags"), file: f.file,
            notes: try f.optionalString("notes") ?? "")
        // Firmware is linked from the memory map: code at the boot address, data and stack in the RAM region.
        guard let flash = board.region(containing: boot.value), flash.kind == .flash || flash.kind == .tcm else {
            throw TargetError.invalidField(file: f.file, field: "boot_address.value",
                                           reason: "0x\(String(boot.value, radix: 16)) lies in no flash or tcm region of 'memories'")
        }
        guard boot.value % 4 == 0, boot.value + 64 <= flash.end else {
            throw TargetError.invalidField(file: f.file, field: "boot_address.value", reason: "the vector table needs a word-aligned address with 64 bytes of '\(flash.name)' after it")
        }
        if f.has("runtime_reserve") {
            let r = try f.sourced("runtime_reserve")
            guard r.value == r.value.rounded(), r.value < 4_294_967_296 else {
                throw TargetError.invalidField(file: f.file, field: "runtime_reserve.value", reason: "expected a whole number of bytes")
            }
            board.runtimeReserve = Sourced(UInt64(r.value), source: r.source)
        }
        board.clockSetup = try BoardParsing.clockSetup(f, memories: memories, clock: clock.value)
        board.console = try BoardParsing.console(f, memories: memories)
        let ram = board.firmwareRAM
        guard board.runtimeReserve.value + 1024 <= ram.size else {
            throw TargetError.invalidField(file: f.file, field: f.has("runtime_reserve") ? "runtime_reserve.value" : "memories",
                                           reason: "RAM region '\(ram.name)' (\(ram.size) bytes) leaves no room beside the \(board.runtimeReserve.value)-byte runtime reserve (stack and heap) for data")
        }
        return board
    }

    /// Top-level board fields a file may leave out (and an overlay may add). `calibration` is the
    /// provenance `micronas calibrate fit` writes into an overlay (read by people, not by micronas).
    static let optionalBoardFields: Set<String> = ["aliases", "caches", "notes", "runtime_reserve", "calibration", "clock_setup", "console"]
}
