import Foundation
import Support
import XCTest

/// SHA-256 against coreutils' sha256sum (an independent implementation) and FIPS 180-4's examples.
final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testAgreesWithSha256sumOnEveryLengthAroundABlock() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var g = SystemRandomNumberGenerator()
        var files: [(URL, String)] = []
        for n in [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 70_001] {
            let data = Data((0..<n).map { _ in UInt8.random(in: 0...255, using: &g) })
            let url = dir.appendingPathComponent("f\(n)")
            try data.write(to: url)
            files.append((url, try SHA256.hex(file: url)))
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = files.map { $0.0.path }
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, files.count)
        for (line, (url, ours)) in zip(lines, files) {
            XCTAssertEqual(String(line.split(separator: " ")[0]), ours, url.lastPathComponent)
        }
    }
}
