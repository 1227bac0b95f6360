import Foundation
import Support
import TestSupport
import XCTest

final class SupportTests: XCTestCase {
    /// Values from an independent implementation (Python, the FNV-1a definition with the separator byte).
    func testFNV1aMatchesTheDefinition() {
        var h = FNV1a()
        h.add("abc"); h.add("de")
        XCTAssertEqual(h.value, 0x664F_AAA4_E67A_6B78)
        var empty = FNV1a()
        empty.add("")
        XCTAssertEqual(empty.value, 0xAF64_724C_8602_EB6E)
        var joined = FNV1a()
        joined.add("abcde")
        XCTAssertEqual(joined.value, 0xD80B_633F_BE23_7FD5, "a different split hashes differently")
    }

    func testAtomicFileAndFolder() throws {
        let dir = try Fixtures.temporaryDirectory()
        let file = dir.appendingPathComponent("a.txt")
        try AtomicWrite.file(Data("one".utf8), to: file)
        try AtomicWrite.file(Data("two".utf8), to: file)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "two")
        XCTAssertEqual(Fixtures.errorMessage { try AtomicWrite.file(Data(), to: dir.appendingPathComponent("no/such/b.txt")) },
                       "cannot write \(dir.path)/no/such/b.txt: directory \(dir.path)/no/such does not exist")
        let folder = dir.appendingPathComponent("out")
        try AtomicWrite.folder(at: folder, replacing: false) { try Data("x".utf8).write(to: $0.appendingPathComponent("x")) }
        XCTAssertEqual(Fixtures.errorMessage { try AtomicWrite.folder(at: folder, replacing: false) { _ in } },
                       "\(folder.path) exists; pass --force to replace it")
        // A fill that fails leaves the old folder and no temporary behind.
        struct Stop: Error {}
        XCTAssertThrowsError(try AtomicWrite.folder(at: folder, replacing: true) { t in
            try Data("y".utf8).write(to: t.appendingPathComponent("y")); throw Stop()
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["x"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["a.txt", "out"])
        try AtomicWrite.folder(at: folder, replacing: true) { try Data("y".utf8).write(to: $0.appendingPathComponent("y")) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["y"])
        // A cached folder is built once.
        let cached = dir.appendingPathComponent("cache/deep/k")
        var builds = 0
        for _ in 0..<2 { try AtomicWrite.cachedFolder(at: cached) { _ in builds += 1 } }
        XCTAssertEqual(builds, 1)
    }

    func testSubprocess() throws {
        let r = try Subprocess.run("sh", ["-c", "cat; echo err >&2; exit 3"], stdin: Array("in".utf8))
        XCTAssertEqual(r.status, 3)
        XCTAssertEqual(r.stdout, Array("in".utf8))
        XCTAssertEqual(r.stderr, "err\n")
        XCTAssertEqual(Fixtures.errorMessage { try Subprocess.run("no-such-tool-micronas", []) },
                       "no-such-tool-micronas not found on PATH (run `make setup`)")
    }

    func testCacheDirectory() {
        XCTAssertEqual(CacheDirectory.root(environment: ["MICRONAS_CACHE": "/x/y"]).path, "/x/y")
        XCTAssertEqual(CacheDirectory.root(environment: ["XDG_CACHE_HOME": "/c"]).path, "/c/micronas")
    }
}
