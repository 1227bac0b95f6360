import Foundation
import Support

/// A NumPy `.npz` archive: a zip file of `.npy` members, as `numpy.savez` (stored) and
/// `numpy.savez_compressed` (deflate) write it — the inputs and outputs of a model with several.
/// Read through the central directory (PKWARE APPNOTE 6.3.x §4.3.12, with the zip64 extra field of
/// §4.5.3 and the zip64 end records of §4.3.14–15, which numpy's writer uses); every member's CRC-32
/// is checked. Written as stored members (no compression), readable by `numpy.load`.
public struct NPZArchive: Equatable, Sendable {
    /// Member names without `.npy`, in archive order (numpy's keys), and their arrays.
    public var names: [String]
    public var arrays: [NPYArray]

    public init(names: [String], arrays: [NPYArray]) {
        precondition(names.count == arrays.count, "one name per array")
        (self.names, self.arrays) = (names, arrays)
    }

    public subscript(name: String) -> NPYArray? { names.firstIndex(of: name).map { arrays[$0] } }

    /// The largest member or archive handled (as `NPYArray`'s element bound, 8 GiB).
    static let largest = 1 << 33

    public init(bytes: [UInt8], file: String) throws {
        func fail(_ m: String) -> NPYError { NPYError("\(file): \(m)") }
        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at + 2 <= bytes.count else { throw fail("truncated zip structure at byte \(at)") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> Int { try u16(at) | (try u16(at + 2)) << 16 }
        func u64(_ at: Int) throws -> Int {
            let lo = try u32(at), hi = try u32(at + 4)
            guard hi < 1 << 30 else { throw fail("zip64 field at byte \(at) is too large") }
            return lo | hi << 32
        }
        // The end-of-central-directory record: the last signature within its 22 bytes + a comment of up to 65,535.
        guard bytes.count >= 22 else { throw fail(bytes.starts(with: [0x93] + Array("NUMPY".utf8)) ? "a .npy file, not an .npz archive" : "not an .npz archive (too short for a zip file)") }
        var eocd = -1
        for at in stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1) {
            if try u32(at) == 0x0605_4B50 { eocd = at; break }
        }
        guard eocd >= 0 else {
            throw fail(bytes.starts(with: [0x93] + Array("NUMPY".utf8)) ? "a .npy file, not an .npz archive" : "not an .npz archive (no zip end-of-central-directory record)")
        }
        var entries = try u16(eocd + 10), directorySize = try u32(eocd + 12), directoryOffset = try u32(eocd + 16)
        guard try u16(eocd + 4) == 0, try u16(eocd + 6) == 0 else { throw fail("multi-disk zip archives are not supported") }
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // zip64: the locator sits just before the classic record and points at the zip64 record.
            let locator = eocd - 20
            guard locator >= 0, try u32(locator) == 0x0706_4B50 else { throw fail("zip64 archive without its end-of-central-directory locator") }
            let record = try u64(locator + 8)
            guard try u32(record) == 0x0606_4B50 else { throw fail("zip64 end-of-central-directory record missing at byte \(record)") }
            (entries, directorySize, directoryOffset) = (try u64(record + 32), try u64(record + 40), try u64(record + 48))
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw fail("the central directory (\(directorySize) bytes at \(directoryOffset)) lies outside the \(bytes.count)-byte file")
        }
        guard entries <= directorySize / 46 else { throw fail("\(entries) members cannot fit a \(directorySize)-byte central directory") }
        var names: [String] = [], arrays: [NPYArray] = [], total = 0
        var at = directoryOffset
        for index in 0..<entries {
            guard try u32(at) == 0x0201_4B50 else { throw fail("central directory entry \(index) is malformed (bad signature at byte \(at))") }
            let flags = try u16(at + 8), method = try u16(at + 10), crc = UInt32(try u32(at + 16))
            var compressed = try u32(at + 20), size = try u32(at + 24)
            let nameLength = try u16(at + 28), extraLength = try u16(at + 30), commentLength = try u16(at + 32)
            var local = try u32(at + 42)
            guard at + 46 + nameLength + extraLength + commentLength <= bytes.count else { throw fail("central directory entry \(index) is truncated") }
            let rawName = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            // zip64 extra: the 8-byte values of exactly the fields saturated above, in APPNOTE's order.
            var e = at + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = try u16(e), length = try u16(e + 2)
                guard e + 4 + length <= extraEnd else { throw fail("\(rawName): malformed extra field") }
                if id == 0x0001 {
                    var f = e + 4
                    func next() throws -> Int {
                        guard f + 8 <= e + 4 + length else { throw fail("\(rawName): zip64 extra field too short") }
                        defer { f += 8 }
                        return try u64(f)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                e += 4 + length
            }
            at = extraEnd + commentLength
            guard flags & 1 == 0 else { throw fail("\(rawName): encrypted members are not supported") }
            guard method == 0 || method == 8 else { throw fail("\(rawName): compression method \(method) is not supported (stored or deflate, as numpy writes)") }
            guard rawName.hasSuffix(".npy"), rawName.count > 4 else { throw fail("member '\(rawName)' is not a .npy array") }
            let name = String(rawName.dropLast(4))
            guard !names.contains(name) else { throw fail("member '\(rawName)' appears twice") }
            guard size <= Self.largest else { throw fail("\(rawName): \(size) bytes is more than the \(Self.largest) handled") }
            total += size
            guard total <= Self.largest else { throw fail("the members add up to more than \(Self.largest) bytes") }
            // The local header's own name and extra lengths (they may differ from the central copy's).
            guard try u32(local) == 0x0403_4B50 else { throw fail("\(rawName): no local header at byte \(local)") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start <= bytes.count, compressed <= bytes.count - start else { throw fail("\(rawName): data runs past the end of the file") }
            let stored = Array(bytes[start..<(start + compressed)])
            let data = method == 0 ? stored : try Zlib.inflate(stored, raw: true, expected: size, file: "\(file): \(rawName)", what: "member")
            guard data.count == size else { throw fail("\(rawName): holds \(data.count) bytes, the directory says \(size)") }
            guard Zlib.crc32(data) == crc else { throw fail("\(rawName): CRC-32 mismatch (corrupt archive)") }
            names.append(name)
            arrays.append(try NPYArray(bytes: data, file: "\(file): \(rawName)"))
        }
        (self.names, self.arrays) = (names, arrays)
    }

    public init(contentsOf url: URL) throws {
        guard let d = FileManager.default.contents(atPath: url.path) else { throw NPYError("\(url.path): cannot read file") }
        try self.init(bytes: [UInt8](d), file: url.path)
    }

    /// Zip bytes: one stored member `<name>.npy` per array, no zip64 (members and archive below 4 GiB).
    public func encoded() throws -> [UInt8] {
        var out: [UInt8] = [], directory: [UInt8] = []
        func put16(_ v: Int, _ b: inout [UInt8]) { b += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func put32(_ v: Int, _ b: inout [UInt8]) { put16(v & 0xFFFF, &b); put16(v >> 16 & 0xFFFF, &b) }
        for (name, array) in zip(names, arrays) {
            let member = Array((name + ".npy").utf8), data = array.encoded()
            guard member.count <= 0xFFFF else { throw NPYError("array name '\(name)' is too long for a zip member") }
            guard data.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF - data.count - 30 - member.count else {
                throw NPYError("'\(name)': archives above 4 GiB are not written")
            }
            let crc = Int(Zlib.crc32(data)), offset = out.count
            // Version 2.0, no flags, stored, DOS time 0:00 of 1980-01-01.
            func common(_ b: inout [UInt8]) {
                put16(20, &b); put16(0, &b); put16(0, &b); put16(0, &b); put16(0x21, &b)
                put32(crc, &b); put32(data.count, &b); put32(data.count, &b); put16(member.count, &b); put16(0, &b)
            }
            put32(0x0403_4B50, &out); common(&out); out += member; out += data
            put32(0x0201_4B50, &directory); put16(20, &directory); common(&directory)
            put16(0, &directory); put16(0, &directory); put16(0, &directory); put32(0, &directory); put32(offset, &directory)
            directory += member
        }
        guard names.count < 0xFFFF else { throw NPYError("\(names.count) arrays are more than a zip without zip64 holds") }
        let directoryOffset = out.count
        out += directory
        put32(0x0605_4B50, &out); put16(0, &out); put16(0, &out); put16(names.count, &out); put16(names.count, &out)
        put32(directory.count, &out); put32(directoryOffset, &out); put16(0, &out)
        return out
    }

    /// Writes atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        try AtomicWrite.file(Data(try encoded()), to: url)
    }
}
