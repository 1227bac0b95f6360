import Foundation

/// All boards found in a targets directory (`boards/*.json`, each naming a core in `cores/*.json`).
///
/// Adding a board is adding a file: nothing here knows any board by name.
public struct BoardCatalog: Sendable {
    public let directory: URL
    public let boards: [Board]

    /// Reads every board under `directory`. The first bad file stops loading with its name and field.
    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let boardDir = directory.appendingPathComponent("boards")
        guard let names = try? fm.contentsOfDirectory(atPath: boardDir.path) else {
            throw TargetError.unreadable(file: boardDir.path, reason: "cannot list directory")
        }
        var cores: [String: CoreSpec] = [:]
        var loaded: [Board] = []
        for n in names.sorted() where n.hasSuffix(".json") {
            let url = boardDir.appendingPathComponent(n)
            let fields = try JSONFields.load(url)
            let coreName = try fields.string("core")
            if cores[coreName] == nil {
                let coreURL = directory.appendingPathComponent("cores").appendingPathComponent(coreName + ".json")
                guard fm.fileExists(atPath: coreURL.path) else {
                    throw fields.invalid("core", "no core file \(coreURL.path)")
                }
                cores[coreName] = try BoardCatalog.parseCore(try JSONFields.load(coreURL))
            }
            loaded.append(try BoardCatalog.parseBoard(fields, core: cores[coreName]!))
        }
        var seen: [String: String] = [:]
        for b in loaded {
            for key in [b.name] + b.aliases {
                if let other = seen[key] { throw TargetError.duplicateName(key, files: [other, b.file]) }
                seen[key] = b.file
            }
        }
        boards = loaded
    }

    /// The board called `name`, or the board that lists `name` as an alias.
    public func board(named name: String) throws -> Board {
        let key = name.lowercased()
        if let b = boards.first(where: { $0.name.lowercased() == key || $0.aliases.contains { $0.lowercased() == key } }) {
            return b
        }
        throw TargetError.unknownBoard(name, known: knownNames)
    }

    /// Board names followed by aliases, for messages and help.
    public var knownNames: [String] {
        boards.map(\.name) + boards.flatMap { b in b.aliases.map { "\($0) (→ \(b.name))" } }
    }

    // MARK: locating the directory

    /// Finds `targets/`: `$MICRONAS_TARGETS`, else the first `targets/boards` found walking up from
    /// the working directory and from the executable's directory.
    public static func locateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                       executable: String = CommandLine.arguments.first ?? "") throws -> URL {
        if let env = environment["MICRONAS_TARGETS"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("boards").path) else {
                throw TargetError.noTargetsDirectory(searched: ["$MICRONAS_TARGETS=\(env)"])
            }
            return url
        }
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if !executable.isEmpty {
            starts.append(URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        var searched: [String] = []
        for start in starts {
            var dir = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent("targets")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("boards").path) {
                    return candidate
                }
                searched.append(candidate.path)
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw TargetError.noTargetsDirectory(searched: Array(searched.prefix(3)))
    }

    public static func standard() throws -> BoardCatalog {
        try BoardCatalog(directory: try locateDirectory())
    }

    // MARK: parsing

    static func parseCore(_ f: JSONFields) throws -> CoreSpec {
        let costsObj = try f.object("costs")
        var costs: [Event: Sourced<Double>] = [:]
        for e in Event.coreEvents { costs[e] = try costsObj.sourced(e.rawValue) }
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
        let bitsPerCycle = try div.sourced("bits_per_cycle")
        guard bitsPerCycle.value > 0 else { throw div.invalid("bits_per_cycle", "must be positive") }
        return CoreSpec(
            name: try f.string("name"), cpu: cpu, architecture: try f.string("architecture"),
            hasDSP: try f.bool("dsp"), hasFPU: try f.bool("fpu"),
            cpuid: Sourced(UInt32(cpuidRaw.value), source: cpuidRaw.source), costs: costs,
            divideBase: try div.sourced("base"), divideBitsPerCycle: bitsPerCycle, divideMax: try div.sourced("max"),
            notes: try f.optionalString("notes") ?? "")
    }

    static func parseBoard(_ f: JSONFields, core: CoreSpec) throws -> Board {
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
        for e in Event.memoryEvents { memoryCosts[e] = try costsObj.sourced(e.rawValue) }
        for key in costsObj.object.keys where Event(rawValue: key).map({ Event.memoryEvents.contains($0) }) != true {
            throw TargetError.invalidField(file: f.file, field: costsObj.name(key), reason: "not a memory event; memory events: \(Event.memoryEvents.map(\.rawValue).joined(separator: ", "))")
        }
        let clock = try f.sourced("clock_hz")
        guard clock.value >= 1000 else { throw f.invalid("clock_hz", "must be at least 1 kHz") }
        let bootRaw = try f.object("boot_address")
        let boot = Sourced(try bootRaw.address("value"), source: try bootRaw.string("source"))
        return Board(
            name: try f.string("name"), aliases: f.has("aliases") ? try f.strings("aliases") : [],
            mcu: try f.string("mcu"), core: core, clockHz: clock, bootAddress: boot,
            memories: memories, caches: caches, memoryCosts: memoryCosts,
            compilerFlags: try f.strings("compiler_flags"), file: f.file,
            notes: try f.optionalString("notes") ?? "")
    }
}
