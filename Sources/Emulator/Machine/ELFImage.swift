import Foundation

/// An ELF32 little-endian ARM executable: its loadable segments and its symbols.
public struct ELFImage: Sendable {
    public struct Segment: Sendable {
        /// Physical load address (LMA): where the bytes sit in the board's memory at reset.
        public var address: UInt64
        public var data: [UInt8]
        /// Bytes of memory the segment occupies (≥ data.count; the rest is zero, e.g. .bss).
        public var memorySize: UInt64
        public var isExecutable: Bool
    }

    public struct Symbol: Sendable {
        public var name: String
        public var address: UInt64
        public var size: UInt64
        public var isFunction: Bool
    }

    public var path: String
    public var entry: UInt64
    public var segments: [Segment]
    /// Function and object symbols sorted by address.
    public var symbols: [Symbol]

    /// Reads and checks `path`. Errors name the file and what is wrong with it.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmulatorError.badFirmware(path: path, reason: "cannot read file")
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    public init(bytes b: [UInt8], path: String) throws {
        self.path = path
        func fail(_ reason: String) -> EmulatorError { .badFirmware(path: path, reason: reason) }
        guard b.count >= 4, b[0] == 0x7F, b[1] == 0x45, b[2] == 0x4C, b[3] == 0x46 else { throw fail("not an ELF file (bad magic)") }
        guard b.count >= 52 else { throw fail("truncated ELF header (\(b.count) bytes, need 52)") }
        guard b[4] == 1 else { throw fail("ELF class \(b[4] == 2 ? "64-bit" : String(b[4])) — need a 32-bit (ELFCLASS32) ARM executable") }
        guard b[5] == 1 else { throw fail("big-endian ELF — need little-endian") }
        func u16(_ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
        func u32(_ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24 }
        let machine = u16(18)
        guard machine == 40 else { throw fail("machine \(machine) is not ARM (EM_ARM = 40)") }
        let type = u16(16)
        guard type == 2 else { throw fail("ELF type \(type) is not an executable (ET_EXEC = 2); link the program first") }
        entry = UInt64(u32(24))
        let phoff = Int(u32(28)), shoff = Int(u32(32))
        let phentsize = Int(u16(42)), phnum = Int(u16(44))
        let shentsize = Int(u16(46)), shnum = Int(u16(48))
        guard phnum > 0 else { throw fail("no program headers") }
        guard phentsize >= 32, phoff > 0, phoff + phnum * phentsize <= b.count else {
            throw fail("truncated: program headers at \(phoff)+\(phnum)×\(phentsize) exceed file size \(b.count)")
        }
        var segs: [Segment] = []
        for i in 0..<phnum {
            let o = phoff + i * phentsize
            guard u32(o) == 1 else { continue }  // PT_LOAD
            let offset = Int(u32(o + 4)), paddr = UInt64(u32(o + 12))
            let filesz = Int(u32(o + 16)), memsz = UInt64(u32(o + 20)), flags = u32(o + 24)
            guard offset + filesz <= b.count else {
                throw fail("truncated: segment \(i) needs bytes \(offset)..<\(offset + filesz), file has \(b.count)")
            }
            guard memsz >= UInt64(filesz) else { throw fail("segment \(i) has memsz < filesz") }
            if memsz == 0 { continue }
            segs.append(Segment(address: paddr, data: Array(b[offset..<(offset + filesz)]), memorySize: memsz,
                                isExecutable: flags & 1 != 0))
        }
        guard !segs.isEmpty else { throw fail("no PT_LOAD segments") }
        segments = segs

        var syms: [Symbol] = []
        if shoff > 0, shnum > 0, shentsize >= 40, shoff + shnum * shentsize <= b.count {
            for i in 0..<shnum {
                let o = shoff + i * shentsize
                guard u32(o + 4) == 2 else { continue }  // SHT_SYMTAB
                let symOff = Int(u32(o + 16)), symSize = Int(u32(o + 20)), link = Int(u32(o + 24))
                guard link < shnum, symOff + symSize <= b.count else { throw fail("truncated symbol table") }
                let so = shoff + link * shentsize
                let strOff = Int(u32(so + 16)), strSize = Int(u32(so + 20))
                guard strOff + strSize <= b.count else { throw fail("truncated string table") }
                var k = symOff
                while k + 16 <= symOff + symSize {
                    let nameIdx = Int(u32(k)), value = UInt64(u32(k + 4)), size = UInt64(u32(k + 8))
                    let info = b[k + 12], shndx = u16(k + 14)
                    k += 16
                    let stype = info & 0xF
                    guard (stype == 1 || stype == 2 || stype == 0) && shndx != 0, nameIdx < strSize else { continue }
                    var end = strOff + nameIdx
                    while end < strOff + strSize && b[end] != 0 { end += 1 }
                    let name = String(decoding: b[(strOff + nameIdx)..<end], as: UTF8.self)
                    guard !name.isEmpty, !name.hasPrefix("$") else { continue }  // skip mapping symbols $t/$d
                    syms.append(Symbol(name: name, address: stype == 2 ? value & ~1 : value, size: size, isFunction: stype == 2))
                }
            }
        }
        symbols = syms.sorted { $0.address < $1.address }
    }

    /// The symbol named `name` (function addresses without the Thumb bit).
    public func symbol(named name: String) -> Symbol? { symbols.first { $0.name == name } }

    /// "name+0xoff" for the closest symbol at or below `address`, preferring functions.
    public func describe(_ address: UInt64) -> String {
        let hex = "0x" + String(address, radix: 16, uppercase: false)
        var best: Symbol? = nil
        for s in symbols where s.address <= address {
            if best == nil || s.address > best!.address || (s.address == best!.address && s.isFunction) { best = s }
        }
        guard let s = best, address - s.address < 0x10000 else { return hex }
        let off = address - s.address
        return off == 0 ? "\(hex) <\(s.name)>" : "\(hex) <\(s.name)+0x\(String(off, radix: 16))>"
    }
}
