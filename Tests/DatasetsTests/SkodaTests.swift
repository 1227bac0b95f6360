import CZlib
import Datasets
import Foundation
import TestSupport
import XCTest

/// SkodaR in its published MATLAB level-5 form, on MAT-files the test writes (plain and compressed).
final class SkodaTests: XCTestCase {
    /// A level-5 MAT-file holding one double matrix `name` (rows × cols, column-major `values`).
    static func matFile(name: String, rows: Int, cols: Int, values: [Double], compressed: Bool) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func element(_ type: UInt32, _ data: [UInt8]) -> [UInt8] {
            le(type) + le(UInt32(data.count)) + data + [UInt8](repeating: 0, count: (8 - data.count % 8) % 8)
        }
        var header = Array("MATLAB 5.0 MAT-file, written by micronas tests".utf8)
        header += [UInt8](repeating: 0x20, count: 116 - header.count) + [UInt8](repeating: 0, count: 8) + [0x00, 0x01] + Array("IM".utf8)
        let matrix = element(14, element(6, le(UInt32(6)) + le(UInt32(0))) + element(5, le(Int32(rows)) + le(Int32(cols)))
                             + element(1, Array(name.utf8)) + element(9, values.flatMap { le($0.bitPattern) }))
        guard compressed else { return header + matrix }
        var size = compressBound(uLong(matrix.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = compress(&out, &size, matrix, uLong(matrix.count))
        precondition(status == Z_OK)
        return header + le(UInt32(15)) + le(UInt32(size)) + Array(out[0..<Int(size)])
    }

    /// Rows of (label, 10 × (id, cal x, y, z, raw x, y, z)) with labels in runs.
    static func skodaMatrix(runs: [(label: Double, samples: Int)]) -> (rows: Int, values: [Double]) {
        let rows = runs.reduce(0) { $0 + $1.samples }
        var table = [[Double]](repeating: [], count: rows)
        var r = 0
        for run in runs {
            for _ in 0..<run.samples {
                var row = [run.label]
                for s in 0..<10 { row += [Double(s + 1), Double(r) + Double(s) / 10, -Double(r), Double(s), 999, 999, 999] }
                table[r] = row
                r += 1
            }
        }
        return (rows, (0..<71).flatMap { c in table.map { $0[c] } })
    }

    func testReadsPlainAndCompressedFiles() throws {
        let (rows, values) = Self.skodaMatrix(runs: [(48, 100), (32, 80), (57, 64), (49, 63)])
        for compressed in [false, true] {
            let url = try Fixtures.temporaryDirectory().appendingPathComponent("right_classall_clean.mat")
            try Data(Self.matFile(name: "right_classall_clean", rows: rows, cols: 71, values: values, compressed: compressed)).write(to: url)
            let w = try Skoda.read(url)
            // 100 samples → windows at 0, 32 (2); null dropped; 64 → 1; 63 → 0.
            XCTAssertEqual(w.y, [0, 0, 9], "compressed \(compressed)")
            XCTAssertEqual(w.channels.count, 30)
            XCTAssertEqual(w.length, 64)
            // Window 1 starts at sample 32: sensor 3's calibrated x = 32 + 0.2, y = −32, z = 2.
            XCTAssertEqual(w.x[(1 * 64) * 30 + 2 * 3], 32.2, accuracy: 1e-5)
            XCTAssertEqual(w.x[(1 * 64) * 30 + 2 * 3 + 1], -32)
            XCTAssertEqual(w.x[(1 * 64) * 30 + 2 * 3 + 2], 2)
            let withNull = try Skoda.read(url, includeNull: true)
            XCTAssertEqual(withNull.y, [1, 1, 0, 10])
            XCTAssertEqual(withNull.classes.count, 11)
        }
    }

    func testTemporalSplitKeepsOrder() throws {
        let runs = (0..<40).map { (label: Double(48 + $0 % 10), samples: 96) }
        let (rows, values) = Self.skodaMatrix(runs: runs)
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("right_classall_clean.mat")
        try Data(Self.matFile(name: "right_classall_clean", rows: rows, cols: 71, values: values, compressed: true)).write(to: url)
        let d = try Skoda.read(url).split(.temporal(val: 0.1, test: 0.2))
        XCTAssertEqual(d.count, 80)
        XCTAssertEqual(d.split.map(\.rawValue), [UInt8](repeating: 0, count: 56) + [UInt8](repeating: 1, count: 8) + [UInt8](repeating: 2, count: 16))
    }

    func testBadMATFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let text = dir.appendingPathComponent("notes.mat")
        try Data(repeating: 0x41, count: 200).write(to: text)
        XCTAssertEqual(Fixtures.errorMessage { try Skoda.read(text) },
                       "\(text.path): not a little-endian level-5 MAT-file (no 'IM' endian mark at byte 126)")
        let (rows, values) = Self.skodaMatrix(runs: [(48, 100)])
        let good = Self.matFile(name: "right_classall_clean", rows: rows, cols: 71, values: values, compressed: false)
        let truncated = dir.appendingPathComponent("truncated.mat")
        try Data(good.prefix(good.count - 100)).write(to: truncated)
        XCTAssertTrue(Fixtures.errorMessage { try Skoda.read(truncated) }.contains("runs past the end"))
        let wrongShape = dir.appendingPathComponent("shape.mat")
        try Data(Self.matFile(name: "other", rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6], compressed: false)).write(to: wrongShape)
        XCTAssertEqual(Fixtures.errorMessage { try Skoda.read(wrongShape) },
                       "\(wrongShape.path): no N × 71 matrix (label + 10 sensors × 7 values); found 'other' 2×3")
        let (r2, v2) = Self.skodaMatrix(runs: [(70, 100)])
        let badLabel = dir.appendingPathComponent("label.mat")
        try Data(Self.matFile(name: "right_classall_clean", rows: r2, cols: 71, values: v2, compressed: true)).write(to: badLabel)
        XCTAssertEqual(Fixtures.errorMessage { try Skoda.read(badLabel) }, "\(badLabel.path): unknown label 70.0 (32 null, 48–57 gestures)")
        var corrupt = Self.matFile(name: "right_classall_clean", rows: rows, cols: 71, values: values, compressed: true)
        for i in 140..<160 { corrupt[i] ^= 0x5A }
        let corruptURL = dir.appendingPathComponent("corrupt.mat")
        try Data(corrupt).write(to: corruptURL)
        XCTAssertTrue(Fixtures.errorMessage { try Skoda.read(corruptURL) }.contains("corrupt compressed element"))
    }
}
