import CUnicorn

/// Per-block data the block hook needs, in raw memory (no reference counting on the hot path).
///
/// The fields the fast path of the block hook touches come first and fill the first 64 bytes; the
/// records are 64-byte aligned with a stride of a multiple of 64 (`HotState.init` checks), so a
/// replayed re-entry reads and writes one host cache line of its record.
struct BlockRecord {
    /// `start | (end − start) << 32`, the block table's key: one comparison identifies the block.
    var key: UInt64
    /// Re-entries left that are sure to read the memo's lines again (`HotState.startCountdown`); while
    /// `counting`, the re-entries since execution `countdownStart` were replayed by the block hook's
    /// fast path, which only adds `replayCycles` and the executions (`HotState.settle` does the rest).
    var countdown: UInt64 = 0
    /// The memo (below) is valid while `HotState.epoch == memoEpoch` (see `HotState.epoch` and
    /// `HotState.priceInFull`).
    var memoEpoch: UInt64 = .max
    var executions: UInt64 = 0
    var instructionCount: UInt64
    /// Static cycles + the taken branch back + the memo's cycles: one replayed re-entry.
    var replayCycles: Double = 0
    /// The block that ran after this one last time (a branch target cache in front of the table).
    var nextKey: UInt64 = .max
    var nextIndex: Int = 0
    // ---- 64 bytes: then what the block hook's path for a trivial successor reads.
    /// Whether and how a block may need no cache change when it runs after another block (it has no
    /// entry-evaluated loads and is not a loop body): `BlockRecord.noFetch`, its fetch is not modelled
    /// (always so); its one fetch line, so when that line was fetched last (no lookup);
    /// `BlockRecord.multiLine`, lines `trivialFirstLine ... trivialLastLine` in distinct sets of the
    /// fetch cache, so when each is the line fetched last or the most recent line of its set (a hit
    /// that leaves every set's LRU order as it is); `BlockRecord.notTrivial`, never. The block hook
    /// prices such an execution without `pricedBlock`.
    var trivialFetchLine: UInt64 = BlockRecord.notTrivial
    var trivialFirstLine: UInt64 = 0
    var trivialLastLine: UInt64 = 0
    var end: UInt64
    /// Static cycles of one execution (Σ static events · costs).
    var cycles: Double
    var start: UInt64
    var countdownStart: UInt64 = 0
    /// Replays of `memo` whose counters (all but the cycles, which stay current) are not yet added
    /// to the run's totals (`HotState.flushReplays`).
    var memoReplays: UInt64 = 0
    /// What the block's dynamic pricing (data reads, then fetch lines) added at an all-hit execution
    /// that a re-entry repeats exactly.
    var memo = PricingDelta()
    /// This block's loads evaluated at entry: `probes[probeStart ..< probeStart + probeCount]`.
    var probeStart: Int32 = 0
    var probeCount: Int32 = 0
    var counting = false
    var endsInControlFlow: Bool
    /// The block lies in memory whose instruction fetches are modelled (flash).
    var fetchModelled: Bool
    /// The block has re-entered itself at least once (it is a loop body): worth a memo on entry.
    var loops = false
    /// Accesses are checked for alignment at entry (`BlockAnalysis.alignmentChecks`); `alignmentKept`:
    /// each moves by a multiple of its alignment when the block re-enters itself, so a countdown of
    /// re-entries keeps them aligned.
    var checksAlignment = false
    var alignmentKept = true

    static let multiLine = UInt64.max - 3
    static let notTrivial = UInt64.max - 2
    static let noFetch = UInt64.max - 1

    init(start: UInt64, end: UInt64, cycles: Double, instructionCount: UInt64, endsInControlFlow: Bool, fetchModelled: Bool) {
        self.start = start
        self.end = end
        self.key = start | (end &- start) << 32
        self.cycles = cycles
        self.instructionCount = instructionCount
        self.endsInControlFlow = endsInControlFlow
        self.fetchModelled = fetchModelled
    }
}

/// Counters the dynamic pricing of one block execution moves (cache fills excluded: a memo is only
/// recorded for executions without any).
struct PricingDelta {
    var cycles: Double = 0
    var fetchBranchMisses: UInt64 = 0
    var fetchSequentialMisses: UInt64 = 0
    var flashReads: UInt64 = 0
    var flashMisses: UInt64 = 0
    var sramReads: UInt64 = 0
}

/// Mutable accounting state shared by the hooks of one run. What the block hook's fast path reads
/// comes first (cycles, instructions, current, blocks, epoch).
struct HotState {
    var cycles: Double = 0
    var instructions: UInt64 = 0
    var current: Int = -1
    /// `blocks + current`, or a record no block matches (`noBlock`) before the first block.
    var currentRecord: UnsafeMutablePointer<BlockRecord>
    var blocks: UnsafeMutablePointer<BlockRecord>
    /// Advanced by every cache lookup the block memo does not replay (a full pricing, a hooked load).
    /// A block's memo is replayed only when the block re-enters itself and the epoch has not moved
    /// since the memo was recorded or last replayed: then the cache holds exactly the state that
    /// execution left (see `Machine+Run.swift`, "block memo").
    var epoch: UInt64 = 0
    var budget: UInt64 = .max
    /// End address and kind of the previously executed block (to tell taken from not-taken).
    var previousEnd: UInt64 = .max
    var previousEndsInControlFlow = false

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
    /// Lines filled in any cache so far (a memo is only recorded for an execution that filled none).
    var fills: UInt64 = 0
    /// false = price every execution in full (no memo, no induction): the reference the tests compare with.
    var shortcuts = true
    var replays: UInt64 = 0
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
    var blockCount = 0
    var blockCapacity: Int
    private(set) var noBlock: UnsafeMutablePointer<BlockRecord>

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
        precondition(MemoryLayout<BlockRecord>.stride % 64 == 0 && MemoryLayout<BlockRecord>.offset(of: \BlockRecord.trivialFetchLine) == 64,
                     "BlockRecord: the fast path's fields must fill exactly one 64-byte line")
        blocks = HotState.allocateBlocks(blockCapacity)
        // Key and next key .max: `address | size << 32` never has all 64 bits set.
        noBlock = HotState.allocateBlocks(1)
        noBlock.initialize(to: BlockRecord(start: 0, end: 0, cycles: 0, instructionCount: 0, endsInControlFlow: false, fetchModelled: false))
        noBlock.pointee.key = .max
        currentRecord = noBlock
        priced = .allocate(capacity: 1)
        probes = .allocate(capacity: probeCapacity)
    }

    func release() {
        keys.deallocate()
        slots.deallocate()
        blocks.deallocate()
        noBlock.deallocate()
        priced.deallocate()
        probes.deallocate()
        fetchCache?.release()
        flashData.cache?.release()
        sramData.cache?.release()
    }

    /// Block records on 64-byte boundaries (see `BlockRecord`).
    static func allocateBlocks(_ capacity: Int) -> UnsafeMutablePointer<BlockRecord> {
        UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<BlockRecord>.stride, alignment: 64)
            .bindMemory(to: BlockRecord.self, capacity: capacity)
    }

    /// Accounts for one execution of block `b` (number `index`) starting at `address`: its static
    /// cycles and instructions, the taken branch that led here (the previous block ended in control
    /// flow and this one does not follow it), and makes it the current block. Returns whether it
    /// followed the previous block sequentially.
    @inline(__always) mutating func enter(_ b: UnsafeMutablePointer<BlockRecord>, index: Int, at address: UInt64) -> Bool {
        let sequential = address == previousEnd
        if previousEndsInControlFlow && !sequential {
            branchTaken &+= 1
            cycles += branchTakenCost
        }
        b.pointee.executions &+= 1
        cycles += b.pointee.cycles
        instructions &+= b.pointee.instructionCount
        previousEnd = b.pointee.end
        previousEndsInControlFlow = b.pointee.endsInControlFlow
        current = index
        currentRecord = b
        return sequential
    }

    /// Stops the run: the instruction budget is spent (`Machine.run` reports it).
    @inline(never) mutating func exhaustBudget(_ uc: OpaquePointer?) {
        budgetExceeded = true
        uc_emu_stop(uc)
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
            let bigger = HotState.allocateBlocks(blockCapacity * 2)
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

extension HotState {
    @inline(__always) var pricingTotals: PricingDelta {
        PricingDelta(cycles: cycles, fetchBranchMisses: fetchBranchMisses, fetchSequentialMisses: fetchSequentialMisses,
                     flashReads: flashData.reads, flashMisses: flashData.misses, sramReads: sramData.reads)
    }

    /// How many further re-entries of block `b` (its loads just located, its memo valid) are sure to
    /// read the memo's lines again: a load with a step keeps its lines until its address crosses a
    /// line boundary; a sleeping load stays unpriced while it sleeps; any other load may go anywhere.
    /// The count also stops short of the instruction budget, so the fast path need not check it.
    @inline(__always) mutating func startCountdown(_ b: UnsafeMutablePointer<BlockRecord>) {
        // Replayed re-entries skip `pricedBlock`'s alignment check.
        guard b.pointee.alignmentKept else { return }
        // Unsigned, wrapping arithmetic: addresses are 32-bit, lines hold the address, so no term
        // can wrap; this runs once per loop run and must stay cheap.
        var n: UInt64 = 1 << 30
        var p = probes + Int(b.pointee.probeStart)
        let end = p + Int(b.pointee.probeCount)
        while p < end && n > 0 {
            defer { p += 1 }
            if p.pointee.sleep > 0 { n = min(n, UInt64(p.pointee.sleep)); continue }
            guard p.pointee.range >= 0, p.pointee.hasStep, p.pointee.stamp == b.pointee.executions else { n = 0; break }
            let step = p.pointee.step
            guard step != 0 else { continue }
            let shift = priced[Int(p.pointee.range)].lineShift
            let a = p.pointee.lastAddress, span = (p.pointee.words &- 1) &<< 2
            let first = p.pointee.firstLine, last = p.pointee.lastLine
            // Bytes the first word can move before leaving its line, and the last word likewise.
            let room0: UInt64, room1: UInt64
            if step > 0 {
                room0 = ((first &+ 1) &<< shift) &- 1 &- a
                room1 = ((last &+ 1) &<< shift) &- 1 &- (a &+ span)
            } else {
                room0 = a &- (first &<< shift)
                room1 = (a &+ span) &- (last &<< shift)
            }
            let room = min(room0, room1), magnitude = step.magnitude
            n = min(n, magnitude == 1 ? room : room / magnitude)
        }
        // n ≤ 2^30 and a block has < 2^32 instructions: the product cannot wrap. Divide only when the
        // budget is that close.
        let left = budget >= instructions ? budget &- instructions : 0, perExecution = max(1, b.pointee.instructionCount)
        if n &* perExecution > left { n = left / perExecution }
        b.pointee.countdown = n
        b.pointee.countdownStart = b.pointee.executions
        b.pointee.counting = true
        b.pointee.replayCycles = b.pointee.cycles + (b.pointee.endsInControlFlow ? branchTakenCost : 0) + b.pointee.memo.cycles
    }

    /// Accounts for the re-entries the fast path replayed since the countdown started (their taken
    /// branches and memo counters) and brings the block's loads up to date: each sleeping load slept
    /// once per re-entry, and a load with a step moved once per re-entry.
    @inline(__always) mutating func settle(_ b: UnsafeMutablePointer<BlockRecord>) {
        let k = b.pointee.executions &- b.pointee.countdownStart
        b.pointee.counting = false
        b.pointee.countdown = 0
        guard k > 0 else { return }
        if b.pointee.endsInControlFlow { branchTaken &+= k }
        b.pointee.memoReplays &+= k
        var p = probes + Int(b.pointee.probeStart)
        let end = p + Int(b.pointee.probeCount)
        while p < end {
            if p.pointee.sleep > 0 { p.pointee.sleep &-= UInt32(truncatingIfNeeded: k) }
            if p.pointee.hasStep && p.pointee.stamp == b.pointee.countdownStart {
                p.pointee.lastAddress = (p.pointee.lastAddress &+ UInt64(bitPattern: p.pointee.step) &* k) & 0xFFFF_FFFF
                p.pointee.stamp &+= k
            }
            p += 1
        }
    }

    /// Replays a block's memo (see the block hook): its cycles now, its counters when flushed.
    @inline(__always) mutating func replay(_ b: UnsafeMutablePointer<BlockRecord>) {
        cycles += b.pointee.memo.cycles
        b.pointee.memoReplays &+= 1
    }

    /// Adds the counters of the block's replays to the run's totals.
    @inline(__always) mutating func flushReplays(_ b: UnsafeMutablePointer<BlockRecord>) {
        let n = b.pointee.memoReplays, m = b.pointee.memo
        guard n > 0 else { return }
        replays &+= n
        fetchBranchMisses &+= n &* m.fetchBranchMisses
        fetchSequentialMisses &+= n &* m.fetchSequentialMisses
        flashData.reads &+= n &* m.flashReads
        flashData.misses &+= n &* m.flashMisses
        sramData.reads &+= n &* m.sramReads
        b.pointee.memoReplays = 0
    }

    /// Prices the block's located data reads, then its instruction-fetch lines, through the caches.
    /// With `recordMemo` and no line filled, the prices become the block's memo and its countdown starts.
    ///
    /// Why the memo is exact for the next execution if that is a re-entry (nothing ran in between):
    /// every line this execution looked up was present (no fill), so a re-entry that looks up the same
    /// lines in the same order hits throughout and leaves them in the same LRU order — the caches end
    /// as this execution left them and the prices repeat. The data lines are checked at the re-entry
    /// (`locateBlockLoads`) or guaranteed by the countdown; the fetch lines are the same when this
    /// execution started with the block's own last line fetched last, as a re-entry does. The caller
    /// asks for a memo only then (`pricedBlock`), and only for blocks that loop.
    @inline(__always) mutating func priceInFull(_ b: UnsafeMutablePointer<BlockRecord>, sequential: Bool, recordMemo: Bool) {
        guard recordMemo else {
            if b.pointee.probeCount > 0 { priceLocatedLoads(b) }
            if b.pointee.fetchModelled { priceFetch(from: b.pointee.start, to: b.pointee.end, sequential: sequential) }
            epoch &+= 1
            return
        }
        if b.pointee.memoReplays > 0 { flushReplays(b) }
        let before = pricingTotals
        let fillsBefore = fills
        if b.pointee.probeCount > 0 { priceLocatedLoads(b) }
        if b.pointee.fetchModelled { priceFetch(from: b.pointee.start, to: b.pointee.end, sequential: sequential) }
        epoch &+= 1
        guard fills == fillsBefore else { return }
        let after = pricingTotals
        b.pointee.memo = PricingDelta(
            cycles: after.cycles - before.cycles, fetchBranchMisses: after.fetchBranchMisses &- before.fetchBranchMisses,
            fetchSequentialMisses: after.fetchSequentialMisses &- before.fetchSequentialMisses,
            flashReads: after.flashReads &- before.flashReads, flashMisses: after.flashMisses &- before.flashMisses,
            sramReads: after.sramReads &- before.sramReads)
        adoptLines(b)
        startCountdown(b)
    }

    /// The memo now stands for the lines just located (and for the caches as they are).
    @inline(__always) mutating func adoptLines(_ b: UnsafeMutablePointer<BlockRecord>) {
        b.pointee.memoEpoch = epoch
        var p = probes + Int(b.pointee.probeStart)
        let end = p + Int(b.pointee.probeCount)
        while p < end {
            p.pointee.memoRange = p.pointee.range
            p.pointee.memoFirstLine = p.pointee.firstLine
            p.pointee.memoLastLine = p.pointee.lastLine
            p += 1
        }
    }

    /// Whether pricing block `b` now (its loads just located, the line it ends in fetched last, as
    /// for a re-entry) would look up only lines that are the most recent of their set: hits that
    /// leave every cache exactly as it is. Each load must also read from the range it read when the
    /// memo was recorded. Then the execution's prices are the memo's even when its lines differ:
    /// an all-hit execution costs the same per read for every line of a range, and its fetch of the
    /// same lines costs nothing (or, without a fetch cache, the same misses). Two lines of one set
    /// cannot both be the most recent, so a sequence that would reorder a set always fails here.
    @inline(__always) func lookupsChangeNothing(_ b: UnsafeMutablePointer<BlockRecord>) -> Bool {
        var p = probes + Int(b.pointee.probeStart)
        let end = p + Int(b.pointee.probeCount)
        while p < end {
            let r = p.pointee.range
            guard r == p.pointee.memoRange else { return false }
            if r >= 0 {
                var line = p.pointee.firstLine
                while line <= p.pointee.lastLine {
                    guard dataLineIsMostRecent(range: Int(r), line) else { return false }
                    line &+= 1
                }
            }
            p += 1
        }
        // A re-entry looks up every fetch line but its last (fetched last).
        return !b.pointee.fetchModelled || !hasFetchCache
            || fetchLinesAreMostRecent(from: b.pointee.start >> fetchLineShift, upTo: (b.pointee.end &- 1) >> fetchLineShift)
    }

    /// Whether every fetch line in `from ..< upTo` is the most recent of its set in the fetch cache.
    @inline(__always) func fetchLinesAreMostRecent(from first: UInt64, upTo end: UInt64) -> Bool {
        var line = first
        while line < end {
            guard fetchCache.unsafelyUnwrapped.isMostRecent(line) else { return false }
            line &+= 1
        }
        return true
    }

    /// Whether a data read of `line` in priced range `k` would hit without changing its cache (true
    /// when no cache holds the range: every read misses alike and nothing changes).
    @inline(__always) func dataLineIsMostRecent(range k: Int, _ line: UInt64) -> Bool {
        if priced[k].isFlash {
            if flashData.sharesFetchCache { return fetchCache.unsafelyUnwrapped.isMostRecent(line) }
            if let c = flashData.cache { return c.isMostRecent(line) }
            return true
        }
        return sramData.cache.unsafelyUnwrapped.isMostRecent(line)
    }

    /// For a block with `trivialFetchLine == BlockRecord.multiLine`: whether its fetch changes no
    /// cache; if so, its last line becomes the line fetched last, as `priceFetch` would leave it, and
    /// nothing else would change (no miss, so no cost).
    @inline(__always) mutating func fetchChangesNothing(_ b: UnsafeMutablePointer<BlockRecord>) -> Bool {
        let first = b.pointee.trivialFirstLine, last = b.pointee.trivialLastLine
        guard fetchLinesAreMostRecent(from: first == lastFetchLine ? first &+ 1 : first, upTo: last &+ 1) else { return false }
        lastFetchLine = last
        return true
    }

    /// Instruction fetch of [start, end) from flash: each line not fetched last is looked up in the
    /// fetch cache (if any); a miss costs a sequential or a branch miss.
    @inline(__always) mutating func priceFetch(from start: UInt64, to end: UInt64, sequential: Bool) {
        let shift = fetchLineShift
        let first = start >> shift, last = (end &- 1) >> shift
        var line = first
        while line <= last {
            let previous = lastFetchLine
            if line != previous {
                let hit = hasFetchCache ? fetchCache!.access(line: line) : false
                if !hit {
                    if hasFetchCache { fills &+= 1 }
                    if line == previous &+ 1 && (line != first || sequential) {
                        fetchSequentialMisses &+= 1
                        cycles += fetchSequentialMissCost
                    } else {
                        fetchBranchMisses &+= 1
                        cycles += fetchBranchMissCost
                    }
                }
                lastFetchLine = line
            }
            line &+= 1
        }
    }
}
