// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "micronas",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "micronas", targets: ["micronas"]),
        .library(name: "Emulator", targets: ["Emulator"]),
        .library(name: "Targets", targets: ["Targets"]),
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

        /// The command-line tool: parses arguments, calls library code, formats output.
        .executableTarget(
            name: "micronas",
            dependencies: [
                "Targets", "Emulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - System libraries and shims (implementation details)

        .systemLibrary(name: "CUnicorn", pkgConfig: "unicorn",
                       providers: [.apt(["libunicorn-dev"])]),
        .systemLibrary(name: "CCapstone", pkgConfig: "capstone",
                       providers: [.apt(["libcapstone-dev"])]),
        /// Fixed-argument wrappers for Unicorn's variadic `uc_hook_add` and macro-only `uc_ctl_*`.
        .target(name: "CEmulatorShims", dependencies: ["CUnicorn"]),

        // MARK: - Tests

        .target(name: "TestSupport", dependencies: ["Targets"], path: "Tests/TestSupport"),
        .testTarget(name: "TargetsTests", dependencies: ["Targets", "TestSupport"]),
        .testTarget(name: "EmulatorTests", dependencies: ["Emulator", "Targets", "TestSupport"]),
    ]
)
