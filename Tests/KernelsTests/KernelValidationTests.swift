import Kernels
import Quant
import TestSupport
import XCTest

/// Malformed calls are one clear error before anything is built or run.
final class KernelValidationTests: XCTestCase {
    private func conv(input: Shape4 = Shape4(1, 8, 3, 4), filter: Shape4 = Shape4(2, 3, 1, 4), stride: Int = 1,
                      padding: Padding = .same, inputZeroPoint: Int32 = 0, bias: Int? = nil,
                      requant: Requantization? = nil) throws -> KernelCase {
        let q = try requant ?? Requantization(inputScale: 0.1, weightScales: [0.01, 0.02], outputScale: 0.2,
                                              outputZeroPoint: 0, activation: .none)
        return .conv(.init(input: [Int8](repeating: 1, count: max(0, input.count)), inputShape: input, inputZeroPoint: inputZeroPoint,
                           filter: [Int8](repeating: 1, count: max(0, filter.count)), filterShape: filter,
                           bias: bias.map { [Int32](repeating: 0, count: $0) },
                           window: WindowParams(kernelH: filter.h, kernelW: filter.w, strideH: stride, strideW: stride, padding: padding),
                           requant: q))
    }

    private func message(_ c: KernelCase) -> String { Fixtures.errorMessage { try c.validate() } }

    func testWellFormedCallPasses() throws {
        XCTAssertNoThrow(try conv().validate())
    }

    func testBadShapesAndParametersNameTheCause() throws {
        XCTAssertEqual(message(try conv(input: Shape4(1, 0, 3, 4))), "invalid CONV_2D call: input shape 1x0x3x4 has a zero or negative dimension")
        XCTAssertEqual(message(try conv(filter: Shape4(-2, 3, 1, 4))), "invalid CONV_2D call: filter shape -2x3x1x4 has a zero or negative dimension")
        XCTAssertEqual(message(try conv(stride: 0)), "invalid CONV_2D call: stride 0x0 must be positive")
        XCTAssertEqual(message(try conv(filter: Shape4(2, 3, 1, 5))), "invalid CONV_2D call: filter has 5 input channels, the input has 4")
        XCTAssertEqual(message(try conv(inputZeroPoint: 130)), "invalid CONV_2D call: input zero point 130 is outside int8 [-128, 127]")
        XCTAssertEqual(message(try conv(bias: 3)), "invalid CONV_2D call: bias has 3 values, its shape needs 2")
        XCTAssertEqual(message(try conv(filter: Shape4(2, 9, 1, 4), padding: .valid)),
                       "invalid CONV_2D call: a 9x1 VALID window does not fit input 1x8x3x4")
        let three = Requantization(multipliers: [1 << 30, 1 << 30, 1 << 30], shifts: [0, 0, 0], outputZeroPoint: 0,
                                   activationMin: -128, activationMax: 127)
        XCTAssertEqual(message(try conv(requant: three)), "invalid CONV_2D call: 3 requantization multipliers for 2 output channels")
        let badShift = Requantization(multipliers: [1 << 30], shifts: [40], outputZeroPoint: 0, activationMin: -128, activationMax: 127)
        XCTAssertEqual(message(try conv(requant: badShift)), "invalid CONV_2D call: requantization shift 40 is outside -31...30")
        let softmax = KernelCase.softmax(.init(input: [1, 2], rows: 1, depth: 3, params: try SoftmaxParams(inputScale: 0.1)))
        XCTAssertEqual(message(softmax), "invalid SOFTMAX call: input has 2 values, its shape needs 3")
        let quantize = KernelCase.quantize(.init(input: [1, .nan], scale: 0.1, zeroPoint: 0))
        XCTAssertEqual(message(quantize), "invalid QUANTIZE call: input[1] = nan is not finite")
        let zeroScale = KernelCase.dequantize(.init(input: [1], scale: 0, zeroPoint: 0))
        XCTAssertEqual(message(zeroScale), "invalid DEQUANTIZE call: scale must be finite and > 0, got 0.0")
        let add = KernelCase.add(.init(a: [1, 2], b: [1], params: try .init(scale1: 0.1, zeroPoint1: 0, scale2: 0.1, zeroPoint2: 0,
                                                                             outputScale: 0.1, outputZeroPoint: 0, activation: .none)))
        XCTAssertEqual(message(add), "invalid ADD call: inputs have 2 and 1 values; shapes must match")
    }

    /// The verifier refuses a malformed call before running any executor.
    func testVerifierRejectsBeforeRunning() throws {
        let never = KernelVerifier.Executor(name: "never") { _ in
            XCTFail("an executor ran for a malformed case")
            return []
        }
        XCTAssertThrowsError(try KernelVerifier.verify([try conv(stride: 0)], executors: [never]))
    }
}
