import Foundation

/// Reads the layers of a catalog and resolves each board file into a `Board`: a plain board names
/// its core; an overlay names its base board and overrides some of its fields (`Overlay`).
struct CatalogLoader {
    struct Layer {
        var directory: URL
        var boards: [JSONFields]
        var cores: [String: URL]

        init(_ directory: URL) throws {
            self.directory = directory
            let fm = FileManager.default
            let boardDir = directory.appendingPathComponent("boards")
            guard let names = try? fm.contentsOfDirectory(atPath: boardDir.path) else {
                throw TargetError.unreadable(file: boardDir.path, reason: "cannot list directory")
            }
            boards = try names.sorted().filter { $0.hasSuffix(".json") }.map { try JSONFields.load(boardDir.appendingPathComponent($0)) }
            let coreDir = directory.appendingPathComponent("cores")
            var cores: [String: URL] = [:]
            for n in ((try? fm.contentsOfDirectory(atPath: coreDir.path)) ?? []).sorted() where n.hasSuffix(".json") {
                cores[String(n.dropLast(5))] = coreDir.appendingPathComponent(n)
            }
            self.cores = cores
        }
    }

    /// A board file resolved to plain JSON: every overlay applied, `core` replaced by the core
    /// file's object. `coreFile` is where the core's fields come from (for error messages).
    struct Resolved {
        var object: [String: Any]
        var core: [String: Any]
        var coreFile: String
    }

    let layers: [Layer]
    private var resolving: [String] = []

    init(layers: [Layer]) { self.layers = layers }

    mutating func board(_ file: JSONFields, layer: Int) throws -> Board {
        let r = try resolve(file, layer: layer)
        let core = try BoardParsing.core(JSONFields(r.core, file: r.coreFile))
        var board = try BoardParsing.board(JSONFields(r.object, file: file.file), core: core)
        board.base = file.has("base") ? try file.string("base") : nil
        return board
    }

    /// The core object a name refers to, from layer `layer` or the ones below.
    func core(named name: String, layer: Int, requestedBy file: JSONFields) throws -> (object: [String: Any], file: String) {
        for i in stride(from: layer, through: 0, by: -1) {
            if let url = layers[i].cores[name] {
                let f = try JSONFields.load(url)
                return (f.object, url.path)
            }
        }
        let places = layers[0...layer].map { $0.directory.appendingPathComponent("cores/\(name).json").path }
        throw file.invalid("core", "no core file \(places.joined(separator: " or "))")
    }

    /// The board file called `name` (or listing it as an alias), searched from layer `layer`
    /// downwards, skipping `excluding` (an overlay that shares its base's name).
    func baseFile(named name: String, layer: Int, excluding: String) -> (JSONFields, Int)? {
        let key = name.lowercased()
        for i in stride(from: layer, through: 0, by: -1) {
            for f in layers[i].boards where f.file != excluding {
                let names = ([(f.object["name"] as? String)] + ((f.object["aliases"] as? [Any]) ?? []).map { $0 as? String }).compactMap { $0?.lowercased() }
                if names.contains(key) { return (f, i) }
            }
        }
        return nil
    }

    mutating func resolve(_ file: JSONFields, layer: Int) throws -> Resolved {
        guard file.has("base") else {
            let coreName = try file.string("core")
            let core = try core(named: coreName, layer: layer, requestedBy: file)
            var object = file.object
            object["core"] = nil
            return Resolved(object: object, core: core.object, coreFile: core.file)
        }
        let baseName = try file.string("base")
        guard let (baseFile, baseLayer) = baseFile(named: baseName, layer: layer, excluding: file.file) else {
            throw file.invalid("base", "no board '\(baseName)' in \(layers[0...layer].map { $0.directory.appendingPathComponent("boards").path }.joined(separator: " or "))")
        }
        if resolving.contains(baseFile.file) || baseFile.file == file.file {
            let chain = (resolving + [file.file, baseFile.file]).map { URL(fileURLWithPath: $0).lastPathComponent }
            throw file.invalid("base", "the bases form a cycle: \(chain.joined(separator: " → "))")
        }
        resolving.append(file.file)
        defer { resolving.removeLast() }
        var base = try resolve(baseFile, layer: baseLayer)
        // Fields an overlay sets itself rather than inherits.
        base.object["aliases"] = nil
        var overrides = file.object
        overrides["base"] = nil
        guard let name = overrides.removeValue(forKey: "name") as? String, !name.isEmpty else {
            throw file.invalid("name", "an overlay names the new board")
        }
        base.object["name"] = name
        if let core = overrides.removeValue(forKey: "core") {
            if let coreName = core as? String {
                let c = try self.core(named: coreName, layer: layer, requestedBy: file)
                (base.core, base.coreFile) = (c.object, c.file)
            } else if let coreObject = core as? [String: Any] {
                base.core = try Overlay.merge(coreObject, into: base.core, file: file.file, path: "core")
                base.coreFile = file.file
            } else {
                throw file.invalid("core", "expected a core name or an object of core fields to override")
            }
        }
        // Steps written for the base's clock (and a console whose baud divisor follows from it) do
        // not hold for another clock: an overlay that changes clock_hz keeps them only if it gives its own.
        if overrides["clock_hz"] != nil {
            if overrides["clock_setup"] == nil { base.object["clock_setup"] = nil }
            if overrides["console"] == nil { base.object["console"] = nil }
        }
        base.object = try Overlay.merge(overrides, into: base.object, file: file.file, path: "", optionalKeys: BoardParsing.optionalBoardFields)
        return base
    }
}

/// How an overlay's fields replace its base's, so that every number keeps a source:
/// - a field the base does not have is an error (a typo would otherwise be ignored), except the
///   board's optional top-level fields;
/// - an object with a `"source"` in the base (a sourced number, a memory region, a cache) must get
///   a `"source"` from the overlay too, since the overlay changes where its numbers come from;
/// - other objects merge field by field; lists of named objects (memories, caches) merge by name;
/// - anything else is replaced.
enum Overlay {
    static func merge(_ overlay: [String: Any], into base: [String: Any], file: String, path: String,
                      optionalKeys: Set<String> = []) throws -> [String: Any] {
        var result = base
        func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        if base["source"] != nil, overlay["source"] == nil {
            throw TargetError.invalidField(file: file, field: name("source"),
                                           reason: "an overlay that changes '\(path)' must give the new value's source")
        }
        for (key, value) in overlay {
            guard let old = base[key] else {
                guard optionalKeys.contains(key) else {
                    throw TargetError.invalidField(file: file, field: name(key), reason: "the base board has no such field")
                }
                result[key] = value
                continue
            }
            switch (old, value) {
            case let (oldObject as [String: Any], newObject as [String: Any]):
                result[key] = try merge(newObject, into: oldObject, file: file, path: name(key))
            case let (oldList as [Any], newList as [Any]) where !oldList.isEmpty && oldList.allSatisfy({ ($0 as? [String: Any])?["name"] is String }):
                var merged = oldList.map { $0 as! [String: Any] }
                for (i, item) in newList.enumerated() {
                    guard let object = item as? [String: Any], let itemName = object["name"] as? String else {
                        throw TargetError.invalidField(file: file, field: "\(name(key))[\(i)]", reason: "expected an object with the \"name\" of the base's entry it changes")
                    }
                    guard let at = merged.firstIndex(where: { ($0["name"] as? String) == itemName }) else {
                        throw TargetError.invalidField(file: file, field: "\(name(key))[\(i)].name",
                                                       reason: "the base board has no \(key) entry '\(itemName)'")
                    }
                    merged[at] = try merge(object, into: merged[at], file: file, path: "\(name(key))[\(itemName)]")
                }
                result[key] = merged
            case (is [String: Any], _):
                throw TargetError.invalidField(file: file, field: name(key), reason: "expected an object, as in the base board")
            default:
                result[key] = value
            }
        }
        return result
    }
}
