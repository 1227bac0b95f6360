import Foundation
import SearchSpace

/// The extremes of a space on a board, exactly from the lookup table: a cell's cost depends only on
/// its own choices and its input's channel count, latency adds over cells and the peak arena is the
/// largest cell's peak (`RelaxedCost`), so shortest-path and bottleneck-path dynamic programs over
/// the channel count between cells find the fastest architecture, the one with the smallest arena,
/// and the fastest one within an arena limit — over every architecture of the space.
extension RelaxedCost {
    public struct Extreme: Sendable {
        public var architecture: Architecture
        public var cycles: Double
        public var bytes: Int
    }

    /// One option of a cell: from input channel state to output state, its cost and what it sets.
    struct Edge {
        var from: Int, to: Int
        var cycles: Double, bytes: Double
        var set: (inout Architecture) -> Void
    }

    /// Each cell's options as edges between channel states (index into the filter choices of the
    /// previous cell; the first cell's input is state 0, one channel). Invalid Sensor-Fusion settings
    /// (every branch and the projection off) are left out.
    func edges() -> [[Edge]] {
        let tr = space.trFilterChoices, sf = space.sfFilterChoices
        var cells: [[Edge]] = []
        var inputs = 1
        for (i, table) in timeReduce.enumerated() {
            var e: [Edge] = []
            for x in 0..<inputs { for (ki, k) in SearchSpace.kernels.enumerated() { for (fi, f) in tr.enumerated() {
                let flat = (x * SearchSpace.kernels.count + ki) * tr.count + fi
                e.append(Edge(from: x, to: fi, cycles: Double(table.cycles[flat]), bytes: Double(table.bytes[flat])) {
                    $0.timeReduce[i] = .init(kernel: k, filters: f)
                })
            } } }
            cells.append(e)
            inputs = tr.count
        }
        for (j, table) in sensorFusion.enumerated() {
            var e: [Edge] = []
            let identities = space.isStride2(sensorCell: j) ? [false] : [true, false]
            let n = sf.count
            for x in 0..<inputs {
                if identities.contains(true) {
                    e.append(Edge(from: x, to: x, cycles: 0, bytes: 0) {
                        $0.sensorFusion[j] = .init(identity: true, bottleneckFilters: sf[0], branches: [false, false, false], filters: sf[0], residual: false)
                    })
                }
                for (bi, b) in sf.enumerated() { for bits in 1..<16 { for (fi, f) in sf.enumerated() {
                    // Layout (x, [identity: run = 0], bottleneck, k3, k5, k7, residual, filters).
                    let skipDims = identities.count
                    let flat = (((x * skipDims + 0) * n + bi) * 16 + bits) * n + fi
                    let branches = [bits & 8 != 0, bits & 4 != 0, bits & 2 != 0], residual = bits & 1 != 0
                    e.append(Edge(from: x, to: fi, cycles: Double(table.cycles[flat]), bytes: Double(table.bytes[flat])) {
                        $0.sensorFusion[j] = .init(bottleneckFilters: b, branches: branches, filters: f, residual: residual)
                    })
                } } }
            }
            cells.append(e)
            inputs = n
        }
        cells.append((0..<inputs).map { x in Edge(from: x, to: 0, cycles: Double(output.cycles[x]), bytes: Double(output.bytes[x])) { _ in } })
        return cells
    }

    /// Best path through the cells: `better` compares (cycles, bytes) accumulations; `combine`
    /// accumulates an edge. Edges with bytes above `maxBytes` are not taken. nil: no path.
    func bestPath(maxBytes: Double = .infinity, key: (Double, Double) -> Double, combine: (Double, Double, Edge) -> (Double, Double)) -> Extreme? {
        let cells = edges()
        // state → (cycles, bytes, choices so far)
        var best: [Int: (Double, Double, [Int])] = [0: (0, 0, [])]
        for cell in cells {
            var next: [Int: (Double, Double, [Int])] = [:]
            for (k, e) in cell.enumerated() where e.bytes <= maxBytes {
                guard let (cy, by, path) = best[e.from] else { continue }
                let (ncy, nby) = combine(cy, by, e)
                if let old = next[e.to], key(old.0, old.1) <= key(ncy, nby) { continue }
                next[e.to] = (ncy, nby, path + [k])
            }
            best = next
            if best.isEmpty { return nil }
        }
        guard let (cycles, _, path) = best.values.min(by: { key($0.0, $0.1) < key($1.0, $1.1) }) else { return nil }
        var a = Architecture(timeReduce: Array(repeating: .init(kernel: 3, filters: space.trFilterChoices[0]), count: space.timeReduceCells),
                             sensorFusion: Array(repeating: .init(bottleneckFilters: space.sfFilterChoices[0], branches: [true, false, false],
                                                                  filters: space.sfFilterChoices[0], residual: false), count: space.sensorFusionCells))
        var peak = 0.0
        for (c, k) in path.enumerated() { let e = cells[c][k]; e.set(&a); peak = max(peak, e.bytes) }
        return Extreme(architecture: a, cycles: cycles + overheadCycles, bytes: Int(peak))
    }

    /// The fastest architecture of the space (and its peak arena).
    public func fastest() -> Extreme {
        bestPath(key: { c, _ in c }, combine: { c, b, e in (c + e.cycles, max(b, e.bytes)) })!
    }

    /// The architecture with the smallest peak arena (the fastest among those): the bottleneck path
    /// gives the smallest peak, the constrained shortest path the fastest within it.
    public func smallest() -> Extreme {
        let peak = bestPath(key: { _, b in b }, combine: { c, b, e in (c + e.cycles, max(b, e.bytes)) })!.bytes
        return fastest(withinBytes: peak)!
    }

    /// The fastest architecture whose peak arena is at most `bytes` (nil: none is that small).
    public func fastest(withinBytes bytes: Int) -> Extreme? {
        bestPath(maxBytes: Double(bytes), key: { c, _ in c }, combine: { c, b, e in (c + e.cycles, max(b, e.bytes)) })
    }
}
