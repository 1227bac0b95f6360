import CEmulatorShims
import CUnicorn
import Foundation
import Targets

/// How to run a firmware image.
public struct RunOptions: Sendable {
    /// Stop with `EmulatorError.budgetExhausted` after this many instructions (checked per basic block).
    public var maxInstructions: UInt64
    /// Optional wall-clock limit in seconds.
    public var timeoutSeconds: Double?
    /// Bytes the program reads from semihosting stdin.
    public var stdin: [UInt8]
    /// What SYS_GET_CMDLINE returns.
    public var commandLine: String
    /// Addresses at which to record the modelled cycle count (before the instruction there executes).
    public var probes: [UInt64]
    /// false = raw Unicorn: no block, memory, divide or probe hooks, so no cycles or events — only the
    /// interrupt and fault hooks that semihosting and error reports need. For benchmarks.
    public var accounting: Bool = true
    /// Price flash / cacheable-SRAM data reads with Unicorn memory-read hooks instead of the load
    /// address analysis. About 2× slower (see DataAccess.swift); it is the reference the tests
    /// compare the analysis against.
    public var dataReadsByMemoryHooks: Bool = false
    /// false = price every block execution in full: no block memo, no address induction (see the
    /// block hook). Same events and cycles, slower; the reference the tests compare the short cuts with.
    public var pricingShortcuts: Bool = true
    /// Record, with every DWT->CYCCNT read, the event vector accumulated before the reading
    /// instruction (so a region's events are the difference of two reads, as its cycles are).
    public var recordCounterEvents: Bool = false
    /// With `accounting` off: install one block hook that only counts blocks (in C) — the cost of
    /// Unicorn's per-block hook dispatch alone, the floor under any block-level accounting. For benchmarks.
    public var countBlocksOnly: Bool = false

    public init(maxInstructions: UInt64 = 1_000_000_000, timeoutSeconds: Double? = nil, stdin: [UInt8] = [],
                commandLine: String = "firmware", probes: [UInt64] = []) {
        self.maxInstructions = maxInstructions
        self.timeoutSeconds = timeoutSeconds
        self.stdin = stdin
        self.commandLine = commandLine
        self.probes = probes
    }
}

/// One emulated board with one firmware image loaded: Unicorn in M-profile Thumb mode, the board's
/// memory map, DWT/semihosting peripherals, and the cycle model. Single use: create, `run()`, drop.
public final class Machine {
    public let board: Board
    public let image: ELFImage
    let costs: EventVector
    let uc: OpaquePointer
    let decoder: Decoder
    let hot: UnsafeMutablePointer<HotState>
    /// Blocks counted by the `countBlocksOnly` hook.
    let countedBlocks: UnsafeMutablePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    var analyses: [BlockAnalysis] = []
    /// Host backing of the guest memory: anonymous mappings and their sizes (`munmap` in `deinit`).
    private var hostMemory: [(UnsafeMutableRawPointer, Int)] = []
    private var hookHandles: [uc_hook] = []
    var hasRun = false
    var lastCursorExecution: UInt64 = 0

    // Run state reached from the cold hooks.
    var pendingError: EmulatorError?
    var stopReason: StopReason?
    var exitCode: Int32 = 0
    var options = RunOptions()
    var stdoutBytes: [UInt8] = []
    var stderrBytes: [UInt8] = []
    var counterReads: [CounterRead] = []
    var probeCycles: [UInt64: [Double]] = [:]
    var divideCycles: UInt64 = 0
    var lastDivide: (address: UInt64, cost: Double, stamp: UInt64) = (.max, 0, 0)
    var accessCursor = 0
    var accessCursorBlock = -1
    let dwt = DWTState()
    /// Backing store of the DWT page (0xE0001000–0xE0001FFF), one word per register.
    var dwtRegisters = [UInt32](repeating: 0, count: 1024)
    /// Loads with a code hook, and the hooks' user data (freed with the machine).
    var loadHooks: [UInt64: (uc_hook, UnsafeMutablePointer<HookedLoad>)] = [:]
    var hookedLoads: [UnsafeMutablePointer<HookedLoad>] = []
    var entryPricedAddresses = Set<UInt64>()
    /// Load instructions left unpriced on some block paths (see `hookLoads`).
    var unpricedLoadSites = Set<UInt64>()
    var semihosting = SemihostingState()
    /// Divide instructions found in executable segments: address → (Rn, Rm, signed).
    var divides: [UInt64: (rn: Int32, rm: Int32, signed: Bool)] = [:]
    /// Accesses checked for alignment at block entry, and those checked by a code hook (see
    /// `addAlignmentChecks`) with the hooks' user data.
    var alignmentProbes: [AlignmentSite] = []
    var alignmentHooks: [UInt64: UnsafeMutablePointer<AlignmentSite>] = [:]
    /// The registers of the board's clock set-up and console (memory-mapped I/O pages).
    lazy var boardRegisters = BoardRegisters(board: board)
    var boardRegisterPages: [UnsafeMutablePointer<BoardRegisterPage>] = []
    /// Where `run` resumes after a stop that put alignment checks on a block not yet run.
    var restartAddress: UInt64? = nil

    public init(board: Board, image: ELFImage) throws {
        self.board = board
        self.image = image
        costs = board.costVector
        var engine: OpaquePointer? = nil
        try ucCheck("uc_open", uc_open(UC_ARCH_ARM, uc_mode(UC_MODE_THUMB.rawValue | UC_MODE_MCLASS.rawValue), &engine))
        uc = engine!
        // On a 64-byte boundary: the block hook's fast path reads the first 40 bytes (one host cache line).
        hot = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<HotState>.stride, alignment: 64).bindMemory(to: HotState.self, capacity: 1)
        hot.initialize(to: HotState())
        decoder = try Decoder(armv8m: board.core.architecture.hasPrefix("armv8"))
        let model: uc_cpu_arm
        switch board.core.cpu {
        case "cortex-m0": model = UC_CPU_ARM_CORTEX_M0
        case "cortex-m3": model = UC_CPU_ARM_CORTEX_M3
        case "cortex-m4": model = UC_CPU_ARM_CORTEX_M4
        case "cortex-m7": model = UC_CPU_ARM_CORTEX_M7
        default: model = UC_CPU_ARM_CORTEX_M33
        }
        try check("uc_ctl_set_cpu_model", mn_ctl_set_cpu_model(uc, Int32(model.rawValue)))
        try mapMemory()
        try loadSegments()
        configureCycleModel()
    }

    deinit {
        uc_close(uc)
        hot.pointee.release()
        hot.deinitialize(count: 1)
        hot.deallocate()
        countedBlocks.deallocate()
        for (p, size) in hostMemory { munmap(p, size) }
        for h in hookedLoads { h.deallocate() }
        for h in alignmentHooks.values { h.deallocate() }
        for p in boardRegisterPages { p.deinitialize(count: 1); p.deallocate() }
    }

    /// Turns a Unicorn error code into a Swift error naming the call.
    func check(_ call: String, _ err: uc_err) throws { try ucCheck(call, err) }

    // MARK: memory

    static let ppbBase: UInt64 = 0xE000_0000
    /// SCB->CCR, the Configuration and Control Register (ARMv7-M ARM B3.2.8).
    static let ccrAddress: UInt64 = 0xE000_ED14
    static let ppbSize: UInt64 = 0x10_0000

    private func mapMemory() throws {
        let ppbPieces: [(base: UInt64, size: UInt64, offset: Int)] = {
            let dwtPage = DWTRegister.base - Machine.ppbBase
            return [(Machine.ppbBase, dwtPage, 0),
                    (DWTRegister.base + 0x1000, Machine.ppbSize - dwtPage - 0x1000, Int(dwtPage + 0x1000))]
        }()
        var spacers = SpacerPlan(occupied: board.memories.flatMap { r in ([r.base] + r.aliases).map { ($0, r.size) } }
                                     + [(Machine.ppbBase, Machine.ppbSize)],
                                 leafBytes: try leafBytes())
        for region in board.memories {
            guard let mem = guestMemory(region.size) else { throw EmulatorError.library(call: "mmap", message: "out of memory") }
            // Flash takes no stores (a locked STM32 flash ignores them and flags a programming
            // error): mapped read/execute only, a store stops the run (`flashWrite`).
            let protection = region.kind == .flash ? UC_PROT_READ.rawValue | UC_PROT_EXEC.rawValue : UC_PROT_ALL.rawValue
            for base in [region.base] + region.aliases {
                // The modelled board-register pages are memory-mapped I/O; the rest of the region is memory.
                let holes = region.kind == .peripheral ? boardRegisters.pages.filter { $0 >= base && $0 < base + region.size } : []
                var start = base
                for stop in holes + [base + region.size] {
                    if stop > start {
                        try check("uc_mem_map_ptr(\(region.name) at 0x\(String(start, radix: 16)))",
                                  uc_mem_map_ptr(uc, start, Int(stop - start), UInt32(protection), mem + Int(start - base)))
                    }
                    start = stop + 0x1000
                }
                for page in holes {
                    let user = UnsafeMutablePointer<BoardRegisterPage>.allocate(capacity: 1)
                    user.initialize(to: BoardRegisterPage(base: page, model: boardRegisters))
                    boardRegisterPages.append(user)
                    try check("uc_mmio_map(board registers at 0x\(String(page, radix: 16)))",
                              uc_mmio_map(uc, page, 0x1000, boardRegisterMMIORead, UnsafeMutableRawPointer(user), boardRegisterMMIOWrite, UnsafeMutableRawPointer(user)))
                }
                try mapSpacer(&spacers)
            }
        }
        // Private peripheral bus: SCS (SCB, SysTick, NVIC) as plain registers around the DWT page, which
        // is memory-mapped I/O so that CYCCNT reads return the modelled count (a memory hook instead
        // would slow every load and store of the run, see DataAccess.swift).
        guard let ppb = guestMemory(Machine.ppbSize) else { throw EmulatorError.library(call: "mmap", message: "out of memory") }
        for (i, piece) in ppbPieces.enumerated() {
            try check("uc_mem_map_ptr(ppb)", uc_mem_map_ptr(uc, piece.base, Int(piece.size), UInt32(UC_PROT_ALL.rawValue), ppb + piece.offset))
            if i == 0 { try mapSpacer(&spacers) }
        }
        try check("uc_mmio_map(dwt)", uc_mmio_map(uc, DWTRegister.base, 0x1000, dwtMMIORead, Unmanaged.passUnretained(self).toOpaque(),
                                                  dwtMMIOWrite, Unmanaged.passUnretained(self).toOpaque()))
        for base in spacers.mapped { try check("uc_mem_unmap(spacer)", uc_mem_unmap(uc, base, Int(spacers.leafBytes))) }
        var cpuid = board.core.cpuid.value
        try check("uc_mem_write(CPUID)", uc_mem_write(uc, 0xE000_ED00, &cpuid, 4))
    }

    /// Bytes of Unicorn's internal RAM address space one page-descriptor leaf covers (1024 target pages).
    private func leafBytes() throws -> UInt64 {
        var pageSize = 0
        try check("uc_query(page size)", uc_query(uc, UC_QUERY_PAGE_SIZE, &pageSize))
        return UInt64(max(pageSize, 1024)) * 1024
    }

    /// Maps a spacer after the RAM block just mapped (see `SpacerPlan`), unless the guest address
    /// space has no room left for one (then blocks share leaves: slower stores, same results).
    private func mapSpacer(_ plan: inout SpacerPlan) throws {
        guard let base = plan.next() else { return }
        guard let mem = guestMemory(plan.leafBytes) else { throw EmulatorError.library(call: "mmap", message: "out of memory") }
        try check("uc_mem_map_ptr(spacer at 0x\(String(base, radix: 16)))",
                  uc_mem_map_ptr(uc, base, Int(plan.leafBytes), UInt32(UC_PROT_ALL.rawValue), mem))
    }

    /// Zero-filled, page-aligned host memory for `size` bytes of guest memory. An anonymous mapping,
    /// so the kernel supplies zero pages on first touch: a 512 MB peripheral window costs nothing
    /// until the firmware touches it (clearing it eagerly cost 131 k page faults, about 0.3 s, per
    /// machine).
    private func guestMemory(_ size: UInt64) -> UnsafeMutableRawPointer? {
        let bytes = Int(size)
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              p != MAP_FAILED else { return nil }
        hostMemory.append((p, bytes))
        return p
    }

    /// Whether [address, address+size) lies inside one region (or one alias of it).
    func isMapped(_ address: UInt64, _ size: UInt64) -> Bool {
        for r in board.memories {
            for base in [r.base] + r.aliases where address >= base && address + size <= base + r.size { return true }
        }
        return false
    }

    private func loadSegments() throws {
        for seg in image.segments {
            guard isMapped(seg.address, seg.memorySize) else {
                throw EmulatorError.segmentOutsideMemory(path: image.path, address: seg.address, size: seg.memorySize, board: board.name)
            }
            if !seg.data.isEmpty {
                try seg.data.withUnsafeBytes { buf in
                    try check("uc_mem_write(segment 0x\(String(seg.address, radix: 16)))",
                              uc_mem_write(uc, seg.address, buf.baseAddress, buf.count))
                }
            }
            if seg.isExecutable { scanDivides(seg) }
        }
    }

    /// Finds SDIV/UDIV encodings (T1: 1111 1011 1001/1011 Rn, 1111 Rd 1111 Rm) at every halfword so that
    /// a code hook can price each one from its operands. A false match in data never executes.
    private func scanDivides(_ seg: ELFImage.Segment) {
        let d = seg.data
        var i = 0
        while i + 4 <= d.count {
            let hw1 = UInt16(d[i]) | UInt16(d[i + 1]) << 8
            let hw2 = UInt16(d[i + 2]) | UInt16(d[i + 3]) << 8
            let op = hw1 & 0xFFF0
            if (op == 0xFB90 || op == 0xFBB0) && hw2 & 0xF0F0 == 0xF0F0 {
                divides[seg.address + UInt64(i)] = (rn: Int32(hw1 & 0xF), rm: Int32(hw2 & 0xF), signed: op == 0xFB90)
            }
            i += 2
        }
    }

    func read32(_ address: UInt64) -> UInt32? {
        var v: UInt32 = 0
        return uc_mem_read(uc, address, &v, 4) == UC_ERR_OK ? v : nil
    }

    func register(_ id: uc_arm_reg) -> UInt32 {
        var v: UInt32 = 0
        uc_reg_read(uc, Int32(id.rawValue), &v)
        return v
    }

    func setRegister(_ id: uc_arm_reg, _ value: UInt32) {
        var v = value
        uc_reg_write(uc, Int32(id.rawValue), &v)
    }

    // MARK: cycle model set-up

    private func configureCycleModel() {
        var s = hot.pointee
        s.owner = Unmanaged.passUnretained(self).toOpaque()
        s.branchTakenCost = costs[.branchTaken]
        s.fetchBranchMissCost = costs[.fetchBranchMisses]
        s.fetchSequentialMissCost = costs[.fetchSequentialMisses]
        let fetchSpec = board.caches.first { ($0.role == .instruction || $0.role == .unified) && $0.regions.contains(.flash) }
        if let spec = fetchSpec {
            s.fetchCache = CacheModel(spec)
            s.hasFetchCache = true
            s.fetchLineShift = UInt64(spec.lineBytes.trailingZeroBitCount)
        } else {
            s.fetchLineShift = 4  // 128-bit flash line without any cache: every new line is fetched
        }
        let flashDataSpec = board.caches.first { ($0.role == .data || $0.role == .unified) && $0.regions.contains(.flash) }
        s.flashData.sharesFetchCache = flashDataSpec != nil && flashDataSpec == fetchSpec
        if let spec = flashDataSpec, !s.flashData.sharesFetchCache { s.flashData.cache = CacheModel(spec) }
        s.flashData.lineShift = UInt64((flashDataSpec?.lineBytes ?? 16).trailingZeroBitCount)
        s.flashData.missCost = costs[.flashDataMisses]
        s.flashData.readCost = costs[.flashDataReads]
        if let spec = board.caches.first(where: { ($0.role == .data || $0.role == .unified) && $0.regions.contains(.sram) }) {
            s.sramData.cache = CacheModel(spec)
            s.sramData.lineShift = UInt64(spec.lineBytes.trailingZeroBitCount)
        }
        s.sramData.missCost = costs[.sramDataMisses]
        var priced = ranges(of: .flash).map { PricedRange(lo: $0.0, hi: $0.1 + 1, isFlash: true, lineShift: s.flashData.lineShift) }
        if s.sramData.cache != nil {
            priced += ranges(of: .sram, cacheableOnly: true).map {
                PricedRange(lo: $0.0, hi: $0.1 + 1, isFlash: false, lineShift: s.sramData.lineShift)
            }
        }
        s.priced.deallocate()
        s.priced = .allocate(capacity: max(1, priced.count))
        s.priced.initialize(from: priced, count: priced.count)
        s.pricedCount = priced.count
        hot.pointee = s
    }

    /// Address ranges (base, alias…) of regions of `kind`.
    func ranges(of kind: MemoryKind, cacheableOnly: Bool = false) -> [(UInt64, UInt64)] {
        board.memories.filter { $0.kind == kind && (!cacheableOnly || $0.isCacheable) }
            .flatMap { r in ([r.base] + r.aliases).map { ($0, $0 + r.size - 1) } }
    }

    func isFetchModelled(_ address: UInt64) -> Bool {
        ranges(of: .flash).contains { address >= $0.0 && address <= $0.1 }
    }

    // MARK: boot

    /// Initial (SP, PC): the vector table at the boot address if one is there, else the ELF entry
    /// point with SP at the top of the first RAM region.
    public func bootState() -> (sp: UInt32, pc: UInt32, fromVectorTable: Bool) {
        let boot = board.bootAddress.value
        let coversBoot = image.segments.contains { boot >= $0.address && boot + 8 <= $0.address + UInt64($0.data.count) }
        if coversBoot, let sp = read32(boot), let reset = read32(boot + 4),
           reset & 1 == 1, isMapped(UInt64(reset & ~1), 2), sp & 3 == 0, sp != 0,
           board.memories.contains(where: { ($0.kind == .sram || $0.kind == .tcm) && UInt64(sp) > $0.base && UInt64(sp) <= $0.end }) {
            return (sp, reset, true)
        }
        return (UInt32(truncatingIfNeeded: board.defaultStackTop), UInt32(truncatingIfNeeded: image.entry) | 1, false)
    }
}

/// The one place a Unicorn status becomes a Swift error carrying the call's name and Unicorn's message.
func ucCheck(_ call: String, _ err: uc_err) throws {
    guard err == UC_ERR_OK else { throw EmulatorError.library(call: call, message: String(cString: uc_strerror(err))) }
}

/// Flash or cacheable-SRAM data reads: counters, prices and the cache in front of them.
struct DataPath {
    var cache: CacheModel? = nil
    var sharesFetchCache = false
    var lineShift: UInt64 = 4
    var reads: UInt64 = 0
    var misses: UInt64 = 0
    var readCost: Double = 0
    var missCost: Double = 0
}

/// Where to put the spacers that keep each guest RAM block in page-descriptor leaves of its own.
///
/// Unicorn 2.0.1 (Debian's) treats every page of RAM as possibly holding code: each guest store
/// leaves the translated fast path for `notdirty_write`, which looks the written page up among the
/// pages that hold translated blocks. Those page descriptors are allocated a leaf at a time — 1024
/// target pages of Unicorn's internal RAM address space — and when the written page sits in a leaf
/// that also describes a page with code, the look-up also walks that leaf's descriptor: about 930
/// host instructions per store instead of 400. Unicorn hands out that address space in mapping
/// order, so on a board whose SRAM block follows a small flash block (the L552's 512 KB flash + 256 KB
/// SRAM) the stack and every array live in the flash code's leaf; that alone made the M33's raw run
/// cost 41 % more host instructions than the F446's on the same program (`valgrind --tool=callgrind`
/// inside uc_emu_start, bench/emulator/dotloop.c with its 1.25 M stores: 2.233 G vs 1.588 G, the
/// difference in malloc/free, g_tree_insert and tb_invalidate_phys_page_fast; with the spacers the
/// M33 runs it in 1.572 G). A spacer of one leaf mapped after each block pushes the next block
/// into a leaf of its own; the spacers are unmapped once every region is in place, before anything
/// runs, so the guest never sees them. Results are unchanged either way: a store to a page that does
/// hold code still invalidates it.
struct SpacerPlan {
    /// Guest address ranges in use: the board's, then the spacers handed out.
    private var occupied: [(base: UInt64, size: UInt64)]
    let leafBytes: UInt64
    /// Spacers handed out so far (guest base addresses).
    private(set) var mapped: [UInt64] = []

    init(occupied: [(UInt64, UInt64)], leafBytes: UInt64) {
        self.occupied = occupied.map { (base: $0.0, size: $0.1) }
        self.leafBytes = leafBytes
    }

    /// A free, leaf-aligned guest range for one more spacer, or nil when the 4 GB space has none.
    mutating func next() -> UInt64? {
        var base: UInt64 = 0
        while base + leafBytes <= 0x1_0000_0000 {
            let end = base + leafBytes
            if let clash = occupied.first(where: { $0.base < end && base < $0.base + $0.size }) {
                base = (clash.base + clash.size + leafBytes - 1) / leafBytes * leafBytes
                continue
            }
            occupied.append((base, leafBytes))
            mapped.append(base)
            return base
        }
        return nil
    }
}
