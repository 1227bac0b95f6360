import Foundation
import Graph

extension SearchSpace {
    /// Errors name the cell and the decision that lies outside the space.
    public func validate(_ a: Architecture) throws {
        guard a.timeReduce.count == timeReduceCells else {
            throw SearchSpaceError("architecture has \(a.timeReduce.count) Time-Reduce cells, the space \(timeReduceCells)")
        }
        guard a.sensorFusion.count == sensorFusionCells else {
            throw SearchSpaceError("architecture has \(a.sensorFusion.count) Sensor-Fusion cells, the space \(sensorFusionCells)")
        }
        for (i, c) in a.timeReduce.enumerated() {
            guard Self.kernels.contains(c.kernel) else { throw SearchSpaceError("Time-Reduce cell \(i): kernel \(c.kernel) is not one of \(Self.kernels)") }
            guard trFilterChoices.contains(c.filters) else { throw SearchSpaceError("Time-Reduce cell \(i): \(c.filters) filters is not one of \(trFilterChoices)") }
        }
        for (i, c) in a.sensorFusion.enumerated() {
            if c.identity && isStride2(sensorCell: i) { throw SearchSpaceError("Sensor-Fusion cell \(i) halves the sensors and cannot be identity") }
            if c.identity { continue }
            guard c.branches.count == Self.kernels.count else { throw SearchSpaceError("Sensor-Fusion cell \(i): \(c.branches.count) branch switches, expected 3") }
            guard sfFilterChoices.contains(c.bottleneckFilters), sfFilterChoices.contains(c.filters) else {
                throw SearchSpaceError("Sensor-Fusion cell \(i): filters \(c.bottleneckFilters)/\(c.filters) are not in \(sfFilterChoices)")
            }
            guard c.isValid else { throw SearchSpaceError("Sensor-Fusion cell \(i): every branch and the residual are off; the cell has no output") }
        }
    }

    /// A uniformly random architecture: each cell's choice uniform over its valid choices.
    public func sample(using g: inout some RandomNumberGenerator) -> Architecture {
        let tr = (0..<timeReduceCells).map { _ in
            Architecture.TimeReduce(kernel: Self.kernels.randomElement(using: &g)!, filters: trFilterChoices.randomElement(using: &g)!)
        }
        let sf = (0..<sensorFusionCells).map { i -> Architecture.SensorFusion in
            // Valid choices of a cell: identity (stride 1 only) as one, plus every non-empty
            // combination; draw uniformly by rejection among the combinations.
            let combinations = sfFilterChoices.count * sfFilterChoices.count * 15
            if !isStride2(sensorCell: i), Int.random(in: 0...combinations, using: &g) == 0 {
                return Architecture.SensorFusion(identity: true, bottleneckFilters: sfFilterChoices[0], branches: [false, false, false],
                                                 filters: sfFilterChoices[0], residual: false)
            }
            while true {
                let c = Architecture.SensorFusion(bottleneckFilters: sfFilterChoices.randomElement(using: &g)!,
                                                  branches: (0..<3).map { _ in Bool.random(using: &g) },
                                                  filters: sfFilterChoices.randomElement(using: &g)!, residual: Bool.random(using: &g))
                if c.isValid { return c }
            }
        }
        return Architecture(timeReduce: tr, sensorFusion: sf)
    }

    public struct Size: Sendable, Codable {
        /// The product of every decision group's option count (how the paper counts): ~1e13 for 128×9.
        public var decisionProduct: Double
        /// Distinct networks: identity cells count once, cells with no output are excluded.
        public var distinctArchitectures: Double
        enum CodingKeys: String, CodingKey { case decisionProduct = "decision_product", distinctArchitectures = "distinct_architectures" }
    }

    /// Exact counts (as Double; they exceed 2^64 for wide windows).
    public var size: Size {
        let tr = Double(Self.kernels.count * trFilterChoices.count)
        let f = Double(sfFilterChoices.count)
        let stride2Decisions = f * 8 * f * 2          // bottleneck filters, 3 branch switches, shared filters, residual
        let stride2Valid = f * f * 15                  // 2^4 switch settings minus all-off
        var product = pow(tr, Double(timeReduceCells)), distinct = product
        for i in 0..<sensorFusionCells {
            product *= isStride2(sensorCell: i) ? stride2Decisions : stride2Decisions * 2
            distinct *= isStride2(sensorCell: i) ? stride2Valid : stride2Valid + 1
        }
        return Size(decisionProduct: product, distinctArchitectures: distinct)
    }
}
