import Foundation

/// The one folder every cache of micronas lives in: `$MICRONAS_CACHE`, else
/// `$XDG_CACHE_HOME/micronas`, else `~/.cache/micronas`. Nothing micronas runs writes anywhere else
/// unless told to (an output path, `--table`), so an installed or read-only checkout works.
///
/// Layout: `builds/` (compiled kernels, firmware, host programs, generated linker scripts),
/// `models/` (generated C of deployed models), `datasets/`, `characterization/` (lookup tables).
public enum CacheDirectory {
    public static func root(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit = environment["MICRONAS_CACHE"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return URL(fileURLWithPath: base).appendingPathComponent("micronas")
    }

    public static var builds: URL { root().appendingPathComponent("builds") }
    public static var models: URL { root().appendingPathComponent("models") }
    public static var datasets: URL { root().appendingPathComponent("datasets") }
    public static var characterization: URL { root().appendingPathComponent("characterization") }
    /// Default output folders of `micronas search`.
    public static var runs: URL { root().appendingPathComponent("runs") }
}
