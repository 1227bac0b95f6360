// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "micronas",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "micronas", targets: ["micronas"]),
        .library(name: "Emulator", targets: ["Emulator"]),
        .library(name: "Targets", targets: ["Targets"]),
        .library(name: "Quant", targets: ["Quant"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Graph", targets: ["Graph"]),
        .library(name: "Deploy", targets: ["Deploy"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "SearchSpace", targets: ["SearchSpace"]),
        .library(name: "Characterization", targets: ["Characterization"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Public modules

        /// Board descriptions (data files under `targets/`) and the event/cost vocabulary of the cycle model.
        .target(name: "Targets"),

        /// The only module that talks to Unicorn and Capstone.
        .target(name: "Emulator", dependencies: ["Targets", "CUnicorn", "CCapstone", "CEmulatorShims"]),

        /// The int8 arithmetic of TFLite as a Swift reference: the definition every executor matches.
        .target(name: "Quant"),

        /// SplitMix64, the one seeded random generator every module replays runs with.
        .target(name: "SplitMix"),

        /// The C kernels' build (arm-none-eabi-gcc per board, host cc), their call ABI, verification cases.
        .target(name: "Kernels", dependencies: ["Targets", "Quant", "Emulator", "SplitMix"]),

        /// The network description every stage shares, and its int8 form.
        .target(name: "Graph", dependencies: ["Quant"]),

        /// int8 models out to the world: .tflite writer/reader, lowering to kernel calls, memory planner,
        /// C code generator, firmware build and emulated runs.
        .target(name: "Deploy", dependencies: ["Graph", "Quant", "Kernels", "Targets", "Emulator"]),

        /// Time-series window datasets: UCI-HAR from the HAPT recordings, the official UCI-HAR archive,
        /// user CSV/NPY data; windowing, subject-wise splits, normalization.
        .target(name: "Datasets", dependencies: ["CZlib", "SplitMix"]),

        /// The MicroNAS search space: cells, decision groups, architectures, sampling, counting, lowering to a Graph.
        .target(name: "SearchSpace", dependencies: ["Graph", "Quant", "Tensor"]),

        /// Lookup tables of operator cycles measured on the emulated boards, latency/memory prediction, validation.
        .target(name: "Characterization", dependencies: ["SearchSpace", "Graph", "Deploy", "Kernels", "Targets", "Tensor", "Emulator", "CSQLite"]),

        /// Float32 tensors with reverse-mode autodiff, BLAS-backed convolutions, optimizers; trains a `Graph`.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "Graph", "Datasets", "SplitMix"]),

        /// The command-line tool: parses arguments, calls library code, formats output.
        .executableTarget(
            name: "micronas",
            dependencies: [
                "Targets", "Emulator", "Quant", "Kernels", "Graph", "Deploy", "Datasets", "Tensor", "SearchSpace", "Characterization", "SplitMix",
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

        .target(name: "TestSupport", dependencies: ["Targets"], path: "Tests/TestSupport"),
        .testTarget(name: "TargetsTests", dependencies: ["Targets", "TestSupport"]),
        .testTarget(name: "EmulatorTests", dependencies: ["Emulator", "Targets", "TestSupport"]),
        .testTarget(name: "QuantTests", dependencies: ["Quant"]),
        .testTarget(name: "DeployTests", dependencies: ["Deploy", "Graph", "Kernels", "Quant", "Emulator", "Targets", "Datasets", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "SearchSpaceTests", dependencies: ["SearchSpace", "Graph", "Tensor", "Deploy", "Datasets", "SplitMix", "TestSupport"]),
        .testTarget(name: "CharacterizationTests", dependencies: ["Characterization", "SearchSpace", "Deploy", "Kernels", "Emulator", "Targets", "Graph", "Datasets", "Tensor", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "Graph", "Datasets", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "CZlib", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "Quant", "Emulator", "Targets", "TestSupport"]),
    ]
)
