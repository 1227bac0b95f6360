import Foundation
import Targets
import TestSupport
import XCTest

/// Board files' `clock_setup` and `console`: read with every field checked, dropped by an overlay
/// that changes the clock without giving its own, and generated into C.
final class BoardSetupTests: XCTestCase {
    func layered(_ files: [String: Any]) throws -> (BoardCatalog?, String) { try layeredCatalog(files) }

    func testF446ClockSetupAndConsole() throws {
        let b = try Fixtures.catalog().board(named: "nucleo-f446re")
        let clock = try XCTUnwrap(b.clockSetup), uart = try XCTUnwrap(b.console)
        XCTAssertEqual(clock.hclkHz, b.clockHz.value)
        XCTAssertEqual(clock.steps.last?.operation, .wait, "the set-up ends by waiting for the PLL to drive the system clock")
        XCTAssertTrue(clock.steps.allSatisfy { !$0.source.isEmpty && $0.address % 4 == 0 })
        XCTAssertEqual(uart.name, "USART2")
        XCTAssertEqual(uart.baud, 115_200)
        let source = BoardSetupSource.text(for: b)
        XCTAssertTrue(source.contains("int mn_board_clock(void) { return mn_board_run(mn_clock_steps, \(clock.steps.count)); }"), source)
        XCTAssertTrue(source.contains("{1, 0x40023840u, 0x10000000u, 0x10000000u}, /* modify RCC_APB1ENR.PWREN:"), source)
        // The L552 has both; its STM32duino overlay (110 MHz) drops them.
        let c = try Fixtures.catalog()
        XCTAssertEqual(try c.board(named: "nucleo-l552ze-q").clockSetup?.hclkHz, 80e6)
        XCTAssertEqual(try c.board(named: "nucleo-l552ze-q").console?.name, "LPUART1")
        XCTAssertNil(try c.board(named: "nucleo-l552ze-q-stm32duino").clockSetup)
        XCTAssertNil(try c.board(named: "nucleo-l552ze-q-stm32duino").console)
        let l4r5 = try c.board(named: "nucleo-l4r5zi")
        XCTAssertEqual(l4r5.clockSetup?.hclkHz, 120e6)
        XCTAssertTrue(l4r5.clockSetup?.steps.contains { $0.operation == .delay && $0.value == 120 } == true, "1 us at 60 MHz before HCLK is restored")
        XCTAssertTrue(BoardSetupSource.text(for: l4r5).contains("{3, 0x0u, 0x0u, 0x78u}, /* delay 1 us at 60 MHz:"))
        // A board without them gets stubs.
        let h7 = BoardSetupSource.text(for: try Fixtures.catalog().board(named: "portenta-h7"))
        XCTAssertTrue(h7.contains("int mn_board_clock(void) { return -2; }"))
    }

    func testOverlayChangingTheClockDropsTheSteps() throws {
        let (catalog, error) = try layered([
            "slow": ["name": "f446-84", "base": "nucleo-f446re", "clock_hz": ["value": "84MHz", "source": "test"]],
            "same": ["name": "f446-reserve", "base": "nucleo-f446re", "runtime_reserve": ["value": "16K", "source": "test"]],
        ])
        let c = try XCTUnwrap(catalog, error)
        XCTAssertNil(try c.board(named: "f446-84").clockSetup, "steps written for 180 MHz do not give 84 MHz")
        XCTAssertNil(try c.board(named: "f446-84").console, "nor the baud divisor of its console")
        XCTAssertEqual(try c.board(named: "f446-reserve").clockSetup, try c.board(named: "nucleo-f446re").clockSetup)
        XCTAssertEqual(try c.board(named: "f446-reserve").console, try c.board(named: "nucleo-f446re").console)
    }

    func testBadStepsAreNamed() throws {
        var f446 = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.targetsDirectory.appendingPathComponent("boards/nucleo-f446re.json"))) as? [String: Any])
        f446["aliases"] = []
        f446["name"] = "mine"
        func error(_ section: String = "clock_setup", step: Int = 0, _ edit: (inout [String: Any]) -> Void) throws -> String {
            var b = f446
            var s = b[section] as! [String: Any]
            var steps = s["steps"] as! [[String: Any]]
            edit(&steps[step])
            s["steps"] = steps
            b[section] = s
            return try layered(["mine": b]).1
        }
        func sectionError(_ section: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
            var b = f446
            var s = b[section] as! [String: Any]
            edit(&s)
            b[section] = s
            return try layered(["mine": b]).1
        }
        XCTAssertEqual(try error { $0["do"] = "poke" },
                       "DIR/boards/mine.json: invalid field 'clock_setup.steps[0].do': 'poke' is not one of write, modify, wait, delay")
        XCTAssertEqual(try error { $0["address"] = "0x40023842" },
                       "DIR/boards/mine.json: invalid field 'clock_setup.steps[0].address': a register address must be word-aligned")
        XCTAssertEqual(try error { $0["address"] = "0x20000000" },
                       "DIR/boards/mine.json: invalid field 'clock_setup.steps[0].address': 0x20000000 lies in no peripheral region of 'memories'")
        XCTAssertEqual(try error { $0["value"] = "0x30000000" },
                       "DIR/boards/mine.json: invalid field 'clock_setup.steps[0].value': sets bits outside 'mask'")
        XCTAssertEqual(try error(step: 2) { $0["mask"] = "0xFF" },
                       "DIR/boards/mine.json: invalid field 'clock_setup.steps[2].mask': a write sets the whole register; use 'modify' for some bits")
        XCTAssertEqual(try error("console", step: 1) { $0["value"] = "-1" },
                       "DIR/boards/mine.json: invalid field 'console.steps[1].value': expected a 32-bit address")
        XCTAssertEqual(try error(step: 8) { $0["mask"] = "0x00030000" },
                       "DIR/boards/mine.json: invalid field 'clock_setup.steps[8].value': waits for bits of 0x40007004 that step 6 waits for with other values")
        XCTAssertEqual(try sectionError("clock_setup") { $0["hclk_hz"] = 168_000_000 },
                       "DIR/boards/mine.json: invalid field 'clock_setup.hclk_hz': the steps make the core run at 168000000 Hz but clock_hz is 180000000 Hz")
        XCTAssertEqual(try sectionError("console") { $0["tx_data"] = "0x40004400" },
                       "DIR/boards/mine.json: invalid field 'console.tx_data': must differ from 'status'")
        XCTAssertEqual(try sectionError("console") { $0["baud"] = 0 },
                       "DIR/boards/mine.json: invalid field 'console.baud': expected a positive integer")
        XCTAssertEqual(try sectionError("console") { $0["steps"] = [Any]() },
                       "DIR/boards/mine.json: invalid field 'console.steps': at least one step is required")
    }
}
