import Foundation

/// Cycle traces: what a board (or the emulator) measured for timed regions of one firmware image.
///
/// Two forms are read (format documented in `traces/README.md`):
/// - **JSON lines**, version 1: a header object (`"format": "micronas-trace"`, board, clock, the
///   firmware's path and SHA-256, where the trace came from), then one object per timed region:
///   `{"region": "alu_x8", "cycles": 772}` or the two raw counter values
///   `{"region": …, "start": 4294967000, "end": 480}` (the delta is taken modulo 2³², so a counter
///   that wrapped between the reads still gives the right figure), with an optional `"repeat"`
///   (how many times the region's body ran: informational).
/// - **A serial log** as the suite firmware prints it: `<region>: <cycles> cycles` lines (what a
///   user captures from semihosting or a UART); blank lines and lines starting with `#` are skipped.
public struct Trace: Sendable, Equatable {
    public static let format = "micronas-trace"
    public static let version = 1

    public struct Firmware: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public init(path: String, sha256: String) { (self.path, self.sha256) = (path, sha256) }
    }

    /// Where a trace came from.
    public struct Origin: Codable, Sendable, Equatable {
        /// "board" (a real board) or "emulator".
        public var kind: String
        /// Debug probe or serial adapter (real boards).
        public var probe: String?
        public var toolchain: String?
        /// When it was recorded (ISO 8601).
        public var date: String?
        public var notes: String?
        public init(kind: String, probe: String? = nil, toolchain: String? = nil, date: String? = nil, notes: String? = nil) {
            (self.kind, self.probe, self.toolchain, self.date, self.notes) = (kind, probe, toolchain, date, notes)
        }
    }

    public struct Header: Codable, Sendable, Equatable {
        public var format: String
        public var version: Int
        public var board: String
        public var clockHz: Double
        public var firmware: Firmware
        public var origin: Origin

        public init(board: String, clockHz: Double, firmware: Firmware, origin: Origin) {
            (self.format, self.version, self.board, self.clockHz, self.firmware, self.origin) = (Trace.format, Trace.version, board, clockHz, firmware, origin)
        }

        enum CodingKeys: String, CodingKey { case format, version, board, clockHz = "clock_hz", firmware, origin }
    }

    /// One timed region as measured.
    public struct Record: Sendable, Equatable {
        public var region: String
        /// The DWT->CYCCNT delta (0 … 2³² − 1).
        public var cycles: UInt32
        public var repeatCount: Int?
        /// Where it was read from (1-based line).
        public var line: Int
        public init(region: String, cycles: UInt32, repeatCount: Int? = nil, line: Int) {
            (self.region, self.cycles, self.repeatCount, self.line) = (region, cycles, repeatCount, line)
        }
    }

    /// nil for a serial log (it has no header: the suite's manifest says which firmware it is).
    public var header: Header?
    public var records: [Record]
    /// The file it was read from.
    public var file: String

    public init(header: Header?, records: [Record], file: String) {
        (self.header, self.records, self.file) = (header, records, file)
    }

    /// A region name: printable, no colon (the serial form splits on it), at most 200 characters.
    static func checkName(_ name: String, file: String, line: Int) throws {
        guard !name.isEmpty, name.count <= 200 else { throw CalibrationError(file: file, line: line, "region name must be 1 to 200 characters") }
        guard !name.contains(":"), name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw CalibrationError(file: file, line: line, "region name '\(name.prefix(40))' holds a colon or a control character")
        }
    }

    /// Reads a JSON-lines trace or a serial log, by content: a first non-blank line starting with `{` is JSON lines.
    public static func read(_ url: URL) throws -> Trace {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw CalibrationError(file: url.path, "cannot read (\(error.localizedDescription))") }
        guard let text = String(data: data, encoding: .utf8) else { throw CalibrationError(file: url.path, "not UTF-8 text") }
        let first = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }
        if first?.drop(while: \.isWhitespace).first == "{" { return try jsonLines(text, file: url.path) }
        return try serialLog(text, file: url.path)
    }

    /// Lines split at LF, CRLF (one Character in Swift) or CR, as a serial terminal may save them.
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }

    /// A `<region>: <count> cycles` line split into the region (trimmed) and the count's text;
    /// nil for a line of any other form. (The firmware's printed lines and serial logs alike.)
    static func regionLine<S: StringProtocol>(_ line: S) -> (name: String, count: String)? {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard let colon = t.lastIndex(of: ":") else { return nil }
        let rest = t[t.index(after: colon)...].split(separator: " ")
        guard rest.count == 2, rest[1] == "cycles" else { return nil }
        return (t[..<colon].trimmingCharacters(in: .whitespaces), String(rest[0]))
    }

    /// The name of the k-th (from 1) region printed as `name`: `name`, then `name@2`, `name@3`, …
    static func occurrence(_ name: String, _ k: Int) -> String { k == 1 ? name : "\(name)@\(k)" }

    /// `<region>: <cycles> cycles` lines.
    public static func serialLog(_ text: String, file: String) throws -> Trace {
        var records: [Record] = []
        for (i, line) in lines(text).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let (name, count) = regionLine(trimmed) else {
                throw CalibrationError(file: file, line: i + 1, "not a `<region>: <cycles> cycles` line: '\(trimmed.prefix(60))'")
            }
            try checkName(name, file: file, line: i + 1)
            records.append(Record(region: name, cycles: try cycleCount(count, file: file, line: i + 1), line: i + 1))
        }
        guard !records.isEmpty else { throw CalibrationError(file: file, "no `<region>: <cycles> cycles` lines") }
        return Trace(header: nil, records: records, file: file)
    }

    /// A decimal cycle count of a region: 1 … 2³² − 1 (a DWT->CYCCNT delta; 0 cannot be a timed region).
    static func cycleCount(_ text: String, file: String, line: Int) throws -> UInt32 {
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt64(text) else {
            throw CalibrationError(file: file, line: line, "cycles '\(text.prefix(30))' is not a whole number")
        }
        guard v > 0 else { throw CalibrationError(file: file, line: line, "zero cycles: a timed region takes at least one") }
        guard v <= UInt64(UInt32.max) else { throw CalibrationError(file: file, line: line, "cycles \(v) exceed the 32-bit DWT->CYCCNT") }
        return UInt32(v)
    }

    public static func jsonLines(_ text: String, file: String) throws -> Trace {
        var header: Header?
        var records: [Record] = []
        for (i, raw) in lines(text).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let object: [String: Any]
            do {
                guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw CalibrationError(file: file, line: i + 1, "expected a JSON object")
                }
                object = o
            } catch let e as CalibrationError { throw e } catch {
                throw CalibrationError(file: file, line: i + 1, "not JSON")
            }
            if header == nil {
                header = try parseHeader(object, file: file, line: i + 1)
                continue
            }
            records.append(try parseRecord(object, file: file, line: i + 1))
        }
        guard let h = header else { throw CalibrationError(file: file, "empty trace: no header line") }
        guard !records.isEmpty else { throw CalibrationError(file: file, "the trace has a header but no regions") }
        return Trace(header: h, records: records, file: file)
    }

    static func parseHeader(_ o: [String: Any], file: String, line: Int) throws -> Header {
        func string(_ key: String, in d: [String: Any], _ path: String) throws -> String {
            guard let s = d[key] as? String, !s.isEmpty else { throw CalibrationError(file: file, line: line, "header field '\(path)' must be a non-empty string") }
            return s
        }
        guard (o["format"] as? String) == Trace.format else {
            throw CalibrationError(file: file, line: line, "the first line is not a micronas trace header (\"format\": \"\(Trace.format)\")")
        }
        guard let version = o["version"] as? NSNumber, version.doubleValue == Double(Trace.version) else {
            throw CalibrationError(file: file, line: line, "header field 'version': this micronas reads version \(Trace.version) traces")
        }
        let board = try string("board", in: o, "board")
        guard let clock = (o["clock_hz"] as? NSNumber)?.doubleValue, clock.isFinite, clock >= 1e3, clock <= 1e10 else {
            throw CalibrationError(file: file, line: line, "header field 'clock_hz' must be a number of hertz between 1e3 and 1e10")
        }
        guard let fw = o["firmware"] as? [String: Any] else { throw CalibrationError(file: file, line: line, "header field 'firmware' must be an object with 'path' and 'sha256'") }
        let sha = try string("sha256", in: fw, "firmware.sha256").lowercased()
        guard sha.count == 64, sha.allSatisfy(\.isHexDigit) else { throw CalibrationError(file: file, line: line, "header field 'firmware.sha256' must be 64 hex digits") }
        guard let origin = o["origin"] as? [String: Any] else { throw CalibrationError(file: file, line: line, "header field 'origin' must be an object with 'kind' (board or emulator)") }
        let kind = try string("kind", in: origin, "origin.kind")
        guard kind == "board" || kind == "emulator" else { throw CalibrationError(file: file, line: line, "header field 'origin.kind' must be \"board\" or \"emulator\", not '\(kind.prefix(30))'") }
        return Header(board: board, clockHz: clock, firmware: Firmware(path: try string("path", in: fw, "firmware.path"), sha256: sha),
                      origin: Origin(kind: kind, probe: origin["probe"] as? String, toolchain: origin["toolchain"] as? String,
                                     date: origin["date"] as? String, notes: origin["notes"] as? String))
    }

    static func parseRecord(_ o: [String: Any], file: String, line: Int) throws -> Record {
        guard let name = o["region"] as? String else { throw CalibrationError(file: file, line: line, "a region record needs a string 'region'") }
        try checkName(name, file: file, line: line)
        func whole(_ key: String, max: Double) throws -> UInt64? {
            guard let v = o[key] else { return nil }
            guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else { throw CalibrationError(file: file, line: line, "'\(key)' must be a number") }
            let d = n.doubleValue
            guard d.isFinite, d >= 0, d <= max, d == d.rounded() else { throw CalibrationError(file: file, line: line, "'\(key)' \(n) is not a whole number in 0…\(UInt64(max))") }
            return UInt64(d)
        }
        let cycles: UInt32
        if let c = try whole("cycles", max: Double(UInt32.max)) {
            guard o["start"] == nil, o["end"] == nil else { throw CalibrationError(file: file, line: line, "give either 'cycles' or 'start' and 'end', not both") }
            cycles = UInt32(c)
        } else if let s = try whole("start", max: Double(UInt32.max)), let e = try whole("end", max: Double(UInt32.max)) {
            cycles = UInt32(truncatingIfNeeded: e) &- UInt32(truncatingIfNeeded: s)
        } else {
            throw CalibrationError(file: file, line: line, "region '\(name.prefix(40))' needs 'cycles' (or 'start' and 'end' counter values)")
        }
        guard cycles > 0 else { throw CalibrationError(file: file, line: line, "region '\(name.prefix(40))': zero cycles (a timed region takes at least one)") }
        var repeatCount: Int?
        if let r = try whole("repeat", max: 1e12) {
            guard r >= 1 else { throw CalibrationError(file: file, line: line, "'repeat' must be at least 1") }
            repeatCount = Int(r)
        }
        return Record(region: name, cycles: cycles, repeatCount: repeatCount, line: line)
    }

    /// The trace as JSON lines (header first).
    public func jsonLines() throws -> Data {
        guard let header else { throw CalibrationError(file: file, "a serial log has no header to write") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = try encoder.encode(header)
        out.append(0x0A)
        for r in records {
            var o: [String: Any] = ["region": r.region, "cycles": Int(r.cycles)]
            if let n = r.repeatCount { o["repeat"] = n }
            out.append(try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]))
            out.append(0x0A)
        }
        return out
    }
}
