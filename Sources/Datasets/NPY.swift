import Foundation
import Support

/// A NumPy `.npy` array (format versions 1–3, C order, little-endian): the input and output files
/// of `micronas run` and the arrays of NPY datasets.
public struct NPYArray: Equatable, Sendable {
    public enum DType: String, Sendable, CaseIterable {
        case int8 = "|i1", int32 = "<i4", int64 = "<i8", float32 = "<f4", float64 = "<f8"

        public var size: Int {
            switch self {
            case .int8: return 1
            case .int32, .float32: return 4
            case .int64, .float64: return 8
            }
        }
        public var name: String {
            switch self {
            case .int8: return "int8"
            case .int32: return "int32"
            case .int64: return "int64"
            case .float32: return "float32"
            case .float64: return "float64"
            }
        }

        init?(descr: String) {
            switch descr {
            case "|i1", "<i1", "i1", "=i1": self = .int8
            case "<i4", "=i4", "i4": self = .int32
            case "<i8", "=i8", "i8": self = .int64
            case "<f4", "=f4", "f4": self = .float32
            case "<f8", "=f8", "f8": self = .float64
            default: return nil
            }
        }
    }
    public var dtype: DType
    public var shape: [Int]
    /// Raw little-endian element bytes.
    public var data: [UInt8]

    public init(dtype: DType, shape: [Int], data: [UInt8]) { (self.dtype, self.shape, self.data) = (dtype, shape, data) }

    public var elementSize: Int { dtype.size }
    public var count: Int { data.count / dtype.size }

    /// Parses `.npy` bytes; `file` names the file in errors.
    public init(bytes: [UInt8], file: String) throws {
        func fail(_ m: String) -> NPYError { NPYError("\(file): \(m)") }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw fail("unsupported .npy format version \(major)")
        }
        guard start + headerLength <= bytes.count else { throw fail("truncated header") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), let q1 = descrField.firstIndex(of: "'") else { throw fail("header has no 'descr'") }
        let afterQuote = descrField[descrField.index(after: q1)...]
        guard let q2 = afterQuote.firstIndex(of: "'") else { throw fail("malformed 'descr'") }
        let descr = String(afterQuote[..<q2])
        guard let dtype = DType(descr: descr) else {
            throw fail("dtype '\(descr)' is not supported (int8, int32, int64, float32, float64, little-endian)")
        }
        self.dtype = dtype
        if let f = field("fortran_order"), f.hasPrefix("True") { throw fail("Fortran-order arrays are not supported") }
        guard let s = field("shape"), let open = s.firstIndex(of: "("), let close = s[open...].firstIndex(of: ")") else {
            throw fail("header has no 'shape'")
        }
        let dims = s[s.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        shape = try dims.map { d in
            guard let v = Int(d), v >= 0, v <= 1 << 31 else { throw fail("bad shape entry '\(d)'") }
            return v
        }
        var elements = 1
        for d in shape {
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, p <= 1 << 33 else { throw fail("shape \(shape) is too large") }
            elements = p
        }
        let count = elements * dtype.size
        let dataStart = start + headerLength
        guard bytes.count - dataStart == count else {
            throw fail("holds \(bytes.count - dataStart) data bytes, shape \(shape) of \(dtype.name) needs \(count)")
        }
        data = Array(bytes[dataStart...])
    }

    public init(contentsOf url: URL) throws {
        guard let d = FileManager.default.contents(atPath: url.path) else { throw NPYError("\(url.path): cannot read file") }
        try self.init(bytes: [UInt8](d), file: url.path)
    }

    public init(float32 values: [Float], shape: [Int]) {
        self.init(dtype: .float32, shape: shape, data: values.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) })
    }

    public init(int32 values: [Int32], shape: [Int]) {
        self.init(dtype: .int32, shape: shape, data: values.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) })
    }

    /// The elements as Double, whatever the dtype.
    public func doubles() -> [Double] {
        data.withUnsafeBytes { raw -> [Double] in
            switch dtype {
            case .int8: return raw.bindMemory(to: Int8.self).map(Double.init)
            case .int32: return (0..<count).map { Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
            case .int64: return (0..<count).map { Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
            case .float32: return (0..<count).map { Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))) }
            case .float64: return (0..<count).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
            }
        }
    }

    /// `.npy` version 1.0 bytes, header padded so data starts at a multiple of 64.
    public func encoded() -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + data
    }

    /// Writes atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        try AtomicWrite.file(Data(encoded()), to: url)
    }
}

