import CUnicorn
import Foundation

// The data watchpoint and trace unit's cycle counter (ARMv7-M ARM §C1.8), memory-mapped I/O.

/// DWT registers (memory-mapped I/O page): CYCCNT reads the modelled cycle count.
func dwtMMIORead(_ uc: OpaquePointer?, _ offset: UInt64, _ size: UInt32, _ user: UnsafeMutableRawPointer?) -> UInt64 {
    UInt64(machine(user).dwtRead(address: DWTRegister.base + offset))
}

func dwtMMIOWrite(_ uc: OpaquePointer?, _ offset: UInt64, _ size: UInt32, _ value: UInt64, _ user: UnsafeMutableRawPointer?) {
    machine(user).dwtWrite(address: DWTRegister.base + offset, value: UInt32(truncatingIfNeeded: value))
}

/// Addresses of the DWT registers the emulator models (ARMv7-M ARM §C1.8).
enum DWTRegister {
    static let base: UInt64 = 0xE000_1000
    static let ctrl: UInt64 = 0xE000_1000
    static let cyccnt: UInt64 = 0xE000_1004
}

/// DWT cycle counter: CYCCNT counts modelled cycles while CTRL.CYCCNTENA (bit 0) is set.
final class DWTState {
    var enabled = false
    /// CYCCNT value at the moment it was last enabled or written.
    var base: UInt32 = 0
    /// Modelled cycle count at that moment.
    var since: Double = 0

    func value(at cycles: Double) -> UInt32 {
        enabled ? base &+ UInt32(truncatingIfNeeded: UInt64(max(0, cycles - since))) : base
    }
}

extension Machine {
    func dwtWrite(address: UInt64, value: UInt32) {
        dwtRegisters[Int((address - DWTRegister.base) >> 2)] = value
        let now = cyclesBefore(address: locateAccess(address) ?? currentBlockStart)
        switch address {
        case DWTRegister.ctrl:
            let enable = value & 1 == 1
            if enable && !dwt.enabled { dwt.since = now }
            if !enable && dwt.enabled { dwt.base = dwt.value(at: now) }
            dwt.enabled = enable
        case DWTRegister.cyccnt:
            dwt.base = value
            dwt.since = now
        default: break
        }
    }

    func dwtRead(address: UInt64) -> UInt32 {
        guard address == DWTRegister.cyccnt else { return dwtRegisters[Int((address - DWTRegister.base) >> 2)] }
        let pc = locateAccess(address)
        let v = dwt.value(at: cyclesBefore(address: pc ?? currentBlockStart))
        counterReads.append(CounterRead(pc: pc ?? currentBlockStart, value: v,
                                        events: options.recordCounterEvents ? eventsBefore(address: pc ?? currentBlockStart) : nil))
        return v
    }
}
