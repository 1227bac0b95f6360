import Foundation

/// MATLAB level-5 MAT-files (the format SkodaR is published in): a 128-byte header, then data
/// elements (8-byte tag: type, byte count; or the 4-byte small-element form), each padded to 8 bytes;
/// `miCOMPRESSED` (15) elements hold a zlib stream of one element; `miMATRIX` (14) holds array flags,
/// dimensions, a name and the real part in any numeric type, column-major. Only numeric, real,
/// non-sparse 2-D matrices are read (others are skipped).
public enum MATFile {
    public struct Matrix: Sendable {
        public var name: String
        public var rows: Int
        public var columns: Int
        /// Column-major.
        public var values: [Double]
        public func value(_ r: Int, _ c: Int) -> Double { values[c * rows + r] }
    }

    public static func read(_ url: URL) throws -> [Matrix] {
        let bytes = try TextTable.contents(url)
        let file = url.path
        guard bytes.count >= 128 else { throw DatasetError(file: file, "not a MAT-file: \(bytes.count) bytes is shorter than the 128-byte header") }
        guard bytes[126] == UInt8(ascii: "I"), bytes[127] == UInt8(ascii: "M") else {
            if bytes[0...2] == [0x89, 0x48, 0x44] || String(decoding: bytes[0..<8], as: UTF8.self).hasPrefix("\u{89}HDF") {
                throw DatasetError(file: file, "a MATLAB v7.3 (HDF5) file; save it with -v7 or -v6")
            }
            throw DatasetError(file: file, "not a little-endian level-5 MAT-file (no 'IM' endian mark at byte 126)")
        }
        var matrices: [Matrix] = []
        var offset = 128
        while offset + 8 <= bytes.count {
            let (type, size, dataStart, next) = try tag(bytes, offset, file)
            if type == 15 {
                let inflated = try Zlib.inflate(Array(bytes[dataStart..<(dataStart + size)]), file: file, what: "element")
                if inflated.count >= 8 {
                    let (t, s, d, _) = try tag(inflated, 0, file)
                    if t == 14, let m = try matrix(inflated, d, s, file) { matrices.append(m) }
                }
            } else if type == 14, let m = try matrix(bytes, dataStart, size, file) {
                matrices.append(m)
            }
            offset = next
        }
        return matrices
    }

    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24 }

    /// (type, byte count, data start, next element) of the element at `o`, bounds-checked.
    static func tag(_ b: [UInt8], _ o: Int, _ file: String) throws -> (Int, Int, Int, Int) {
        guard o + 8 <= b.count else { throw DatasetError(file: file, "truncated element tag at byte \(o)") }
        let first = u32(b, o)
        if first >> 16 != 0 {  // small data element: 2-byte count, 2-byte type, 4 bytes of data
            return (Int(first & 0xFFFF), Int(first >> 16), o + 4, o + 8)
        }
        let type = Int(first), size = Int(u32(b, o + 4))
        guard size <= b.count - o - 8 else { throw DatasetError(file: file, "element at byte \(o) of \(size) bytes runs past the end (\(b.count) bytes): truncated file") }
        let padded = type == 15 ? size : (size + 7) / 8 * 8
        return (type, size, o + 8, min(b.count, o + 8 + padded))
    }

    static func matrix(_ b: [UInt8], _ start: Int, _ size: Int, _ file: String) throws -> Matrix? {
        var o = start
        let end = start + size
        var sub: [(type: Int, data: ArraySlice<UInt8>)] = []
        while o + 8 <= end, sub.count < 4 {
            let (t, s, d, next) = try tag(b, o, file)
            guard d + s <= end else { throw DatasetError(file: file, "matrix sub-element at byte \(o) runs past its matrix") }
            sub.append((t, b[d..<(d + s)]))
            o = next
        }
        guard sub.count == 4, sub[0].data.count >= 8 else { return nil }
        let flags = u32(Array(sub[0].data), 0)
        let mxClass = Int(flags & 0xFF), complex = flags & 0x800 != 0
        guard (6...15).contains(mxClass), !complex else { return nil }  // numeric classes only
        let dimsData = Array(sub[1].data)
        guard dimsData.count == 8 else { return nil }  // 2-D only
        let rows = Int(Int32(bitPattern: u32(dimsData, 0))), cols = Int(Int32(bitPattern: u32(dimsData, 4)))
        guard rows >= 0, cols >= 0 else { throw DatasetError(file: file, "negative matrix dimensions") }
        let name = String(decoding: sub[2].data, as: UTF8.self)
        let values = try numbers(Array(sub[3].data), type: sub[3].type, file: file)
        guard values.count == rows * cols else {
            throw DatasetError(file: file, "matrix '\(name)' is \(rows)×\(cols) but holds \(values.count) values")
        }
        return Matrix(name: name, rows: rows, columns: cols, values: values)
    }

    static func numbers(_ d: [UInt8], type: Int, file: String) throws -> [Double] {
        func each<T: FixedWidthInteger>(_: T.Type, _ f: (T) -> Double) -> [Double] {
            let n = MemoryLayout<T>.size
            return (0..<(d.count / n)).map { i in
                var v: T = 0
                for k in 0..<n { v |= T(truncatingIfNeeded: d[i * n + k]) << (8 * k) }
                return f(v)
            }
        }
        switch type {
        case 1: return each(Int8.self) { Double($0) }
        case 2: return each(UInt8.self) { Double($0) }
        case 3: return each(Int16.self) { Double($0) }
        case 4: return each(UInt16.self) { Double($0) }
        case 5: return each(Int32.self) { Double($0) }
        case 6: return each(UInt32.self) { Double($0) }
        case 7: return each(UInt32.self) { Double(Float(bitPattern: $0)) }
        case 9: return each(UInt64.self) { Double(bitPattern: $0) }
        case 12: return each(Int64.self) { Double($0) }
        case 13: return each(UInt64.self) { Double($0) }
        default: throw DatasetError(file: file, "matrix data of MAT type \(type) is not numeric")
        }
    }
}

/// The Skoda Mini Checkpoint dataset (Zappi et al., 2008) as published: `right_classall_clean.mat`
/// (and `left_…`), one matrix of N samples × (1 + 10 × 7) columns at about 98 Hz: the label (32 null,
/// 48–57 the ten checkpoint gestures), then per sensor its id, calibrated x/y/z and raw x/y/z.
/// SkodaR = the right arm's 10 sensors × calibrated x/y/z = 30 channels.
public enum Skoda {
    public static let gestures = ["write on notepad", "open hood", "close hood", "check gaps front door", "open left front door",
                                  "close left front door", "close both left doors", "check trunk gaps", "open and close trunk",
                                  "check steering wheel"]

    /// Windows of `length` every `step` samples inside runs of one label; the null class (32) is
    /// dropped unless `includeNull`. One worker recorded the data: every window has subject 1 (use a
    /// temporal split).
    public static func read(_ url: URL, length: Int = 64, step: Int = 32, includeNull: Bool = false) throws -> RawWindows {
        let matrices = try MATFile.read(url)
        guard let m = matrices.first(where: { $0.columns == 71 && $0.rows > 0 }) else {
            throw DatasetError(file: url.path, "no N × 71 matrix (label + 10 sensors × 7 values); found \(matrices.map { "'\($0.name)' \($0.rows)×\($0.columns)" }.joined(separator: ", "))")
        }
        let arm = url.lastPathComponent.lowercased().hasPrefix("left") ? "L" : "R"
        var channels: [String] = []
        for s in 0..<10 { for axis in ["x", "y", "z"] { channels.append("\(arm)\(s + 1)_\(axis)") } }
        let classes = (includeNull ? ["null"] : []) + gestures
        func classOf(_ label: Double) throws -> Int32? {
            if label == 32 { return includeNull ? 0 : nil }
            let g = Int(label) - 48
            guard label == label.rounded(), (0..<10).contains(g) else {
                throw DatasetError(file: url.path, "unknown label \(label) (32 null, 48–57 gestures)")
            }
            return Int32(g + (includeNull ? 1 : 0))
        }
        var x: [Float] = [], y: [Int32] = []
        var first = 0
        for i in 1...m.rows where i == m.rows || m.value(i, 0) != m.value(first, 0) {
            if let c = try classOf(m.value(first, 0)) {
                for start in windowStarts(first: first, last: i - 1, length: length, step: step) {
                    for t in start..<(start + length) {
                        for s in 0..<10 {
                            for k in 1...3 {
                                let v = m.value(t, 1 + s * 7 + k)
                                guard v.isFinite else { throw DatasetError(file: url.path, "sample \(t), sensor \(s + 1): non-finite value") }
                                x.append(Float(v))
                            }
                        }
                    }
                    y.append(c)
                }
            }
            first = i
        }
        guard !y.isEmpty else { throw DatasetError(file: url.path, "no run of one gesture is as long as one window (\(length) samples)") }
        return RawWindows(name: "skoda-\(arm == "R" ? "right" : "left")", length: length, channels: channels, classes: classes, x: x, y: y,
                          subjects: [Int32](repeating: 1, count: y.count),
                          notes: "Skoda Mini Checkpoint \(arm == "R" ? "right" : "left") arm, calibrated acceleration, \(length)-sample windows every \(step) inside runs of one label")
    }
}
