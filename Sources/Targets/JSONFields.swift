import Foundation

/// Typed access to a decoded JSON object that reports the file and dotted field path on error.
struct JSONFields {
    let object: [String: Any]
    let file: String
    let path: String

    init(_ object: [String: Any], file: String, path: String = "") {
        self.object = object
        self.file = file
        self.path = path
    }

    static func load(_ url: URL) throws -> JSONFields {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TargetError.unreadable(file: url.path, reason: "cannot read file")
        }
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch {
            throw TargetError.unreadable(file: url.path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let obj = any as? [String: Any] else {
            throw TargetError.unreadable(file: url.path, reason: "top level must be a JSON object")
        }
        return JSONFields(obj, file: url.path)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func raw(_ key: String) throws -> Any {
        guard let v = object[key], !(v is NSNull) else { throw TargetError.missingField(file: file, field: name(key)) }
        return v
    }

    func invalid(_ key: String, _ reason: String) -> TargetError {
        .invalidField(file: file, field: name(key), reason: reason)
    }

    func string(_ key: String) throws -> String {
        guard let s = try raw(key) as? String else { throw invalid(key, "expected a string") }
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { throw invalid(key, "must not be empty") }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        has(key) ? try string(key) : nil
    }

    func bool(_ key: String) throws -> Bool {
        guard let n = try raw(key) as? NSNumber, CFGetTypeIDIsBool(n) else { throw invalid(key, "expected true or false") }
        return n.boolValue
    }

    func strings(_ key: String) throws -> [String] {
        guard let a = try raw(key) as? [Any] else { throw invalid(key, "expected a list of strings") }
        return try a.enumerated().map { i, v in
            guard let s = v as? String else { throw TargetError.invalidField(file: file, field: "\(name(key))[\(i)]", reason: "expected a string") }
            return s
        }
    }

    func object(_ key: String) throws -> JSONFields {
        guard let o = try raw(key) as? [String: Any] else { throw invalid(key, "expected an object") }
        return JSONFields(o, file: file, path: name(key))
    }

    func objects(_ key: String) throws -> [JSONFields] {
        guard let a = try raw(key) as? [Any] else { throw invalid(key, "expected a list of objects") }
        return try a.enumerated().map { i, v in
            guard let o = v as? [String: Any] else {
                throw TargetError.invalidField(file: file, field: "\(name(key))[\(i)]", reason: "expected an object")
            }
            return JSONFields(o, file: file, path: "\(name(key))[\(i)]")
        }
    }

    /// A plain number or a string: decimal, `0x` hex, optional K/M suffix (×1024, ×1024²) or MHz/kHz.
    func number(_ key: String) throws -> Double {
        let v = try raw(key)
        if let n = v as? NSNumber, !CFGetTypeIDIsBool(n) {
            let d = n.doubleValue
            guard d.isFinite else { throw invalid(key, "must be finite") }
            return d
        }
        guard let s = v as? String, let d = JSONFields.parseNumber(s) else {
            throw invalid(key, "expected a number (decimal, 0x hex, or with K/M/MHz suffix)")
        }
        return d
    }

    func address(_ key: String) throws -> UInt64 {
        let d = try number(key)
        guard d >= 0, d < 4_294_967_296, d == d.rounded() else { throw invalid(key, "expected a 32-bit address") }
        return UInt64(d)
    }

    func positiveInt(_ key: String) throws -> Int {
        let d = try number(key)
        guard d > 0, d == d.rounded(), d < 1e12 else { throw invalid(key, "expected a positive integer") }
        return Int(d)
    }

    /// `{"value": N, "source": "…"}`: a number with its provenance (the source must not be empty),
    /// at most `atMost`.
    func sourced(_ key: String, atMost: Double = .greatestFiniteMagnitude) throws -> Sourced<Double> {
        let o = try object(key)
        let value = try o.number("value")
        guard value >= 0 else { throw TargetError.invalidField(file: file, field: o.name("value"), reason: "must not be negative") }
        guard value <= atMost else { throw TargetError.invalidField(file: file, field: o.name("value"), reason: "must be at most \(atMost)") }
        return Sourced(value, source: try o.string("source"))
    }

    static func parseNumber(_ text: String) -> Double? {
        var s = text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "_", with: "")
        var scale = 1.0
        for (suffix, factor) in [("mhz", 1e6), ("khz", 1e3), ("hz", 1.0), ("k", 1024.0), ("m", 1_048_576.0)] where s.hasSuffix(suffix) {
            s.removeLast(suffix.count)
            scale = factor
            break
        }
        if s.hasPrefix("0x") {
            guard let v = UInt64(s.dropFirst(2), radix: 16) else { return nil }
            return Double(v) * scale
        }
        guard let v = Double(s), v.isFinite else { return nil }
        return v * scale
    }
}

private func CFGetTypeIDIsBool(_ n: NSNumber) -> Bool {
    // On Linux Foundation, JSON booleans decode as NSNumber with objCType "c".
    String(cString: n.objCType) == "c"
}
