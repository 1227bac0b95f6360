import ArgumentParser

/// The one check of a whole-number option against its range, with the message every command uses.
func require<T: BinaryInteger>(_ value: T, in range: ClosedRange<T>, _ flag: String) throws {
    guard range.contains(value) else { throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound), got \(value)") }
}

/// `--threads`: batches and emulations split over at most this many threads.
let threadRange = 1 ... 256

/// Window lengths and steps in samples (`SearchSpace.maxWindowSide`).
let windowRange = 1 ... 1 << 20

/// Training windows activation ranges are calibrated on.
let calibrationRange = 1 ... 1 << 24
