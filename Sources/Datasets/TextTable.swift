import Foundation

/// Reading numeric text tables (whitespace- or comma-separated) with errors that name file and line.
enum TextTable {
    /// `v` as an Int when it is a whole number in `range` (checked before converting: a label or id
    /// of 1e30 in a file must be an error, not a trap).
    static func whole(_ v: Double, in range: ClosedRange<Int>) -> Int? {
        guard v.isFinite, v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else { return nil }
        return Int(v)
    }

    /// Whether `v` is a number a float32 window can hold (finite, within ±Float.greatestFiniteMagnitude).
    static func isFloat32(_ v: Double) -> Bool { v.isFinite && abs(v) <= Double(Float.greatestFiniteMagnitude) }

    static func contents(_ url: URL) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: url.path) else { throw DatasetError(file: url.path, "missing file") }
        guard let d = FileManager.default.contents(atPath: url.path) else { throw DatasetError(file: url.path, "cannot read file") }
        return [UInt8](d)
    }

    /// Lines of a file as byte slices (without the newline; a final empty line is dropped; CR removed).
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0x0A {
            var end = i
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            out.append(bytes[start..<end])
            start = i + 1
        }
        if start < bytes.count {
            var end = bytes.count
            if bytes[end - 1] == 0x0D { end -= 1 }
            out.append(bytes[start..<end])
        }
        return out
    }

    /// Splits a line into fields on `separator` (nil: runs of spaces/tabs).
    static func fields(_ line: ArraySlice<UInt8>, separator: UInt8?) -> [ArraySlice<UInt8>] {
        if let sep = separator {
            return line.split(separator: sep, omittingEmptySubsequences: false).map { trim($0) }
        }
        return line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
    }

    static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var a = s.startIndex, b = s.endIndex
        while a < b && (s[a] == 0x20 || s[a] == 0x09) { a += 1 }
        while b > a && (s[b - 1] == 0x20 || s[b - 1] == 0x09) { b -= 1 }
        return s[a..<b]
    }

    static func text(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }

    /// A finite number, or an error naming file, line and the field.
    static func number(_ s: ArraySlice<UInt8>, file: String, line: Int, column: Int) throws -> Double {
        guard let v = Double(text(s)) else {
            throw DatasetError(file: file, line: line, "column \(column): '\(text(s).prefix(40))' is not a number")
        }
        guard v.isFinite else { throw DatasetError(file: file, line: line, "column \(column): \(text(s)) is not finite") }
        return v
    }

    /// A numeric table of exactly `columns` columns per non-empty line (`columns` nil: the first line's count).
    static func numbers(_ url: URL, columns expected: Int? = nil, separator: UInt8? = nil) throws -> (rows: Int, columns: Int, values: [Double]) {
        let bytes = try contents(url)
        var values: [Double] = []
        var columns = expected
        var rows = 0
        for (i, line) in lines(bytes).enumerated() {
            let f = fields(line, separator: separator)
            if f.isEmpty || (f.count == 1 && f[0].isEmpty) { continue }
            if columns == nil { columns = f.count }
            guard f.count == columns else {
                throw DatasetError(file: url.path, line: i + 1, "\(f.count) columns, expected \(columns!) (ragged row)")
            }
            for (c, field) in f.enumerated() { values.append(try number(field, file: url.path, line: i + 1, column: c + 1)) }
            rows += 1
        }
        return (rows, columns ?? 0, values)
    }
}
