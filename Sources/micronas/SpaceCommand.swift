import ArgumentParser
import Datasets
import Foundation
import Graph
import SearchSpace
import SplitMix

/// `--window TxS --classes N` and the space's hyper-parameters, shared by the search-space commands.
struct SpaceOptions: ParsableArguments {
    @Option(help: "Window as TIMExSENSORS.") var window = "128x9"
    @Option(help: "Number of classes.") var classes = 6
    @Option(help: "Time-Reduce maximum filters and granularity, as MAX/G.") var timeReduceFilters = "16/4"
    @Option(help: "Sensor-Fusion maximum filters and granularity, as MAX/G.") var sensorFusionFilters = "64/8"
    @Option(help: "Stride-1 Sensor-Fusion cells after each stride-2 cell.") var stride1Cells = 2

    func pair(_ text: String, _ sep: Character, _ flag: String) throws -> (Int, Int) {
        let parts = text.split(separator: sep).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1] else { throw ValidationError("\(flag) must look like A\(sep)B, got '\(text)'") }
        return (a, b)
    }

    func space() throws -> SearchSpace {
        let (t, s) = try pair(window.lowercased(), "x", "--window")
        let (trMax, trG) = try pair(timeReduceFilters, "/", "--time-reduce-filters")
        let (sfMax, sfG) = try pair(sensorFusionFilters, "/", "--sensor-fusion-filters")
        return try SearchSpace(time: t, sensors: s, classes: classes, trMaxFilters: trMax, trGranularity: trG,
                               sfMaxFilters: sfMax, sfGranularity: sfG, stride1Cells: stride1Cells)
    }
}

struct SpaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "space",
        abstract: "The MicroNAS search space for a window: cells, decision groups, exact size; sample architectures.",
        subcommands: [SpaceInfoCommand.self, SpaceSampleCommand.self], defaultSubcommand: SpaceInfoCommand.self
    )
}

struct SpaceInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Cells, decision groups and the exact size of the space.")
    @OptionGroup var options: SpaceOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            let s = try options.space()
            let size = s.size
            if json {
                print(try jsonLine(["window": [s.time, s.sensors], "classes": s.classes, "time_reduce_cells": s.timeReduceCells,
                                    "sensor_fusion_cells": s.sensorFusionCells, "stride2_sensor_fusion_cells": s.stride2SensorCells,
                                    "time_reduce_filters": s.trFilterChoices, "sensor_fusion_filters": s.sfFilterChoices,
                                    "decision_product": size.decisionProduct, "distinct_architectures": size.distinctArchitectures]))
            } else {
                print("window \(s.time)x\(s.sensors), \(s.classes) classes")
                print("Time-Reduce cells: \(s.timeReduceCells) (kernel {3,5,7}×1 stride 2; filters \(s.trFilterChoices)) — 2 decision groups each")
                print("Sensor-Fusion cells: \(s.sensorFusionCells) (\(s.stride2SensorCells) halving the sensors, each followed by \(s.stride1Cells) stride-1; filters \(s.sfFilterChoices)) — 6 decision groups at stride 2, 7 at stride 1")
                print("output cell: 1×1 conv to \(s.classes) classes, mean, softmax")
                print(String(format: "size: %.3g decision combinations (the paper's way of counting), %.3g distinct architectures", size.decisionProduct, size.distinctArchitectures))
            }
        }
    }
}

struct SpaceSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample", abstract: "Uniformly random architectures (JSON), optionally lowered to Graph JSON for `micronas train`.")
    @OptionGroup var options: SpaceOptions
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Write the (first) architecture's Graph JSON here (with dropout 0.3 between cells).") var graphOut: String?

    func run() throws {
        try reportingErrors {
            let s = try options.space()
            var g = SplitMix64(seed: seed)
            let a = s.sample(using: &g)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(a), as: UTF8.self))
            if let path = graphOut {
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(try s.graph(for: a, dropout: true)).write(to: URL(fileURLWithPath: path), options: .atomic)
                printError("wrote \(path)")
            }
        }
    }
}
