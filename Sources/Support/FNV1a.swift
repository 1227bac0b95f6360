import Foundation

/// 64-bit FNV-1a over byte strings, for content-addressed cache names and table keys.
///
/// h₀ = 0xcbf29ce484222325; for each byte b: h ← (h ⊕ b) · 0x100000001b3 (mod 2⁶⁴). Every `add`
/// ends with a separator byte (0xFF), so ("ab", "c") and ("a", "bc") hash differently.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325
    public init() {}
    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for b in bytes { value = (value ^ UInt64(b)) &* 0x100_0000_01B3 }
        value = (value ^ 0xFF) &* 0x100_0000_01B3  // separator
    }
    public mutating func add(_ s: String) { add(Array(s.utf8)) }
    public mutating func add(_ d: Data) { add([UInt8](d)) }

    /// The hash as lower-case hexadecimal (no leading zeros), as cache names use it.
    public var hex: String { String(value, radix: 16) }
}
