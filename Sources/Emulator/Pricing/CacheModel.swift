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
    /// Per set, the way hit or filled last: looked at first (a loop re-reads the same lines).
    private let recent: UnsafeMutablePointer<Int>
    private var clock: UInt64 = 0
    private var lastLine: UInt64 = .max

    init(_ spec: CacheSpec) {
        lineShift = UInt64(spec.lineBytes.trailingZeroBitCount)
        setMask = UInt64(spec.lines / spec.ways - 1)
        ways = spec.ways
        tags = .allocate(capacity: spec.lines)
        tags.initialize(repeating: .max, count: spec.lines)
        stamps = .allocate(capacity: spec.lines)
        stamps.initialize(repeating: 0, count: spec.lines)
        recent = .allocate(capacity: spec.lines / spec.ways)
        recent.initialize(repeating: 0, count: spec.lines / spec.ways)
    }

    func release() {
        tags.deallocate()
        stamps.deallocate()
        recent.deallocate()
    }

    var sets: Int { Int(setMask) + 1 }

    /// Whether `line` is present and the most recently used line of its set: then looking it up would
    /// hit and leave every set's LRU order unchanged.
    @inline(__always) func isMostRecent(_ line: UInt64) -> Bool {
        let set = Int(line & setMask)
        return tags[set &* ways &+ recent[set]] == line
    }

    /// Looks `line` up and fills it on a miss; true on a hit. (Callers count fills in `HotState.fills`.)
    @inline(__always) mutating func access(line: UInt64) -> Bool {
        if line == lastLine { return true }
        lastLine = line
        clock &+= 1
        let set = Int(line & setMask)
        let base = set &* ways
        let guess = base &+ recent[set]
        if tags[guess] == line {
            stamps[guess] = clock
            return true
        }
        var victim = base
        var oldest = UInt64.max
        for w in base..<(base &+ ways) {
            if tags[w] == line {
                stamps[w] = clock
                recent[set] = w &- base
                return true
            }
            if stamps[w] < oldest { oldest = stamps[w]; victim = w }
        }
        tags[victim] = line
        stamps[victim] = clock
        recent[set] = victim &- base
        return false
    }
}
