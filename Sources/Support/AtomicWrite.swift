import Foundation

/// Writes that are all-or-nothing: everything goes to a temporary name beside the destination and
/// is renamed into place, so a killed process (even `kill -9`) leaves either the old content or the
/// complete new one, never half a file or folder. Temporary names start with "." and carry the
/// process id, so they never look like a finished result.
public enum AtomicWrite {
    /// Writes `data` to `url`. `createParents`: make missing parent folders (caches); otherwise a
    /// missing parent is an error naming it (user-chosen outputs).
    public static func file(_ data: Data, to url: URL, createParents: Bool = false) throws {
        let parent = try prepareParent(of: url, create: createParents)
        let temporary = parent.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do { try data.write(to: temporary) } catch {
            throw SupportError.cannotWrite(path: url.path, reason: reason(error))
        }
        if rename(temporary.path, url.path) != 0 {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw SupportError.cannotWrite(path: url.path, reason: message)
        }
    }

    /// Builds a folder: `fill` writes into an empty temporary folder, which is then renamed to
    /// `url`. An existing `url` is an error unless `replacing`; then it is swapped out only after the
    /// new folder is complete.
    public static func folder(at url: URL, replacing: Bool, createParents: Bool = false, _ fill: (URL) throws -> Void) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: url.path) && !replacing { throw SupportError.exists(path: url.path) }
        let temporary = try build(url, createParents: createParents, fill)
        if fm.fileExists(atPath: url.path) {
            let old = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).old-\(getpid())")
            try? fm.removeItem(at: old)
            do { try fm.moveItem(at: url, to: old) } catch {
                try? fm.removeItem(at: temporary)
                throw SupportError.cannotWrite(path: url.path, reason: reason(error))
            }
            do { try publish(temporary, at: url) } catch {
                try? fm.moveItem(at: old, to: url)  // the old folder comes back rather than being lost
                throw error
            }
            try? fm.removeItem(at: old)
        } else {
            try publish(temporary, at: url)
        }
    }

    /// A content-addressed cache folder: built with `fill` unless `url` exists. When two processes
    /// build the same folder at once, the first rename wins and the other's copy is discarded (the
    /// contents are the same by construction).
    public static func cachedFolder(at url: URL, _ fill: (URL) throws -> Void) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: url.path) { return }
        let temporary = try build(url, createParents: true, fill)
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? fm.removeItem(at: temporary)
            if !fm.fileExists(atPath: url.path) { throw SupportError.cannotWrite(path: url.path, reason: String(cString: strerror(code))) }
        }
    }

    private static func build(_ url: URL, createParents: Bool, _ fill: (URL) throws -> Void) throws -> URL {
        let parent = try prepareParent(of: url, create: createParents)
        let temporary = parent.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do { try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false) } catch {
            throw SupportError.cannotWrite(path: url.path, reason: reason(error))
        }
        do { try fill(temporary) } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        return temporary
    }

    private static func publish(_ temporary: URL, at url: URL) throws {
        if rename(temporary.path, url.path) != 0 {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw SupportError.cannotWrite(path: url.path, reason: message)
        }
    }

    /// Throws the error a later write of `url` would meet for want of its folder — so a command can
    /// refuse before long work rather than after it.
    public static func checkParent(of url: URL) throws {
        _ = try prepareParent(of: url, create: false)
    }

    /// Creates `url`'s folder (and its parents) when missing; the error names `url` and the reason.
    public static func createParent(of url: URL) throws {
        _ = try prepareParent(of: url, create: true)
    }

    private static func prepareParent(of url: URL, create: Bool) throws -> URL {
        let parent = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: parent.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SupportError.cannotWrite(path: url.path, reason: "\(parent.path) is not a directory") }
            return parent
        }
        guard create else { throw SupportError.cannotWrite(path: url.path, reason: "directory \(parent.path) does not exist") }
        do { try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
            throw SupportError.cannotWrite(path: url.path, reason: reason(error))
        }
        return parent
    }

    /// A Foundation error as a short reason ("Permission denied"), not its `NSCocoaErrorDomain` dump.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch ns.code {
        case NSFileWriteNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on device"
        case NSFileWriteVolumeReadOnlyError: return "read-only file system"
        default: return ns.localizedDescription
        }
    }
}
