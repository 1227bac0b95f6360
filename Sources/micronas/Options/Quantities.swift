import ArgumentParser
import Foundation

/// Limits as people write them: `25ms`, `500us`, `0.02s`; `64KB`, `64KiB`, `1MB`, `65536B`.
/// KB and KiB both mean 1024 bytes, MB and MiB 1024² (microcontroller datasheets count RAM and
/// flash in binary kilobytes).
enum Quantity {
    /// Milliseconds from `text` (unit required), finite, > 0 and at most one hour.
    static func milliseconds(_ text: String, option: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 1), ("us", 1e-3), ("µs", 1e-3), ("s", 1000)]
        let (value, scale) = try split(text, units: units, option: option, example: "25ms or 500us")
        let ms = value * scale
        guard ms.isFinite, ms > 0, ms <= 3_600_000 else { throw ValidationError("\(option) must be a positive time of at most an hour, got '\(text)'") }
        return ms
    }

    /// Bytes from `text` (unit required), a whole number of bytes > 0 and at most 4 GiB.
    static func bytes(_ text: String, option: String) throws -> Int {
        let units: [(String, Double)] = [("kib", 1024), ("kb", 1024), ("k", 1024), ("mib", 1_048_576), ("mb", 1_048_576), ("m", 1_048_576), ("b", 1)]
        let (value, scale) = try split(text, units: units, option: option, example: "64KB, 64KiB or 1MB")
        let b = value * scale
        guard b.isFinite, b >= 1, b <= 4_294_967_296 else { throw ValidationError("\(option) must be a positive size of at most 4 GiB, got '\(text)'") }
        guard b == b.rounded() else { throw ValidationError("\(option) must be a whole number of bytes, got '\(text)' (\(b) B)") }
        return Int(b)
    }

    static func split(_ text: String, units: [(String, Double)], option: String, example: String) throws -> (Double, Double) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        for (unit, scale) in units where t.hasSuffix(unit) {
            let number = t.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "-" || $0 == "+" }), let v = Double(number) else {
                throw ValidationError("\(option): '\(text)' is not a number with a unit (e.g. \(example))")
            }
            return (v, scale)
        }
        throw ValidationError("\(option): '\(text)' needs a unit (e.g. \(example))")
    }
}
