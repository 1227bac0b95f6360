// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "micronas",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "micronas", targets: ["micronas"]),
        .library(name: "Support", targets: ["Support"]),
        .library(name: "Targets", targets: ["Targets"]),
        .library(name: "Quant", targets: ["Quant"]),
        .library(name: "Metrics", targets: ["Metrics"]),
        .library(name: "Graph", targets: ["Graph"]),
        .library(name: "Emulator", targets: ["Emulator"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "SearchSpace", targets: ["SearchSpace"]),
        .library(name: "Deploy", targets: ["Deploy"]),
        .library(name: "Characterization", targets: ["Characterization"]),
        .library(name: "Search", targets: ["Search"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Calibration", targets: ["Calibration"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Public modules (the allowed imports of each are listed in docs/DESIGN.md and checked by scripts/check-imports.py)

        /// Shared helpers: SplitMix64, FNV-1a, running a subprocess, atomic file and folder writes, the cache folder.
        .target(name: "Support"),

        /// Board descriptions (data files under `targets/`, overlays), generated linker scripts, the event/cost vocabulary.
        .target(name: "Targets"),

        /// The int8 arithmetic of TFLite as a Swift reference: the definition every executor matches.
        .target(name: "Quant"),

        /// Accuracy, macro-F1, confusion matrices; R², MAE, MAPE, max error; least-squares lines.
        .target(name: "Metrics"),

        /// The network description every stage shares, and its int8 form.
        .target(name: "Graph", dependencies: ["Quant"]),

        /// The only module that talks to Unicorn and Capstone.
        .target(name: "Emulator", dependencies: ["Targets", "CUnicorn", "CCapstone", "CEmulatorShims"]),

        /// Time-series window datasets: UCI-HAR from the HAPT recordings, the official UCI-HAR archive,
        /// user CSV/NPY data; windowing, subject-wise splits, normalization.
        .target(name: "Datasets", dependencies: ["Support", "CZlib"]),

        /// Float32 tensors with reverse-mode autodiff (each op's backward beside its forward), BLAS-backed
        /// convolutions, optimizers. Knows no datasets and no graphs.
        .target(name: "Tensor", dependencies: ["COpenBLAS"]),

        /// A `Graph` as a trainable network, the trainer, checkpoints, the batch split over threads.
        .target(name: "Training", dependencies: ["Tensor", "Graph", "Datasets", "Metrics", "Support"]),

        /// The C kernels' build (arm-none-eabi-gcc per board, host cc), their call ABI, verification and bench cases.
        .target(name: "Kernels", dependencies: ["Targets", "Quant", "Emulator", "Support"]),

        /// The MicroNAS search space: cells, decision groups, architectures, sampling, counting, lowering to a Graph.
        .target(name: "SearchSpace", dependencies: ["Graph", "Quant"]),

        /// int8 models out to the world: .tflite writer/reader, lowering to kernel calls, memory planner,
        /// C code generator, `Deployment` (fit check, build, run, measure on a board), export.
        .target(name: "Deploy", dependencies: ["Graph", "Quant", "Kernels", "Targets", "Emulator", "Support"]),

        /// Lookup tables of operator cycles measured on the emulated boards, latency/memory prediction, validation.
        .target(name: "Characterization", dependencies: ["SearchSpace", "Graph", "Deploy", "Kernels", "Targets", "Metrics", "Support", "CSQLite"]),

        /// The differentiable search: `RelaxedCost` (Eq. 5) for now; the supernet, DNAS and the fit guarantee next.
        .target(name: "Search", dependencies: ["SearchSpace", "Graph", "Training", "Tensor", "Characterization", "Datasets", "Deploy", "Metrics", "Support"]),

        /// int8 models over a dataset split on the emulated board: inputs prepared with the model's own
        /// normalization, outputs checked against the Swift reference, accuracy, latency and memory.
        .target(name: "Evaluation", dependencies: ["Deploy", "Datasets", "Metrics", "Graph", "Quant"]),

        /// Real-board traces → fitted cycle costs: trace formats, the calibration suite, the cost fit, board overlays with provenance.
        .target(name: "Calibration", dependencies: ["Targets", "Emulator", "Kernels", "Metrics", "Support"]),

        /// The command-line tool: parses arguments, calls library code, formats output.
        .executableTarget(
            name: "micronas",
            dependencies: [
                "Support", "Targets", "Emulator", "Quant", "Metrics", "Kernels", "Graph", "Deploy", "Datasets", "Tensor", "Training",
                "SearchSpace", "Characterization", "Search", "Evaluation", "Calibration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - System libraries and shims (implementation details)

        .systemLibrary(name: "CUnicorn", pkgConfig: "unicorn",
                       providers: [.apt(["libunicorn-dev"])]),
        .systemLibrary(name: "CCapstone", pkgConfig: "capstone",
                       providers: [.apt(["libcapstone-dev"])]),
        /// OpenBLAS (sgemm for the training engine's convolutions and dense layers).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        /// zlib (compressed MATLAB v5 files of the SkodaR dataset).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        /// SQLite (the characterization lookup tables).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        /// Fixed-argument wrappers for Unicorn's variadic `uc_hook_add` and macro-only `uc_ctl_*`.
        .target(name: "CEmulatorShims", dependencies: ["CUnicorn"]),

        // MARK: - Tests

        .target(name: "TestSupport", dependencies: ["Targets", "Kernels", "Support", "Graph", "Quant", "Tensor", "Datasets"], path: "Tests/TestSupport"),
        .testTarget(name: "SupportTests", dependencies: ["Support", "TestSupport"]),
        .testTarget(name: "TargetsTests", dependencies: ["Targets", "Kernels", "Emulator", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "EmulatorTests", dependencies: ["Emulator", "Targets", "Kernels", "TestSupport"]),
        .testTarget(name: "QuantTests", dependencies: ["Quant"]),
        .testTarget(name: "DeployTests", dependencies: ["Deploy", "Graph", "Kernels", "Quant", "Emulator", "Targets", "Datasets", "Support", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SearchSpaceTests", dependencies: ["SearchSpace", "Graph", "Tensor", "Training", "Deploy", "Datasets", "Support", "TestSupport"]),
        .testTarget(name: "CharacterizationTests", dependencies: ["Characterization", "SearchSpace", "Deploy", "Kernels", "Emulator", "Targets", "Graph", "Datasets", "Support", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "Characterization", "SearchSpace", "Deploy", "Kernels", "Graph", "Tensor", "Training", "Datasets", "Support", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "Quant", "Support", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Tensor", "Graph", "Datasets", "Support", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "CZlib", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Training", "Deploy", "Kernels", "Datasets", "Graph", "Tensor", "Quant", "Support", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "Quant", "Emulator", "Targets", "Support", "TestSupport"]),
        .testTarget(name: "CalibrationTests", dependencies: ["Calibration", "Emulator", "Kernels", "Targets", "Metrics", "Support", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["Calibration", "Characterization", "Datasets", "Deploy", "Emulator", "Graph", "Support", "Targets", "TestSupport"]),
    ]
)
