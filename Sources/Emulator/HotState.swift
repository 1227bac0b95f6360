/// Per-block data the block hook needs, in raw memory (no reference counting on the hot path).
struct BlockRecord {
    var start: UInt64
    var end: UInt64
    /// Static cycles of one execution (Σ static events · costs).
    var cycles: Double
    var executions: UInt64
    var instructionCount: UInt64
    var endsInControlFlow: Bool
    /// The block lies in memory whose instruction fetches are modelled (flash).
    var fetchModelled: Bool
    /// This block's loads evaluated at entry: `probes[probeStart ..< probeStart + probeCount]`.
    var probeStart: Int32 = 0
    var probeCount: Int32 = 0
}

/// Mutable accounting state shared by the hooks of one run.
struct HotState {
    var cycles: Double = 0
    var instructions: UInt64 = 0
    var budget: UInt64 = .max
    /// End address and kind of the previously executed block (to tell taken from not-taken).
    var previousEnd: UInt64 = .max
    var previousEndsInControlFlow = false
    var current: Int = -1

    // Dynamic event counters and their costs.
    var branchTaken: UInt64 = 0
    var branchTakenCost: Double = 0
    var fetchBranchMisses: UInt64 = 0
    var fetchBranchMissCost: Double = 0
    var fetchSequentialMisses: UInt64 = 0
    var fetchSequentialMissCost: Double = 0
    var lastFetchLine: UInt64 = .max
    var fetchLineShift: UInt64 = 4
    var hasFetchCache = false
    var fetchCache: CacheModel? = nil
    /// Fetch-cache misses and flash data reads right after the last block's fetch lines were looked
    /// up (see the self-loop short cut in the block hook).
    var fetchMissMark: UInt64 = .max
    var flashReadMark: UInt64 = .max
    /// Data reads from flash and from cacheable SRAM.
    var flashData = DataPath()
    var sramData = DataPath()
    /// Ranges whose data reads are priced (flash, cacheable SRAM) and the entry-evaluated loads.
    var priced: UnsafeMutablePointer<PricedRange>
    var pricedCount = 0
    var probes: UnsafeMutablePointer<LoadProbe>
    var probeCount = 0
    var probeCapacity = 256

    // Block table: open addressing on (start | size << 32) → index into `blocks`.
    var keys: UnsafeMutablePointer<UInt64>
    var slots: UnsafeMutablePointer<Int32>
    var mask: Int
    var blocks: UnsafeMutablePointer<BlockRecord>
    var blockCount = 0
    var blockCapacity: Int

    /// `Unmanaged<Machine>` for the slow paths (decoding a new block, stopping on error).
    var owner: UnsafeMutableRawPointer?
    var budgetExceeded = false

    /// Starts small (the table is probed on every block: it must stay in L1); `insert` doubles it at half load.
    init(tableBits: Int = 10) {
        let cap = 1 << tableBits
        keys = .allocate(capacity: cap)
        keys.initialize(repeating: .max, count: cap)
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: -1, count: cap)
        mask = cap - 1
        blockCapacity = 1024
        blocks = .allocate(capacity: blockCapacity)
        priced = .allocate(capacity: 1)
        probes = .allocate(capacity: probeCapacity)
    }

    func release() {
        keys.deallocate()
        slots.deallocate()
        blocks.deallocate()
        priced.deallocate()
        probes.deallocate()
        fetchCache?.release()
        flashData.cache?.release()
        sramData.cache?.release()
    }

    @inline(__always) static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key ^ (key >> 29)) &* 0x9E37_79B9_7F4A_7C15 >> 40)
    }

    @inline(__always) func lookup(_ key: UInt64) -> Int {
        var i = HotState.hash(key) & mask
        while true {
            let k = keys[i]
            if k == key { return Int(slots[i]) }
            if k == .max { return -1 }
            i = (i &+ 1) & mask
        }
    }

    /// Adds a block record and indexes it; grows storage as needed (slow path).
    mutating func insert(_ record: BlockRecord, key: UInt64) -> Int {
        if blockCount == blockCapacity {
            let bigger = UnsafeMutablePointer<BlockRecord>.allocate(capacity: blockCapacity * 2)
            bigger.moveInitialize(from: blocks, count: blockCount)
            blocks.deallocate()
            blocks = bigger
            blockCapacity *= 2
        }
        if (blockCount + 1) * 2 > mask + 1 { rehash(capacity: (mask + 1) * 2) }
        let index = blockCount
        (blocks + index).initialize(to: record)
        blockCount += 1
        var i = HotState.hash(key) & mask
        while keys[i] != .max { i = (i &+ 1) & mask }
        keys[i] = key
        slots[i] = Int32(index)
        return index
    }

    private mutating func rehash(capacity: Int) {
        let oldKeys = keys, oldSlots = slots, oldCap = mask + 1
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: .max, count: capacity)
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: -1, count: capacity)
        mask = capacity - 1
        for j in 0..<oldCap where oldKeys[j] != .max {
            var i = HotState.hash(oldKeys[j]) & mask
            while keys[i] != .max { i = (i &+ 1) & mask }
            keys[i] = oldKeys[j]
            slots[i] = oldSlots[j]
        }
        oldKeys.deallocate()
        oldSlots.deallocate()
    }
}
