import Kernels
import Quant
import Support
import TestSupport
import XCTest

/// The C kernels against the Swift reference (`Quant`), bit for bit: built for the host with cc and
/// for each board with arm-none-eabi-gcc, run natively and on the emulated boards.
final class KernelVerificationTests: XCTestCase {
    private func cases(seed: UInt64, perOp: Int) throws -> [KernelCase] {
        var g = SplitMix64(seed: seed)
        return try KernelCase.Op.allCases.flatMap { op in try (0..<perOp).map { _ in try KernelCase.random(op, using: &g) } }
    }

    func testHostAndEmulatedKernelsMatchReference() throws {
        let toolchain = KernelToolchain(root: Fixtures.root)
        var executors = [try KernelVerifier.hostExecutor(toolchain)]
        for name in ["nucleo-f446re", "nucleo-l552ze-q", "portenta-h7"] {
            executors.append(try KernelVerifier.emulatedExecutor(toolchain, board: try Fixtures.board(name)))
        }
        let report = try KernelVerifier.verify(try cases(seed: 7, perOp: 25), executors: executors)
        for m in report.mismatches.prefix(10) { XCTFail(m.description) }
        XCTAssertEqual(report.summaries.count, KernelCase.Op.allCases.count)
        for s in report.summaries {
            for e in executors { XCTAssertEqual(s.identical[e.name], s.cases, "\(s.op.rawValue) on \(e.name)") }
        }
    }

    /// The requantization of every kernel (mn_rq_block: one 64-bit product for both of TFLite's
    /// roundings) across the whole int32 accumulator range: FULLY_CONNECTED with a zero input, so each
    /// unit's accumulator is its bias, placed next to the rounding boundaries of outputs in
    /// [-150, 150] for right shifts 1–31 (and shift 0 and left shifts, the general path), against
    /// the Swift reference's two-step arithmetic.
    func testRequantizationAtRoundingBoundariesAcrossInt32() throws {
        var g = SplitMix64(seed: 11)
        let cases: [KernelCase] = try (0..<120).map { _ in
            let units = 32
            var multipliers: [Int32] = [], shifts: [Int] = [], bias: [Int32] = []
            for _ in 0..<units {
                let m = Int32.random(in: (1 << 30)...Int32.max, using: &g)
                let shift = Int.random(in: 0..<16, using: &g) == 0 ? Int.random(in: 0...3, using: &g) : -Int.random(in: 1...31, using: &g)
                // Output k + 1/2 before rounding: acc * m / 2^(31 - shift) = k + 1/2, jittered by a few.
                let k = Double(Int.random(in: -150...150, using: &g))
                let exact = (k + 0.5) * pow(2, Double(31 - shift)) / Double(m)
                let acc = (exact + Double(Int.random(in: -3...3, using: &g))).rounded()
                multipliers.append(m)
                shifts.append(shift)
                bias.append(Int32(max(Double(Int32.min), min(Double(Int32.max), acc))))
            }
            let requant = Requantization(multipliers: multipliers, shifts: shifts, outputZeroPoint: 0, activationMin: -128, activationMax: 127)
            let c = KernelCase.fullyConnected(KernelCase.FCCase(input: [0], batches: 1, depth: 1, inputZeroPoint: 0, filter: [Int8](repeating: 0, count: units),
                                                                units: units, bias: bias, requant: requant))
            try c.validate()
            return c
        }
        let toolchain = KernelToolchain(root: Fixtures.root)
        var executors = [try KernelVerifier.hostExecutor(toolchain)]
        for name in ["nucleo-f446re", "nucleo-l552ze-q", "portenta-h7"] {
            executors.append(try KernelVerifier.emulatedExecutor(toolchain, board: try Fixtures.board(name)))
        }
        let report = try KernelVerifier.verify(cases, executors: executors)
        for m in report.mismatches.prefix(10) { XCTFail(m.description) }
        XCTAssertTrue(report.passed)
    }

    /// The comparison can fail: a corrupted output byte is reported with its case and position.
    func testCorruptedOutputIsReported() throws {
        let toolchain = KernelToolchain(root: Fixtures.root)
        let host = try KernelVerifier.hostExecutor(toolchain)
        let corrupting = KernelVerifier.Executor(name: "corrupt") { input in
            var out = try host.run(input)
            out[8] ^= 1  // first output byte of the first case (after its length and cycle words)
            return out
        }
        let report = try KernelVerifier.verify(try cases(seed: 3, perOp: 1), executors: [host, corrupting])
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.mismatches.count, 1)
        XCTAssertEqual(report.mismatches.first?.executor, "corrupt")
        XCTAssertEqual(report.mismatches.first?.caseIndex, 0)
        XCTAssertEqual(report.mismatches.first?.firstDifference, 0)
    }
}
