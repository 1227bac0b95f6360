import Emulator
import Foundation
import TestSupport
import XCTest

/// A board is a data file: one JSON file in a folder layered on the repository's targets/ (no
/// linker script, no code) is enough to build for it, profile a model on it and characterize a
/// space on it. And micronas writes only under $MICRONAS_CACHE, never into the checkout.
final class NewBoardTests: XCTestCase {
    /// An STM32L432-like board (256 KB flash, 64 KB SRAM at 0x2000_0000) using the repository's Cortex-M4F core file.
    func boardFolder() throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        let boards = dir.appendingPathComponent("boards")
        try FileManager.default.createDirectory(at: boards, withIntermediateDirectories: true)
        let board: [String: Any] = [
            "name": "my-m4-board", "mcu": "STM32L432KC", "core": "cortex-m4f",
            "clock_hz": ["value": "80MHz", "source": "test board"],
            "boot_address": ["value": "0x08000000", "source": "test board"],
            "compiler_flags": ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
            "memories": [
                ["name": "flash", "kind": "flash", "base": "0x08000000", "size": "256K", "source": "test board"],
                ["name": "sram1", "kind": "sram", "base": "0x20000000", "size": "64K", "source": "test board"],
                ["name": "peripherals", "kind": "peripheral", "base": "0x40000000", "size": "0x20000000", "source": "test board"],
            ],
            "memory_costs": [
                "flash_data_reads": ["value": 0, "source": "test"], "flash_data_misses": ["value": 4, "source": "test"],
                "fetch_branch_misses": ["value": 4, "source": "test"], "fetch_sequential_misses": ["value": 4, "source": "test"],
                "sram_data_misses": ["value": 0, "source": "test"],
            ],
        ]
        try JSONSerialization.data(withJSONObject: board).write(to: boards.appendingPathComponent("my-m4-board.json"))
        return dir
    }

    func micronas(_ args: [String], cache: URL, in directory: URL? = nil) throws -> Fixtures.Outcome {
        try Fixtures.capture(Fixtures.micronas, args, environment: ["MICRONAS_CACHE": cache.path], in: directory)
    }

    func testOneJSONFileIsABoard() throws {
        let folder = try boardFolder(), cache = try Fixtures.temporaryDirectory()
        let targets = try micronas(["targets", "--targets-dir", folder.path, "--json"], cache: cache)
        XCTAssertEqual(targets.status, 0, targets.stderr)
        XCTAssertTrue(targets.stdout.contains("\"my-m4-board\""), targets.stdout)
        // Firmware linked from the board's memory map: the vector table's initial SP is the top of its 64 KB of SRAM.
        let hello = Fixtures.root.appendingPathComponent("kernels/harness/examples/hello.c").path
        let built = try micronas(["build", "--targets-dir", folder.path, "--target", "my-m4-board", hello], cache: cache)
        XCTAssertEqual(built.status, 0, built.stderr)
        let image = try ELFImage(path: built.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let vectors = try XCTUnwrap(image.segments.first { $0.address == 0x0800_0000 })
        XCTAssertEqual(vectors.data.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }, 0x2001_0000)
        let run = try micronas(["emulate", "--targets-dir", folder.path, "--target", "my-m4-board", image.path], cache: cache)
        XCTAssertEqual(run.status, 0, run.stderr)
        let model = Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures/har_cnn_int8.tflite").path
        let profile = try micronas(["profile", "--targets-dir", folder.path, "--target", "my-m4-board", model, "--samples", "1", "--json"], cache: cache)
        XCTAssertEqual(profile.status, 0, profile.stderr)
        let p = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(profile.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(p["ram_region_bytes"] as? Int, 64 * 1024)
        XCTAssertEqual(p["target"] as? String, "my-m4-board")
        let table = cache.appendingPathComponent("t.sqlite").path
        let characterize = try micronas(["characterize", "--targets-dir", folder.path, "--emulate", "my-m4-board", "--window", "32x10", "--classes", "3",
                                         "--time-reduce-filters", "8/4", "--sensor-fusion-filters", "16/8", "--stride1-cells", "1", "--table", table, "--json"], cache: cache)
        XCTAssertEqual(characterize.status, 0, characterize.stderr)
        let c = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(characterize.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(c["entries"] as? Int, c["configurations"] as? Int)
        XCTAssertNotNil(c["overhead_cycles"])
    }

    /// Builds, profiles and a characterization leave the checkout as it was: nothing new or modified
    /// outside .git, and nothing new inside .build (where the old kernel cache used to go).
    func testCommandsLeaveTheCheckoutAlone() throws {
        let fm = FileManager.default
        let root = Fixtures.root, cache = try Fixtures.temporaryDirectory(), work = try Fixtures.temporaryDirectory()
        let buildEntries = Set((try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(".build").path)) ?? [])
        let started = Date().addingTimeInterval(-1)
        let model = root.appendingPathComponent("Tests/DeployTests/Fixtures/residual_int8.tflite").path
        for args in [["profile", "--target", "cortex-m33", model, "--samples", "1"],
                     ["build", "--target", "cortex-m7", root.appendingPathComponent("bench/emulator/dotloop.c").path],
                     ["kernels", "bench", "--target", "cortex-m4", "--filter", "softmax"],
                     ["characterize", "--emulate", "cortex-m4", "--window", "32x10", "--classes", "3", "--time-reduce-filters", "8/4",
                      "--sensor-fusion-filters", "16/8", "--stride1-cells", "1"]] {
            let r = try micronas(args, cache: cache, in: work)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
        }
        XCTAssertEqual(Set((try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(".build").path)) ?? []), buildEntries)
        var touched: [String] = []
        let e = fm.enumerator(at: root, includingPropertiesForKeys: [.contentModificationDateKey], options: [])!
        for case let url as URL in e {
            let rel = url.path.dropFirst(root.path.count + 1)
            if rel == ".git" || rel == ".build" || rel == ".venv" { e.skipDescendants(); continue }
            if let d = try url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate, d > started { touched.append(String(rel)) }
        }
        XCTAssertEqual(touched, [], "written into the checkout")
        XCTAssertTrue(fm.fileExists(atPath: cache.appendingPathComponent("builds").path))
        XCTAssertTrue(fm.fileExists(atPath: cache.appendingPathComponent("characterization/lookup.sqlite").path))
    }
}
