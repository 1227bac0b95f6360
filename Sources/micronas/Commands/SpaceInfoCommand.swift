import ArgumentParser
import Datasets
import Foundation
import Graph
import SearchSpace
import Support

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
