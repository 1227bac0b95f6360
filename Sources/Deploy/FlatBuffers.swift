// A small FlatBuffers encoder and a bounds-checked decoder, enough for the TFLite schema
// (tables with scalar and offset fields, unions as type + table, vectors of scalars, strings and
// tables). Format: https://flatbuffers.dev/internals/ — a root uoffset (u32) at byte 0, the file
// identifier at byte 4; a table starts with an soffset (i32) to its vtable, the vtable holds u16
// sizes then one u16 offset per field id (0 = absent); vectors are a u32 count then elements;
// strings a u32 length, the bytes and a 0; every uoffset is relative to where it is stored and
// points forward.

/// An object to encode.
indirect enum FBObject {
    /// Field values by field id (nil = absent). Unions take two ids: the type (u8) then the value (offset).
    case table([FBField?])
    case string(String)
    /// Vector of bytes whose data starts at a multiple of `align` (TFLite buffers: 16).
    case bytes([UInt8], align: Int)
    case int32s([Int32])
    case floats([Float])
    case int64s([Int64])
    case tables([FBObject])
}

enum FBField {
    case u8(UInt8), i8(Int8), bool(Bool), i32(Int32), u32(UInt32), f32(Float)
    case object(FBObject)

    var size: Int {
        switch self {
        case .u8, .i8, .bool: return 1
        case .i32, .u32, .f32, .object: return 4
        }
    }
}

/// Lays objects out front to back: a table, then the objects it points to, so every uoffset is
/// positive. The vtable of a table sits just before it.
struct FlatBufferEncoder {
    private(set) var bytes: [UInt8] = []

    static func encode(root: FBObject, identifier: String) -> [UInt8] {
        var e = FlatBufferEncoder()
        e.bytes = [0, 0, 0, 0] + Array(identifier.utf8.prefix(4))
        let position = e.place(root)
        e.patch(at: 0, UInt32(position))
        return e.bytes
    }

    private mutating func align(_ a: Int, reserving extra: Int = 0) {
        while (bytes.count + extra) % a != 0 { bytes.append(0) }
    }
    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    private mutating func patch(at position: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[position + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }

    /// A vector of integers, elements aligned to their size; returns its position.
    private mutating func scalars<T: FixedWidthInteger>(_ values: [T]) -> Int {
        align(max(4, MemoryLayout<T>.size), reserving: 4)
        let position = bytes.count
        append(UInt32(values.count))
        for v in values { append(v) }
        return position
    }

    /// Writes `object` (and everything it points to); returns its position.
    private mutating func place(_ object: FBObject) -> Int {
        switch object {
        case .table(let fields):
            // Layout inside the table: soffset, then 4-byte fields, then 1-byte fields.
            var offsets = [Int](repeating: 0, count: fields.count)
            var size = 4
            for pass in [4, 1] {
                for (id, f) in fields.enumerated() where f?.size == pass {
                    offsets[id] = size
                    size += pass
                }
            }
            size = (size + 3) / 4 * 4
            align(2)
            let vtable = bytes.count
            append(UInt16(4 + 2 * fields.count))
            append(UInt16(size))
            for o in offsets { append(UInt16(o)) }
            align(4)
            let table = bytes.count
            bytes.append(contentsOf: [UInt8](repeating: 0, count: size))
            patch(at: table, UInt32(bitPattern: Int32(table - vtable)))
            var children: [(at: Int, FBObject)] = []
            for (id, f) in fields.enumerated() {
                guard let f else { continue }
                let at = table + offsets[id]
                func put<T: FixedWidthInteger>(_ v: T) {
                    withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[at + i] = b } }
                }
                switch f {
                case .u8(let v): put(v)
                case .i8(let v): put(v)
                case .bool(let v): put(UInt8(v ? 1 : 0))
                case .i32(let v): put(v)
                case .u32(let v): put(v)
                case .f32(let v): put(v.bitPattern)
                case .object(let o): children.append((at, o))
                }
            }
            for (at, child) in children {
                let position = place(child)
                patch(at: at, UInt32(position - at))
            }
            return table
        case .string(let s):
            align(4)
            let position = bytes.count
            append(UInt32(s.utf8.count))
            bytes.append(contentsOf: Array(s.utf8) + [0])
            return position
        case .bytes(let data, let a):
            align(max(4, a), reserving: 4)
            let position = bytes.count
            append(UInt32(data.count))
            bytes.append(contentsOf: data)
            return position
        case .int32s(let values):
            return scalars(values)
        case .floats(let values):
            return scalars(values.map(\.bitPattern))
        case .int64s(let values):
            return scalars(values)
        case .tables(let objects):
            align(4)
            let position = bytes.count
            append(UInt32(objects.count))
            let slots = bytes.count
            bytes.append(contentsOf: [UInt8](repeating: 0, count: 4 * objects.count))
            for (i, o) in objects.enumerated() {
                let at = slots + 4 * i
                let child = place(o)
                patch(at: at, UInt32(child - at))
            }
            return position
        }
    }
}

/// A malformed FlatBuffer: what was being read and where it went out of bounds.
struct FlatBufferError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Bounds-checked reading of a FlatBuffer; every access throws rather than trapping.
struct FlatBufferDecoder {
    let bytes: [UInt8]

    func check(_ position: Int, _ size: Int, _ what: @autoclosure () -> String) throws {
        guard position >= 0, size >= 0, position <= bytes.count - size else {
            throw FlatBufferError("\(what()) at byte \(position) (+\(size)) lies outside the \(bytes.count)-byte file")
        }
    }

    func scalar<T: FixedWidthInteger>(_ type: T.Type, at p: Int, _ what: @autoclosure () -> String = "value") throws -> T {
        try check(p, MemoryLayout<T>.size, what())
        var v: T = 0
        for i in 0..<MemoryLayout<T>.size { v |= T(truncatingIfNeeded: bytes[p + i]) << (8 * i) }
        return v
    }

    /// The object a uoffset stored at `p` points to.
    func follow(_ p: Int, _ what: String) throws -> Int {
        let target = p + Int(try scalar(UInt32.self, at: p, what))
        try check(target, 4, what)
        return target
    }

    func rootTable() throws -> Table { try table(at: try follow(0, "root table offset"), "root table") }

    func table(at p: Int, _ what: String) throws -> Table {
        let vtable = p - Int(try scalar(Int32.self, at: p, "\(what) vtable offset"))
        let vtableSize = Int(try scalar(UInt16.self, at: vtable, "\(what) vtable"))
        guard vtableSize >= 4, vtableSize % 2 == 0 else { throw FlatBufferError("\(what): vtable size \(vtableSize) is malformed") }
        try check(vtable, vtableSize, "\(what) vtable")
        let tableSize = Int(try scalar(UInt16.self, at: vtable + 2, "\(what) vtable"))
        try check(p, tableSize, what)
        return Table(decoder: self, position: p, vtable: vtable, fieldCount: (vtableSize - 4) / 2, size: tableSize, name: what)
    }

    struct Table {
        let decoder: FlatBufferDecoder
        let position, vtable, fieldCount, size: Int
        let name: String

        /// Position of field `id`, or nil when absent.
        func field(_ id: Int) throws -> Int? {
            guard id < fieldCount else { return nil }
            let o = Int(try decoder.scalar(UInt16.self, at: vtable + 4 + 2 * id, "\(name) vtable"))
            guard o != 0 else { return nil }
            guard o < size else { throw FlatBufferError("\(name): field \(id) offset \(o) is past the table's \(size) bytes") }
            return position + o
        }

        func scalar<T: FixedWidthInteger>(_ id: Int, _ type: T.Type, default d: T, _ what: String) throws -> T {
            guard let p = try field(id) else { return d }
            return try decoder.scalar(T.self, at: p, "\(name).\(what)")
        }

        func float(_ id: Int, default d: Float, _ what: String) throws -> Float {
            guard let p = try field(id) else { return d }
            return Float(bitPattern: try decoder.scalar(UInt32.self, at: p, "\(name).\(what)"))
        }

        func table(_ id: Int, _ what: String) throws -> Table? {
            guard let p = try field(id) else { return nil }
            return try decoder.table(at: try decoder.follow(p, "\(name).\(what)"), "\(name).\(what)")
        }

        /// (count, position of the first element) of a vector field.
        func vector(_ id: Int, elementSize: Int, _ what: String) throws -> (count: Int, start: Int)? {
            guard let p = try field(id) else { return nil }
            let v = try decoder.follow(p, "\(name).\(what)")
            let count = Int(try decoder.scalar(UInt32.self, at: v, "\(name).\(what) length"))
            guard count <= (decoder.bytes.count - v - 4) / elementSize else {
                throw FlatBufferError("\(name).\(what): vector of \(count) elements at byte \(v) runs past the end of the file")
            }
            return (count, v + 4)
        }

        func int32s(_ id: Int, _ what: String) throws -> [Int32]? {
            guard let (n, s) = try vector(id, elementSize: 4, what) else { return nil }
            return try (0..<n).map { try decoder.scalar(Int32.self, at: s + 4 * $0) }
        }

        func int64s(_ id: Int, _ what: String) throws -> [Int64]? {
            guard let (n, s) = try vector(id, elementSize: 8, what) else { return nil }
            return try (0..<n).map { try decoder.scalar(Int64.self, at: s + 8 * $0) }
        }

        func floats(_ id: Int, _ what: String) throws -> [Float]? {
            try int32s(id, what).map { $0.map { Float(bitPattern: UInt32(bitPattern: $0)) } }
        }

        func bytes(_ id: Int, _ what: String) throws -> ArraySlice<UInt8>? {
            guard let (n, s) = try vector(id, elementSize: 1, what) else { return nil }
            return decoder.bytes[s..<(s + n)]
        }

        func string(_ id: Int, _ what: String) throws -> String? {
            guard let b = try bytes(id, what) else { return nil }
            return String(decoding: b, as: UTF8.self)
        }

        func tables(_ id: Int, _ what: String) throws -> [Table] {
            guard let (n, s) = try vector(id, elementSize: 4, what) else { return [] }
            return try (0..<n).map { try decoder.table(at: try decoder.follow(s + 4 * $0, "\(name).\(what)[\($0)]"), "\(what)[\($0)]") }
        }
    }
}
