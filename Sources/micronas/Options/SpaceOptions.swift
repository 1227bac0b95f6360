import ArgumentParser
import Foundation
import SearchSpace

/// `--window TxS --classes N` and the space's hyper-parameters, shared by the search-space commands.
struct SpaceOptions: ParsableArguments {
    @Option(help: "Window as TIMExSENSORS.") var window = "128x9"
    @Option(help: "Number of classes.") var classes = 6
    @Option(help: "Time-Reduce maximum filters and granularity, as MAX/G.") var timeReduceFilters = "16/4"
    @Option(help: "Sensor-Fusion maximum filters and granularity, as MAX/G.") var sensorFusionFilters = "64/8"
    @Option(help: "Stride-1 Sensor-Fusion cells after each stride-2 cell.") var stride1Cells = 2

    func validate() throws {
        do { _ = try space() } catch let e as ValidationError { throw e } catch { throw ValidationError("\(error)") }
    }

    func pair(_ text: String, _ sep: Character, _ flag: String) throws -> (Int, Int) {
        let parts = text.split(separator: sep).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1] else { throw ValidationError("\(flag) must look like A\(sep)B, got '\(text)'") }
        return (a, b)
    }

    func space() throws -> SearchSpace {
        let (t, s) = try pair(window.lowercased(), "x", "--window")
        let (trMax, trG) = try pair(timeReduceFilters, "/", "--time-reduce-filters")
        let (sfMax, sfG) = try pair(sensorFusionFilters, "/", "--sensor-fusion-filters")
        // Each number against its range here, so that the message names the option; the space's own
        // checks (a granularity dividing its maximum, a window long enough for a cell) follow.
        try require(t, in: 1 ... SearchSpace.maxWindowSide, "--window's time")
        try require(s, in: 1 ... SearchSpace.maxWindowSide, "--window's sensors")
        try require(classes, in: 2 ... SearchSpace.maxClasses, "--classes")
        try require(trMax, in: 1 ... SearchSpace.maxFilters, "--time-reduce-filters' maximum")
        try require(trG, in: 1 ... trMax, "--time-reduce-filters' granularity")
        try require(sfMax, in: 1 ... SearchSpace.maxFilters, "--sensor-fusion-filters' maximum")
        try require(sfG, in: 1 ... sfMax, "--sensor-fusion-filters' granularity")
        try require(stride1Cells, in: 0 ... SearchSpace.maxStride1Cells, "--stride1-cells")
        return try SearchSpace(time: t, sensors: s, classes: classes, trMaxFilters: trMax, trGranularity: trG,
                               sfMaxFilters: sfMax, sfGranularity: sfG, stride1Cells: stride1Cells)
    }
}
