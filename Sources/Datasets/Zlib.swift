import CZlib

/// zlib's inflate over a whole buffer: a zlib stream (MAT-file v7 elements) or raw deflate data
/// (zip entries, RFC 1951). `file` and `what` name the source in errors; `expected`, the size the
/// container promises, bounds the output.
enum Zlib {
    static func inflate(_ input: [UInt8], raw: Bool = false, expected: Int? = nil, file: String, what: String = "data") throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, raw ? -MAX_WBITS : MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(file: file, "zlib cannot start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        if let e = expected { output.reserveCapacity(e) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            var s: Int32 = Z_OK
            while s == Z_OK {
                s = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let r = CZlib.inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: out[0..<(out.count - Int(stream.avail_out))])
                    return r
                }
                if s == Z_OK && stream.avail_in == 0 && stream.avail_out != 0 { break }
                // A hostile stream could expand without end: stop once past what the archive promised.
                if let e = expected, output.count > e { break }
            }
            return s
        }
        guard status == Z_STREAM_END else { throw DatasetError(file: file, "corrupt compressed \(what) (zlib status \(status))") }
        return output
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }
}
