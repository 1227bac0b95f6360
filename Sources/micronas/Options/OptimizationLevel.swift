import ArgumentParser

/// A gcc optimization level, given as `O2` or `-O2` (`--optimization=-O2`: a value that starts with
/// a dash needs the `=`).
enum OptimizationLevel: String, CaseIterable, ExpressibleByArgument {
    case O0, O1, O2, O3, Os, Ofast

    init?(argument: String) {
        self.init(rawValue: argument.hasPrefix("-") ? String(argument.dropFirst()) : argument)
    }

    var flag: String { "-" + rawValue }
}
