import Targets

/// A set-associative cache with LRU replacement that tracks tags only (hit or miss).
///
/// Storage is raw memory owned by the `Machine` (allocated in `init`, freed by `release()`), so the
/// hot hooks can use it without reference counting. `lastLine` short-cuts repeated accesses to the
/// line touched last, which is always a hit.
struct CacheModel {
    let lineShift: UInt64
    let setMask: UInt64
    let ways: Int
    private let tags: UnsafeMutablePointer<UInt64>
    private let stamps: UnsafeMutablePointer<UInt64>
    private var clock: UInt64 = 0
    private var lastLine: UInt64 = .max
    private(set) var hits: UInt64 = 0
    private(set) var misses: UInt64 = 0

    init(_ spec: CacheSpec) {
        lineShift = UInt64(spec.lineBytes.trailingZeroBitCount)
        setMask = UInt64(spec.lines / spec.ways - 1)
        ways = spec.ways
        tags = .allocate(capacity: spec.lines)
        tags.initialize(repeating: .max, count: spec.lines)
        stamps = .allocate(capacity: spec.lines)
        stamps.initialize(repeating: 0, count: spec.lines)
    }

    func release() {
        tags.deallocate()
        stamps.deallocate()
    }

    @inline(__always) func line(of address: UInt64) -> UInt64 { address >> lineShift }

    /// Looks `line` up and fills it on a miss; true on a hit.
    @inline(__always) mutating func access(line: UInt64) -> Bool {
        if line == lastLine { hits &+= 1; return true }
        lastLine = line
        clock &+= 1
        let base = Int(line & setMask) &* ways
        var victim = base
        var oldest = UInt64.max
        for w in base..<(base &+ ways) {
            if tags[w] == line {
                stamps[w] = clock
                hits &+= 1
                return true
            }
            if stamps[w] < oldest { oldest = stamps[w]; victim = w }
        }
        tags[victim] = line
        stamps[victim] = clock
        misses &+= 1
        return false
    }
}
