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
