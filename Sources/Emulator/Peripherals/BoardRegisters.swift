import Targets

func boardRegisterMMIORead(_ uc: OpaquePointer?, _ offset: UInt64, _ size: UInt32, _ user: UnsafeMutableRawPointer?) -> UInt64 {
    let page = user.unsafelyUnwrapped.assumingMemoryBound(to: BoardRegisterPage.self)
    return UInt64(page.pointee.model.read(page.pointee.base + offset, size: size))
}

func boardRegisterMMIOWrite(_ uc: OpaquePointer?, _ offset: UInt64, _ size: UInt32, _ value: UInt64, _ user: UnsafeMutableRawPointer?) {
    let page = user.unsafelyUnwrapped.assumingMemoryBound(to: BoardRegisterPage.self)
    page.pointee.model.write(page.pointee.base + offset, size: size, value: UInt32(truncatingIfNeeded: value))
}

/// The user data of one memory-mapped 4 KiB page of board registers.
struct BoardRegisterPage {
    var base: UInt64
    var model: BoardRegisters
}

/// The board's registers that its `clock_setup` and `console` touch, as a functional model: every
/// register keeps what was written to it, the bits a `wait` step waits for read as the step wants
/// them (the oscillator, PLL and regulator are ready at once), the console's status register
/// always reports an empty transmit register, and each byte written to its data register is
/// console output. Only the 4 KiB pages holding those registers are modelled (memory-mapped I/O);
/// the rest of the peripheral region stays plain memory.
final class BoardRegisters {
    private var words: [UInt64: UInt32] = [:]
    /// address → (mask, value) imposed on reads.
    private var forced: [UInt64: (mask: UInt32, value: UInt32)] = [:]
    private let txData: UInt64?
    private(set) var console: [UInt8] = []
    let pages: [UInt64]

    init(board: Board) {
        var steps = board.clockSetup?.steps ?? []
        steps += board.console?.steps ?? []
        steps = steps.filter { $0.operation != .delay }
        var forced: [UInt64: (mask: UInt32, value: UInt32)] = [:]
        for s in steps where s.operation == .wait {
            let old = forced[UInt64(s.address)] ?? (0, 0)
            forced[UInt64(s.address)] = (old.mask | s.mask, (old.value & ~s.mask) | s.value)
        }
        var addresses = Set(steps.map { UInt64($0.address) })
        if let c = board.console {
            let old = forced[UInt64(c.status)] ?? (0, 0)
            forced[UInt64(c.status)] = (old.mask | c.txEmpty, old.value | c.txEmpty)
            addresses.insert(UInt64(c.status))
            addresses.insert(UInt64(c.txData))
        }
        self.forced = forced
        txData = board.console.map { UInt64($0.txData) }
        pages = Set(addresses.map { $0 & ~0xFFF }).sorted()
    }

    func read(_ address: UInt64, size: UInt32) -> UInt32 {
        let word = address & ~3
        var v = words[word] ?? 0
        if let f = forced[word] { v = (v & ~f.mask) | f.value }
        let shift = UInt32(address & 3) * 8
        let bits = min(size, 4) * 8
        return bits >= 32 ? v : (v >> shift) & ((1 << bits) - 1)
    }

    func write(_ address: UInt64, size: UInt32, value: UInt32) {
        let word = address & ~3
        if word == txData { console.append(UInt8(truncatingIfNeeded: value)) }
        let shift = UInt32(address & 3) * 8
        let bits = min(size, 4) * 8
        if bits >= 32 {
            words[word] = value
        } else {
            let mask = ((UInt32(1) << bits) - 1) << shift
            words[word] = ((words[word] ?? 0) & ~mask) | ((value << shift) & mask)
        }
    }
}
