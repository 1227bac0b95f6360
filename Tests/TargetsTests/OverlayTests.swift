import Foundation
import Targets
import TestSupport
import XCTest

/// Board overlays (`"base"` + overridden fields, each with its source), catalog layers, and the
/// board-file checks that keep firmware linkable.
final class OverlayTests: XCTestCase {
    func layered(_ files: [String: Any], cores: [String: Any] = [:]) throws -> (BoardCatalog?, String) {
        try layeredCatalog(files, cores: cores)
    }

    func testShippedOverlayChangesOnlyWhatItSays() throws {
        let c = try Fixtures.catalog()
        let base = try c.board(named: "nucleo-l552ze-q"), duino = try c.board(named: "nucleo-l552ze-q-stm32duino")
        XCTAssertEqual(duino.base, "nucleo-l552ze-q")
        XCTAssertEqual(duino.clockHz.value, 110e6)
        XCTAssertTrue(duino.clockHz.source.contains("STM32duino"))
        XCTAssertEqual(duino.caches[0].ways, 1)
        XCTAssertEqual(duino.caches[0].lines, base.caches[0].lines)
        XCTAssertTrue(duino.caches[0].source.contains("1-way"))
        XCTAssertEqual(duino.memoryCosts[.flashDataMisses]?.value, 5)
        XCTAssertEqual(duino.memoryCosts[.sramDataMisses], base.memoryCosts[.sramDataMisses])
        XCTAssertEqual(duino.memories, base.memories)
        XCTAssertEqual(duino.core, base.core)
        XCTAssertEqual(duino.aliases, [], "an overlay does not inherit aliases (they would clash)")
        let l4 = try c.board(named: "nucleo-l4r5zi")
        XCTAssertEqual(l4.clockHz.value, 120e6)
        XCTAssertEqual(l4.firmwareRAM.size, 640 * 1024)
        XCTAssertEqual(l4.flashBytes, 2 << 20)
    }

    func testOverlayInAnotherLayerAndCoreOverride() throws {
        let (catalog, error) = try layered(["fast": [
            "name": "f446-fast-alu", "base": "cortex-m4",
            "core": ["costs": ["alu": ["value": 0.5, "source": "test: calibrated"]]],
            "runtime_reserve": ["value": "16K", "source": "test: a bigger stack"],
        ]])
        let c = try XCTUnwrap(catalog, error)
        let b = try c.board(named: "f446-fast-alu")
        XCTAssertEqual(b.core.costs[.alu]?.value, 0.5)
        XCTAssertEqual(b.core.costs[.mul], try c.board(named: "nucleo-f446re").core.costs[.mul])
        XCTAssertEqual(b.runtimeReserve.value, 16 * 1024)
        XCTAssertEqual(try c.board(named: "nucleo-f446re").core.costs[.alu]?.value, 1, "the base is untouched")
    }

    func testBadOverlaysNameFileAndField() throws {
        XCTAssertEqual(try layered(["x": ["name": "x", "base": "nucleo-f999"]]).1,
                       "DIR/boards/x.json: invalid field 'base': no board 'nucleo-f999' in \(Fixtures.targetsDirectory.path)/boards or DIR/boards")
        XCTAssertEqual(try layered(["a": ["name": "a", "base": "b"], "b": ["name": "b", "base": "a"]]).1,
                       "DIR/boards/b.json: invalid field 'base': the bases form a cycle: a.json → b.json → a.json")
        XCTAssertEqual(try layered(["x": ["name": "dup", "base": "cortex-m4"], "y": ["name": "dup", "base": "cortex-m7"]]).1,
                       "target name 'dup' is defined more than once (DIR/boards/x.json, DIR/boards/y.json)")
        XCTAssertNotNil(try layered(["x": ["name": "nucleo-f446re", "base": "nucleo-f446re", "clock_hz": ["value": "84MHz", "source": "mine"]]]).0,
                        "a higher folder may shadow a board, even overlaying it")
        XCTAssertEqual(try layered(["x": ["name": "x", "base": "cortex-m4", "clock_mhz": 100]]).1,
                       "DIR/boards/x.json: invalid field 'clock_mhz': the base board has no such field")
        XCTAssertEqual(try layered(["x": ["name": "x", "base": "cortex-m4", "clock_hz": ["value": "100MHz"]]]).1,
                       "DIR/boards/x.json: invalid field 'clock_hz.source': an overlay that changes 'clock_hz' must give the new value's source")
        XCTAssertEqual(try layered(["x": ["name": "x", "base": "cortex-m4", "caches": [["name": "l2", "ways": 2, "source": "s"]]]]).1,
                       "DIR/boards/x.json: invalid field 'caches[0].name': the base board has no caches entry 'l2'")
        XCTAssertEqual(try layered(["x": ["name": "x", "base": "cortex-m4", "memory_costs": ["flash_data_misses": 3]]]).1,
                       "DIR/boards/x.json: invalid field 'memory_costs.flash_data_misses': expected an object, as in the base board")
        XCTAssertEqual(try layered(["x": ["name": "x", "base": "cortex-m4", "caches": [["name": "art-icache", "ways": 3, "source": "s"]]]]).1,
                       "DIR/boards/x.json: invalid field 'caches[0].ways': lines / ways must be a power of two")
    }

    func testMemoryMapsThatCannotHoldFirmware() throws {
        var f446 = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.targetsDirectory.appendingPathComponent("boards/nucleo-f446re.json"))) as? [String: Any])
        f446["aliases"] = []
        func error(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var b = f446
            b["name"] = "mine"
            edit(&b)
            return try layered(["mine": b]).1
        }
        XCTAssertEqual(try error { b in
            var m = b["memories"] as! [[String: Any]]
            m[1]["base"] = "0x08040000"
            b["memories"] = m
        }, "DIR/boards/mine.json: invalid field 'memories': 'flash' and 'sram' overlap")
        XCTAssertEqual(try error { b in
            var m = b["memories"] as! [[String: Any]]
            m[1]["size"] = "12K"
            b["memories"] = m
        }, "DIR/boards/mine.json: invalid field 'memories': RAM region 'sram' (12288 bytes) leaves no room beside the 12288-byte runtime reserve (stack and heap) for data")
        XCTAssertEqual(try error { $0["runtime_reserve"] = ["value": "200K", "source": "x"] },
                       "DIR/boards/mine.json: invalid field 'runtime_reserve.value': RAM region 'sram' (131072 bytes) leaves no room beside the 204800-byte runtime reserve (stack and heap) for data")
        XCTAssertEqual(try error { $0["boot_address"] = ["value": "0x30000000", "source": "x"] },
                       "DIR/boards/mine.json: invalid field 'boot_address.value': 0x30000000 lies in no flash or tcm region of 'memories'")
    }

    /// The generated memory map: FLASH from the boot address to the end of its region, RAM = the
    /// firmware RAM region (the one holding 0x2000_0000 on every shipped board).
    func testLinkerScriptFollowsTheMemoryMap() throws {
        let c = try Fixtures.catalog()
        let h7 = LinkerScript.text(for: try c.board(named: "portenta-h7"))
        XCTAssertTrue(h7.contains("FLASH (rx)  : ORIGIN = 0x8000000, LENGTH = 0x200000"), h7)
        XCTAssertTrue(h7.contains("RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 0x20000"), h7)
        XCTAssertTrue(h7.contains("INCLUDE common.ld"))
        let l4 = LinkerScript.text(for: try c.board(named: "nucleo-l4r5zi"))
        XCTAssertTrue(l4.contains("RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 0xA0000"), l4)
    }
}

/// A catalog of the repository's targets/ plus a layer holding only `files` (name → JSON object) in
/// boards/ (and `cores` in cores/); or nil and the error, with the layer's folder written DIR.
func layeredCatalog(_ files: [String: Any], cores: [String: Any] = [:]) throws -> (BoardCatalog?, String) {
    let dir = try Fixtures.temporaryDirectory()
    let boards = dir.appendingPathComponent("boards"), coreDir = dir.appendingPathComponent("cores")
    try FileManager.default.createDirectory(at: boards, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: coreDir, withIntermediateDirectories: true)
    for (name, json) in files { try JSONSerialization.data(withJSONObject: json).write(to: boards.appendingPathComponent(name + ".json")) }
    for (name, json) in cores { try JSONSerialization.data(withJSONObject: json).write(to: coreDir.appendingPathComponent(name + ".json")) }
    do {
        return (try BoardCatalog(directories: [Fixtures.targetsDirectory, dir]), "")
    } catch {
        return (nil, "\(error)".replacingOccurrences(of: dir.path, with: "DIR"))
    }
}
