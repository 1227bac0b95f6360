import Foundation
import Targets
import TestSupport
import XCTest

final class BoardCatalogTests: XCTestCase {
    func testAliasesAndBoardFacts() throws {
        let c = try Fixtures.catalog()
        XCTAssertEqual(try c.board(named: "cortex-m4").name, "nucleo-f446re")
        XCTAssertEqual(try c.board(named: "cortex-m33").name, "nucleo-l552ze-q")
        XCTAssertEqual(try c.board(named: "CORTEX-M7").name, "portenta-h7")
        let l5 = try c.board(named: "nucleo-l552ze-q")
        XCTAssertEqual(l5.clockHz.value, 80e6)
        XCTAssertEqual(l5.flashBytes, 512 * 1024)
        XCTAssertEqual(l5.sramBytes, 256 * 1024)
        XCTAssertEqual(try c.board(named: "nucleo-f446re").clockHz.value, 180e6)
        XCTAssertEqual(try c.board(named: "portenta-h7").clockHz.value, 480e6)
    }

    func testEveryCostAndMemoryHasProvenance() throws {
        for b in try Fixtures.catalog().boards {
            XCTAssertEqual(Set(b.costSources.keys), Set(Event.allCases), b.name)
            for (e, s) in b.costSources { XCTAssertFalse(s.isEmpty, "\(b.name) \(e)") }
            for m in b.memories { XCTAssertFalse(m.source.isEmpty) }
            for c in b.caches { XCTAssertFalse(c.source.isEmpty) }
        }
    }

    func testUnknownTargetListsKnownOnes() throws {
        let message = Fixtures.errorMessage { try Fixtures.catalog().board(named: "cortex-m99") }
        XCTAssertTrue(message.hasPrefix("unknown target 'cortex-m99'; known targets: nucleo-f446re, nucleo-l4r5zi, nucleo-l552ze-q, nucleo-l552ze-q-stm32duino, portenta-h7"), message)
    }

    /// Copies targets/ to a temporary directory and rewrites one board (or core) file through `edit`.
    private func brokenCatalogError(file name: String = "boards/nucleo-f446re.json", _ edit: (inout [String: Any]) -> Void) throws -> String {
        let dir = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.targetsDirectory, to: dir.appendingPathComponent("targets"))
        let file = dir.appendingPathComponent("targets/\(name)")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        return Fixtures.errorMessage { try BoardCatalog(directory: dir.appendingPathComponent("targets")) }
            .replacingOccurrences(of: dir.path, with: "")
    }

    func testMissingFieldIsNamedWithFile() throws {
        XCTAssertEqual(try brokenCatalogError { $0["clock_hz"] = nil },
                       "/targets/boards/nucleo-f446re.json: missing field 'clock_hz'")
        XCTAssertEqual(try brokenCatalogError { j in
            var costs = j["memory_costs"] as! [String: Any]
            costs["flash_data_misses"] = ["value": 5]
            j["memory_costs"] = costs
        }, "/targets/boards/nucleo-f446re.json: missing field 'memory_costs.flash_data_misses.source'")
    }

    func testInvalidFieldsAreNamed() throws {
        XCTAssertEqual(try brokenCatalogError { j in
            var mems = j["memories"] as! [[String: Any]]
            mems[1]["kind"] = "dram"
            j["memories"] = mems
        }, "/targets/boards/nucleo-f446re.json: invalid field 'memories[1].kind': 'dram' is not one of flash, sram, tcm, peripheral")
        XCTAssertEqual(try brokenCatalogError { $0["clock_hz"] = ["value": "fast", "source": "x"] },
                       "/targets/boards/nucleo-f446re.json: invalid field 'clock_hz.value': expected a number (decimal, 0x hex, or with K/M/MHz suffix)")
        XCTAssertEqual(try brokenCatalogError { $0["core"] = "cortex-m99" }.hasPrefix("/targets/boards/nucleo-f446re.json: invalid field 'core': no core file"), true)
        XCTAssertEqual(try brokenCatalogError { $0["aliases"] = ["cortex-m33"] },
                       "target name 'cortex-m33' is defined more than once (/targets/boards/nucleo-f446re.json, /targets/boards/nucleo-l552ze-q.json)")
    }

    /// Costs so large that cycle totals would not be whole numbers (a Swift trap when converted)
    /// are refused where they are read, naming the file and field (issue 23).
    func testHugeCostsAreRefusedByName() throws {
        func setting(_ path: [String], _ value: Double) -> (inout [String: Any]) -> Void {
            return { j in
                var o = j[path[0]] as! [String: Any]
                var leaf = o[path[1]] as! [String: Any]
                leaf["value"] = value
                o[path[1]] = leaf
                j[path[0]] = o
            }
        }
        let core = "cores/cortex-m4f.json"
        XCTAssertEqual(try brokenCatalogError(file: core, setting(["costs", "alu"], 1e30)),
                       "/targets/cores/cortex-m4f.json: invalid field 'costs.alu.value': must be at most 1000000.0")
        XCTAssertEqual(try brokenCatalogError(file: core, setting(["divide", "max"], 1e19)),
                       "/targets/cores/cortex-m4f.json: invalid field 'divide.max.value': must be at most 1000000.0")
        XCTAssertEqual(try brokenCatalogError(file: core, setting(["divide", "bits_per_cycle"], 1e-300)),
                       "/targets/cores/cortex-m4f.json: invalid field 'divide.bits_per_cycle': must be at least 0.01")
        XCTAssertEqual(try brokenCatalogError(setting(["memory_costs", "flash_data_misses"], 1e300)),
                       "/targets/boards/nucleo-f446re.json: invalid field 'memory_costs.flash_data_misses.value': must be at most 1000000.0")
    }

    func testAddingABoardNeedsOnlyAFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.targetsDirectory, to: dir.appendingPathComponent("targets"))
        let boards = dir.appendingPathComponent("targets/boards")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: boards.appendingPathComponent("nucleo-f446re.json"))) as! [String: Any]
        json["name"] = "my-f446-at-84mhz"
        json["aliases"] = []
        json["clock_hz"] = ["value": "84MHz", "source": "my board's clock tree"]
        try JSONSerialization.data(withJSONObject: json).write(to: boards.appendingPathComponent("mine.json"))
        // The copied clock set-up makes 180 MHz: the file says so until it is changed or removed.
        XCTAssertThrowsError(try BoardCatalog(directory: dir.appendingPathComponent("targets"))) { e in
            XCTAssertTrue("\(e)".hasSuffix("mine.json: invalid field 'clock_setup.hclk_hz': the steps make the core run at 180000000 Hz but clock_hz is 84000000 Hz"), "\(e)")
        }
        json["clock_setup"] = nil
        json["console"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: boards.appendingPathComponent("mine.json"))
        let b = try BoardCatalog(directory: dir.appendingPathComponent("targets")).board(named: "my-f446-at-84mhz")
        XCTAssertEqual(b.clockHz.value, 84e6)
    }
}

