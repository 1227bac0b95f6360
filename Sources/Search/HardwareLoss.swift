import Foundation
import SearchSpace
import Tensor

/// The user's limits: latency of one invoke on the board, the tensor arena, and (optionally) flash.
public struct HardwareLimits: Codable, Sendable, Equatable {
    public var latencyMs: Double
    public var arenaBytes: Int
    public var flashBytes: Int?
    public init(latencyMs: Double, arenaBytes: Int, flashBytes: Int? = nil) {
        (self.latencyMs, self.arenaBytes, self.flashBytes) = (latencyMs, arenaBytes, flashBytes)
    }

    enum CodingKeys: String, CodingKey { case latencyMs = "latency_ms", arenaBytes = "arena_bytes", flashBytes = "flash_bytes" }
}

/// MicroNAS Eqs. 6–7: loss_lat = γ_lat · log(Lat/Lat_t) · [Lat ≥ Lat_t] and the same for memory with
/// γ_mem, Lat and Mem the expected latency and peak arena of the decision probabilities priced by
/// the board's lookup table (`RelaxedCost`).
public struct HardwareLoss: Sendable {
    public let cost: RelaxedCost
    public let clockHz: Double
    public let limits: HardwareLimits
    public var gammaLatency: Float
    public var gammaMemory: Float

    public init(cost: RelaxedCost, clockHz: Double, limits: HardwareLimits, gammaLatency: Float = 2, gammaMemory: Float = 4) {
        (self.cost, self.clockHz, self.limits, self.gammaLatency, self.gammaMemory) = (cost, clockHz, limits, gammaLatency, gammaMemory)
    }

    public struct Terms {
        /// loss_lat + loss_mem (a scalar tensor; its gradient reaches the probabilities).
        public var total: Tensor
        public var latencyLoss: Float, memoryLoss: Float
        public var expectedMs: Double, expectedBytes: Double
    }

    public func terms(_ p: DecisionProbabilities) -> Terms {
        let (cycles, bytes) = cost.expected(p)
        let ms = cycles.scaled(by: Float(1000 / clockHz))
        func penalty(_ value: Tensor, limit: Double, gamma: Float) -> Tensor? {
            guard Double(value.data[0]) >= limit else { return nil }
            return value.scaled(by: Float(1 / limit)).logarithm().scaled(by: gamma)
        }
        let lat = penalty(ms, limit: limits.latencyMs, gamma: gammaLatency)
        let mem = penalty(bytes, limit: Double(limits.arenaBytes), gamma: gammaMemory)
        let total: Tensor
        switch (lat, mem) {
        case let (l?, m?): total = l + m
        case let (l?, nil): total = l
        case let (nil, m?): total = m
        case (nil, nil): total = Tensor.scalar(0)
        }
        return Terms(total: total, latencyLoss: lat?.data[0] ?? 0, memoryLoss: mem?.data[0] ?? 0,
                     expectedMs: Double(ms.data[0]), expectedBytes: Double(bytes.data[0]))
    }
}
