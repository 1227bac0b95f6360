import ArgumentParser
import Foundation
import Targets

struct TargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets", abstract: "List the emulated boards: core, clock, memories, aliases, overlays.")

    @OptionGroup var location: TargetsLocation
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func run() throws {
        let catalog = try reportingErrors { try location.catalog() }
        if json {
            let boards: [[String: Any]] = catalog.boards.map { b in
                [
                    "name": b.name, "aliases": b.aliases, "mcu": b.mcu, "core": b.core.name, "cpu": b.core.cpu,
                    "clock_hz": b.clockHz.value, "file": b.file, "base": b.base ?? NSNull(), "compiler_flags": b.compilerFlags,
                    "flash_bytes": b.flashBytes, "sram_bytes": b.sramBytes,
                    "firmware_ram": b.firmwareRAM.name, "firmware_flash": b.firmwareFlash.name,
                    "runtime_reserve_bytes": b.runtimeReserve.value,
                    "memories": b.memories.map { m in
                        ["name": m.name, "kind": m.kind.rawValue, "base": m.base, "size": m.size,
                         "aliases": m.aliases, "source": m.source] as [String: Any]
                    },
                    "caches": b.caches.map { c in
                        ["name": c.name, "role": c.role.rawValue, "bytes": c.lines * c.lineBytes,
                         "line_bytes": c.lineBytes, "ways": c.ways] as [String: Any]
                    },
                    "costs": b.costVector.named,
                ]
            }
            print(try jsonLine(["targets": boards, "directories": catalog.directories.map(\.path)]))
            return
        }
        print(pad("board", 28) + pad("aliases", 12) + pad("mcu", 14) + pad("core", 12) + pad("clock", 9) + "memories")
        for b in catalog.boards {
            let mems = b.memories.filter { $0.kind != .peripheral }
                .map { "\($0.name) \(kib($0.size)) @0x\(String($0.base, radix: 16, uppercase: true))" }.joined(separator: ", ")
            print(pad(b.name, 28) + pad(b.aliases.joined(separator: ","), 12) + pad(b.mcu, 14) + pad(b.core.name, 12)
                  + pad("\(Int(b.clockHz.value / 1e6)) MHz", 9) + mems + (b.base.map { "  (overlay of \($0))" } ?? ""))
        }
    }
}
