import Foundation
import Tensor
import TestSupport
import XCTest

/// Forward values against Tests/TensorTests/Fixtures/forward.json, written by an independent numpy
/// implementation (scripts/make_tensor_fixtures.py: naive loops, float64).
final class ForwardFixtureTests: XCTestCase {
    struct Array: Decodable { var shape: [Int]; var data: [Double] }
    struct Case: Decodable {
        var op: String
        var kernel: [Int]?, stride: [Int]?, same: Bool?
        var x: Array, w: Array?, b: [Double]?, labels: [Int]?, y: Array
    }
    struct File: Decodable { var cases: [Case] }

    func tensor(_ a: Array) -> Tensor { Tensor(shape: a.shape, data: a.data.map(Float.init)) }

    func testForwardValuesMatchNumpy() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/TensorTests/Fixtures/forward.json")
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        XCTAssertEqual(file.cases.count, 11)
        for c in file.cases {
            let x = tensor(c.x)
            let y: Tensor
            switch c.op {
            case "conv2d":
                y = x.conv2d(tensor(c.w!), bias: Tensor(shape: [c.b!.count], data: c.b!.map(Float.init)),
                             stride: (c.stride![0], c.stride![1]), same: c.same!)
            case "dense": y = x.dense(tensor(c.w!), bias: Tensor(shape: [c.b!.count], data: c.b!.map(Float.init)))
            case "softmax": y = x.softmax()
            case "log_softmax": y = x.logSoftmax()
            case "cross_entropy": y = x.crossEntropy(labels: c.labels!)
            case "mean_hw": y = x.meanHW()
            default: XCTFail("unknown fixture op \(c.op)"); continue
            }
            XCTAssertEqual(y.shape, c.y.shape, c.op)
            for (got, expected) in zip(y.data, c.y.data) {
                XCTAssertEqual(Double(got), expected, accuracy: 1e-5 * max(1, abs(expected)), "\(c.op) \(c.kernel ?? []) \(c.stride ?? [])")
            }
        }
    }
}
