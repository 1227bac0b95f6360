import CCapstone
import CEmulatorShims
import CUnicorn

// Data reads from flash and from cacheable SRAM are priced without Unicorn memory hooks: in Unicorn
// 2.0.1 any UC_HOOK_MEM_READ/WRITE hook, whatever its range, sends every load and store of the run
// through the slow softmmu path and costs about half the emulation speed. Instead each load's address
// is derived, when its block is first decoded, as a linear function of the registers at block entry
// (tracking base write-back and ADD/SUB/MOV address arithmetic inside the block); the block hook
// evaluates it with the live registers. A load whose address cannot be derived that way (base loaded
// from memory, computed by other instructions, or executed conditionally) gets a code hook on that one
// instruction, which evaluates its addressing mode exactly just before it executes (Unicorn skips the
// hook when a conditional instruction does not execute).

/// Σ coefficient · R[register] + offset, modulo 2^32, with at most two register terms.
struct AddressExpression: Equatable {
    var reg0: Int32 = -1
    var coef0: Int64 = 0
    var reg1: Int32 = -1
    var coef1: Int64 = 0
    var offset: Int64 = 0

    static func register(_ uc: Int32) -> AddressExpression { AddressExpression(reg0: uc, coef0: 1) }
    static func constant(_ v: Int64) -> AddressExpression { AddressExpression(offset: v) }

    var isConstant: Bool { reg0 < 0 && reg1 < 0 }

    /// `self + k · other`, or nil when the result needs more than two register terms.
    func adding(_ other: AddressExpression, times k: Int64 = 1) -> AddressExpression? {
        var terms: [(Int32, Int64)] = []
        func add(_ r: Int32, _ c: Int64) {
            guard r >= 0, c != 0 else { return }
            if let i = terms.firstIndex(where: { $0.0 == r }) { terms[i].1 &+= c } else { terms.append((r, c)) }
        }
        add(reg0, coef0)
        add(reg1, coef1)
        add(other.reg0, other.coef0 &* k)
        add(other.reg1, other.coef1 &* k)
        terms.removeAll { $0.1 & 0xFFFF_FFFF == 0 }
        guard terms.count <= 2 else { return nil }
        var r = AddressExpression(offset: offset &+ other.offset &* k)
        if terms.count > 0 { (r.reg0, r.coef0) = terms[0] }
        if terms.count > 1 { (r.reg1, r.coef1) = terms[1] }
        return r
    }

    func adding(_ k: Int64) -> AddressExpression {
        var r = self
        r.offset &+= k
        return r
    }
}

/// One load evaluated at block entry, or (for a hooked load) just before it executes.
struct LoadProbe {
    var address: AddressExpression
    var bytes: UInt32
    /// Consecutive evaluations that found the load outside flash and cacheable SRAM.
    var quiet: UInt32 = 0
    /// Executions left to skip before evaluating a quiet load again.
    var sleep: UInt32 = 0
    /// Every register of `address` leaves the block as itself plus a constant, so when the block
    /// re-enters itself the address has moved by `step` (induction: no register read).
    var hasStep = false
    var step: Int64 = 0
    /// The address at the block's execution number `stamp`.
    var lastAddress: UInt64 = 0
    var stamp: UInt64 = .max
    /// Where this execution reads: index into `HotState.priced` (−1: not priced) and the first and
    /// last line of its words.
    var range: Int32 = -1
    var firstLine: UInt64 = 0
    var lastLine: UInt64 = 0
    /// The same, at the execution the block's memo was recorded at.
    var memoRange: Int32 = -1
    var memoFirstLine: UInt64 = 0
    var memoLastLine: UInt64 = 0

    init(address: AddressExpression, bytes: UInt32) {
        self.address = address
        self.bytes = bytes
    }

    @inline(__always) var words: UInt64 { LoadProbe.words(bytes) }

    /// Words a load of `bytes` reads (at least one).
    @inline(__always) static func words(_ bytes: UInt32) -> UInt64 { max(1, (UInt64(bytes) + 3) >> 2) }
}

/// User data of a code hook on one load whose address is only known at the instruction.
struct HookedLoad {
    var hot: UnsafeMutablePointer<HotState>
    var probe: LoadProbe
}

/// A memory range whose data reads the cycle model prices.
struct PricedRange {
    var lo: UInt64
    var hi: UInt64  // exclusive
    var isFlash: Bool
    /// log2 of the line size of the cache in front of the range.
    var lineShift: UInt64 = 4
}

extension HotState {
    /// Evaluates `expression` with the live registers.
    @inline(__always) static func evaluate(_ e: AddressExpression, _ uc: OpaquePointer?) -> UInt64 {
        var v = e.offset
        if e.reg0 >= 0 { v &+= e.coef0 &* Int64(mn_reg_read32(uc, e.reg0)) }
        if e.reg1 >= 0 { v &+= e.coef1 &* Int64(mn_reg_read32(uc, e.reg1)) }
        return UInt64(truncatingIfNeeded: v) & 0xFFFF_FFFF
    }

    /// Prices one load of `bytes` at `address` (a hooked load, or the memory-hook reference); returns
    /// false if the address is not in a priced range.
    @inline(__always) mutating func priceLoad(at address: UInt64, bytes: UInt32) -> Bool {
        let k = pricedRange(of: address)
        guard k >= 0 else { return false }
        epoch &+= 1
        priceWords(in: Int(k), at: address, words: LoadProbe.words(bytes))
        return true
    }

    /// Prices `words` successive word reads from `address` in priced range `k`.
    @inline(__always) mutating func priceWords(in k: Int, at address: UInt64, words: UInt64) {
        let isFlash = priced[k].isFlash
        var w: UInt64 = 0
        while w < words {
            if isFlash { priceFlashRead(address &+ w << 2) } else { priceSRAMRead(address &+ w << 2) }
            w &+= 1
        }
    }

    @inline(__always) mutating func priceFlashRead(_ address: UInt64) {
        flashData.reads &+= 1
        let line = address >> flashData.lineShift
        let hit: Bool
        if flashData.sharesFetchCache {
            hit = fetchCache!.access(line: line)
            if !hit { fills &+= 1 }
        } else if flashData.cache != nil {
            hit = flashData.cache!.access(line: line)
            if !hit { fills &+= 1 }
        } else {
            hit = false
        }
        cycles += flashData.readCost
        if !hit {
            flashData.misses &+= 1
            cycles += flashData.missCost
        }
    }

    @inline(__always) mutating func priceSRAMRead(_ address: UInt64) {
        sramData.reads &+= 1
        if !sramData.cache!.access(line: address >> sramData.lineShift) {
            fills &+= 1
            sramData.misses &+= 1
            cycles += sramData.missCost
        }
    }

    /// Index into `priced` of the range holding `address`, or −1.
    @inline(__always) func pricedRange(of address: UInt64) -> Int32 {
        var k = 0
        while k < pricedCount {
            if address >= priced[k].lo && address < priced[k].hi { return Int32(k) }
            k += 1
        }
        return -1
    }

    /// Finds where each of the block's entry-evaluated loads reads, without touching any cache, and
    /// returns whether every one reads the same lines (or stays unpriced) as when the block's memo was
    /// recorded. A load found outside the priced ranges 8 times running is evaluated only every 64th
    /// execution after that, until it is found inside one again.
    ///
    /// On a re-entry of the block (`selfLoop`: the block hook ran for this block last, so nothing ran
    /// in between) a load with a step is found from its previous address instead of the registers.
    /// With `price`, each load found in a priced range is priced at once (the same program order as
    /// `priceLocatedLoads` after it; for a block whose memo is of no use).
    @inline(__always) @discardableResult
    mutating func locateBlockLoads(_ block: UnsafeMutablePointer<BlockRecord>, _ uc: OpaquePointer?, selfLoop: Bool, price: Bool = false) -> Bool {
        let execution = block.pointee.executions
        var same = true
        var p = probes + Int(block.pointee.probeStart)
        let end = p + Int(block.pointee.probeCount)
        while p < end {
            let chained = selfLoop && p.pointee.hasStep && p.pointee.stamp &+ 1 == execution
            if p.pointee.sleep > 0 {
                p.pointee.sleep &-= 1
                if chained {
                    p.pointee.lastAddress = (p.pointee.lastAddress &+ UInt64(bitPattern: p.pointee.step)) & 0xFFFF_FFFF
                    p.pointee.stamp = execution
                }
                p.pointee.range = -1
                same = same && p.pointee.memoRange < 0
                p += 1
                continue
            }
            let address = chained ? (p.pointee.lastAddress &+ UInt64(bitPattern: p.pointee.step)) & 0xFFFF_FFFF
                                  : HotState.evaluate(p.pointee.address, uc)
            p.pointee.lastAddress = address
            p.pointee.stamp = execution
            // Most loads stay in the range they read last time: try it first.
            var range = p.pointee.range
            if range < 0 || address < priced[Int(range)].lo || address >= priced[Int(range)].hi { range = pricedRange(of: address) }
            p.pointee.range = range
            if range < 0 {
                p.pointee.quiet &+= 1
                if p.pointee.quiet >= 8 { p.pointee.sleep = 63 }
                same = same && p.pointee.memoRange < 0
            } else {
                p.pointee.quiet = 0
                let shift = priced[Int(range)].lineShift
                let first = address >> shift
                let last = p.pointee.bytes <= 4 ? first : (address &+ (p.pointee.words &- 1) << 2) >> shift
                p.pointee.firstLine = first
                p.pointee.lastLine = last
                same = same && range == p.pointee.memoRange && first == p.pointee.memoFirstLine && last == p.pointee.memoLastLine
                if price { priceWords(in: Int(range), at: address, words: p.pointee.words) }
            }
            p += 1
        }
        return same
    }

    /// Prices the reads `locateBlockLoads` found, in program order.
    @inline(__always) mutating func priceLocatedLoads(_ block: UnsafeMutablePointer<BlockRecord>) {
        var p = probes + Int(block.pointee.probeStart)
        let end = p + Int(block.pointee.probeCount)
        while p < end {
            if p.pointee.range >= 0 { priceWords(in: Int(p.pointee.range), at: p.pointee.lastAddress, words: p.pointee.words) }
            p += 1
        }
    }

    /// Appends the probes of a newly decoded block (slow path); returns the first index.
    mutating func appendProbes(_ list: [LoadProbe]) -> Int32 {
        let start = probeCount
        if probeCount + list.count > probeCapacity {
            let capacity = max(probeCapacity * 2, probeCount + list.count)
            let bigger = UnsafeMutablePointer<LoadProbe>.allocate(capacity: capacity)
            bigger.moveInitialize(from: probes, count: probeCount)
            probes.deallocate()
            probes = bigger
            probeCapacity = capacity
        }
        for (i, p) in list.enumerated() { (probes + start + i).initialize(to: p) }
        probeCount += list.count
        return Int32(start)
    }
}
