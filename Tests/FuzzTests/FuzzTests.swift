import Calibration
import Characterization
import Datasets
import Deploy
import Emulator
import Foundation
import Graph
import Support
import Targets
import TestSupport
import XCTest

/// Random mutation of valid inputs (the committed fixtures, a built ELF, the repository's board and
/// core files) fed to every parser of outside input: each must end in a value or a thrown error,
/// never a trap (issue 23). Inputs that parse join the corpus, so later mutations start from
/// structures the parser accepted.
///
/// `make fuzz` runs each parser for MICRONAS_FUZZ_SECONDS (default 600); inside `make test` each runs
/// for 1 second as a smoke test. Before every parse the input is written to
/// `$MICRONAS_CACHE/fuzz/<parser>-current` (atomically), so a trap leaves the input that caused it
/// there: `micronas` reproduces it with the matching command.
final class FuzzTests: XCTestCase {
    static let seconds: Double = ProcessInfo.processInfo.environment["MICRONAS_FUZZ_SECONDS"].flatMap(Double.init) ?? 1
    static let seed: UInt64 = ProcessInfo.processInfo.environment["MICRONAS_FUZZ_SEED"].flatMap { UInt64($0) } ?? 1

    /// Mutates `input` with one to four of: bit flips, interesting bytes and words, insertions,
    /// deletions, duplicated or truncated runs, and (for text) a number replaced by a hostile one.
    static func mutate(_ input: [UInt8], _ g: inout SplitMix64) -> [UInt8] {
        var b = input
        let hostileNumbers = ["1e308", "-1", "1e30", "9223372036854775807", "-9223372036854775808", "0", "-0", "NaN",
                              "1e-320", "4294967296", "18446744073709551616", "2147483648", "\"x\"", "null", "[]", "{}"]
        let interesting32: [UInt32] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1000_0000]
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let n = b.count
            switch Int.random(in: 0..<9, using: &g) {
            case 0 where n > 0: b[Int.random(in: 0..<n, using: &g)] ^= 1 << UInt8.random(in: 0..<8, using: &g)
            case 1 where n > 0: b[Int.random(in: 0..<n, using: &g)] = [0, 0xFF, 0x7F, 0x80, 0x01][Int.random(in: 0..<5, using: &g)]
            case 2 where n >= 4:
                let i = Int.random(in: 0...(n - 4), using: &g), v = interesting32.randomElement(using: &g)!
                for k in 0..<4 { b[i + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
            case 3: b.insert(contentsOf: (0..<Int.random(in: 1...16, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) },
                             at: Int.random(in: 0...n, using: &g))
            case 4 where n > 1:
                let i = Int.random(in: 0..<n, using: &g)
                b.removeSubrange(i..<min(n, i + Int.random(in: 1...32, using: &g)))
            case 5 where n > 1:
                let i = Int.random(in: 0..<n, using: &g), j = min(n, i + Int.random(in: 1...64, using: &g))
                b.insert(contentsOf: b[i..<j], at: Int.random(in: 0...n, using: &g))
            case 6 where n > 0: b.removeLast(Int.random(in: 1...n, using: &g))
            case 7, 8:
                // A run of digits (a JSON or text number) replaced by a hostile value.
                let digits = b.indices.filter { (b[$0] >= 0x30 && b[$0] <= 0x39) && ($0 == 0 || !(b[$0 - 1] >= 0x30 && b[$0 - 1] <= 0x39)) }
                guard let start = digits.randomElement(using: &g) else { continue }
                var end = start
                while end < b.count, (b[end] >= 0x30 && b[end] <= 0x39) || b[end] == 0x2E || b[end] == 0x65 { end += 1 }
                b.replaceSubrange(start..<end, with: Array(hostileNumbers.randomElement(using: &g)!.utf8))
            default: continue
            }
        }
        return b
    }

    /// Runs `parse` on mutations of `seeds` for the time budget; counts accepted and refused inputs.
    func fuzz(_ name: String, seeds: [[UInt8]], seconds: Double = FuzzTests.seconds, file: StaticString = #filePath, line: UInt = #line,
              _ parse: ([UInt8]) throws -> Void) throws {
        XCTAssertFalse(seeds.isEmpty, "no seed inputs for \(name)", file: file, line: line)
        let folder = CacheDirectory.root().appendingPathComponent("fuzz")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let current = folder.appendingPathComponent("\(name)-current")
        var g = SplitMix64(seed: Self.seed &+ UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        var corpus = seeds
        for s in seeds { XCTAssertNoThrow(try parse(s), "\(name): a seed input is refused", file: file, line: line) }
        let end = Date().addingTimeInterval(seconds)
        var runs = 0, accepted = 0
        while Date() < end {
            let input = Self.mutate(corpus.randomElement(using: &g)!, &g)
            try AtomicWrite.file(Data(input), to: current)
            runs += 1
            if (try? parse(input)) != nil {
                accepted += 1
                if corpus.count < 256 { corpus.append(input) }
            }
        }
        try? FileManager.default.removeItem(at: current)
        print("fuzz \(name): \(runs) inputs in \(seconds) s, \(accepted) accepted, none trapped")
        XCTAssertGreaterThan(runs, 0, file: file, line: line)
    }

    func testELF() throws {
        let elf = try Fixtures.assemble("start: nop\n ldr r0, =0x12345678\n bkpt #0\n.data\n.word 1, 2, 3", cpu: "cortex-m4", textAddress: 0x0800_0000)
        try fuzz("elf", seeds: [[UInt8](try Data(contentsOf: URL(fileURLWithPath: elf)))]) { bytes in
            _ = try ELFImage(bytes: bytes, path: "fuzz.elf")
        }
    }

    func testTFLite() throws {
        let dir = Fixtures.root.appendingPathComponent("Tests/DeployTests/Fixtures")
        let seeds = try ["hello_world_int8", "residual_int8", "har_cnn_int8"].map { [UInt8](try Data(contentsOf: dir.appendingPathComponent("\($0).tflite"))) }
        try fuzz("tflite", seeds: seeds) { bytes in
            let model = try TFLiteReader.decode(bytes)
            _ = try LoweredModel(model)
        }
    }

    /// Inputs `make fuzz` found trapping, kept in Tests/FuzzTests/Crashes: each must now be refused
    /// with one error naming what is wrong.
    func testFoundCrashesAreRefused() throws {
        let dir = Fixtures.root.appendingPathComponent("Tests/FuzzTests/Crashes")
        // A MEAN whose constant axes tensor holds 127 bytes (2026-12-03, the 10-minute run, seed 1).
        let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("tflite-mean-axes-not-whole-words.tflite")))
        let message = Fixtures.errorMessage { try LoweredModel(try TFLiteReader.decode(bytes)) }
        XCTAssertTrue(message.contains("axes") && message.contains("not whole int32 values"), message)
    }

    func testNPY() throws {
        let seeds = [NPYArray(float32: (0..<24).map { Float($0) / 7 }, shape: [2, 3, 4]).encoded(),
                     NPYArray(int32: [0, 1, 2, 5], shape: [4]).encoded()]
        try fuzz("npy", seeds: seeds) { bytes in
            _ = try NPYArray(bytes: bytes, file: "fuzz.npy").doubles()
        }
    }

    func testGraphJSON() throws {
        let seed = [UInt8](try Data(contentsOf: Fixtures.root.appendingPathComponent("examples/reference_har.json")))
        try fuzz("graph", seeds: [seed]) { bytes in
            _ = try JSONDecoder().decode(Graph.self, from: Data(bytes)).inferShapes()
        }
    }

    /// HAPT RawData folders (labels.txt and one recording's acc/gyro files, each mutated in turn for
    /// a third of the budget), read and windowed as `dataset info` does.
    func testHAPTRawData() throws {
        let dir = try Fixtures.temporaryDirectory()
        var rows = ""
        for i in 0..<300 { rows += String(format: "%.6f %.6f %.6f\n", sin(Double(i) / 9), cos(Double(i) / 7), 0.98 + Double(i % 5) / 100) }
        let files = ["labels.txt": "1 1 5 0 140\n1 1 1 141 299\n", "acc_exp01_user01.txt": rows, "gyro_exp01_user01.txt": rows]
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        for name in files.keys.sorted() {
            let url = dir.appendingPathComponent(name)
            // The parser's time budget shared by its three files.
            try fuzz("hapt-\(name.prefix(while: { $0 != "_" && $0 != "." }))", seeds: [[UInt8](files[name]!.utf8)], seconds: Self.seconds / 3) { bytes in
                try Data(bytes).write(to: url)
                _ = try HAPT.windows(try HAPT.read(dir), options: HAPT.WindowOptions(length: 32, step: 16))
            }
            try Data(files[name]!.utf8).write(to: url)
        }
    }

    /// CSV recordings (a header, channel columns, label and subject), read as windows.
    func testCSVRecordings() throws {
        let dir = try Fixtures.temporaryDirectory()
        var text = "acc_x,acc_y,label,subject\n"
        for i in 0..<80 { text += String(format: "%.4f,%.4f,%@,%d\n", sin(Double(i) / 5), Double(i) / 80, i < 40 ? "walk" : "sit", 1 + i / 60) }
        let url = dir.appendingPathComponent("recording.csv")
        try fuzz("csv", seeds: [[UInt8](text.utf8)]) { bytes in
            try Data(bytes).write(to: url)
            _ = try UserData.readCSV(dir, length: 16, step: 8)
        }
    }

    /// Calibration inputs: a JSON-lines trace and a serial log (each for half the budget), read as
    /// `calibrate fit` reads them, and a suite manifest as `CalibrationSuite.read` reads it.
    func testCalibrationTracesAndManifests() throws {
        let dir = try Fixtures.temporaryDirectory()
        let jsonl = #"{"format":"micronas-trace","version":1,"board":"nucleo-l552ze-q","clock_hz":80000000,"firmware":{"path":"suite.elf","sha256":"\#(String(repeating: "ab", count: 32))"},"origin":{"kind":"board","probe":"ST-LINK"}}"#
            + "\n" + #"{"region":"alu_x8","cycles":772}"# + "\n" + ##"{"region":"#3","start":4294967000,"end":480,"repeat":2}"## + "\n"
        let log = "# suite\nalu_x8: 772 cycles\nldr_sram_x8: 1795 cycles\r\nconv_tr_128x9x1_k3_f4: 242479 cycles\n"
        let url = dir.appendingPathComponent("trace")
        for (name, seed) in [("trace-jsonl", jsonl), ("trace-log", log)] {
            try fuzz(name, seeds: [[UInt8](seed.utf8)], seconds: Self.seconds / 3) { bytes in
                try Data(bytes).write(to: url)
                _ = try Trace.read(url).occurrenceNames
            }
        }
        let suite = dir.appendingPathComponent("suite")
        try FileManager.default.createDirectory(at: suite, withIntermediateDirectories: true)
        try Data([0x7F, 0x45, 0x4C, 0x46]).write(to: suite.appendingPathComponent("suite.elf"))
        let manifest = #"{"format":"micronas-calibration-suite","version":1,"board":"nucleo-l552ze-q","clock_hz":80000000,"firmware":"suite.elf","sha256":"\#(SHA256.hex(Data([0x7F, 0x45, 0x4C, 0x46])))","regions":[{"name":"alu_x8","emulated_cycles":772}],"compiler_flags":["-mthumb"],"created":"2026-12-04T00:00:00Z"}"#
        try fuzz("suite-manifest", seeds: [[UInt8](manifest.utf8)], seconds: Self.seconds / 3) { bytes in
            try Data(bytes).write(to: suite.appendingPathComponent("manifest.json"))
            _ = try CalibrationSuite.read(suite)
        }
    }

    /// Board and core files, each mutated in a copy of targets/ read as a catalog.
    func testBoardAndCoreFiles() throws {
        for (name, file) in [("board", "boards/nucleo-l552ze-q.json"), ("core", "cores/cortex-m4f.json")] {
            let dir = try Fixtures.temporaryDirectory().appendingPathComponent("targets")
            try FileManager.default.copyItem(at: Fixtures.targetsDirectory, to: dir)
            let target = dir.appendingPathComponent(file)
            let seed = [UInt8](try Data(contentsOf: target))
            try fuzz(name, seeds: [seed]) { bytes in
                try Data(bytes).write(to: target)
                let catalog = try BoardCatalog(directory: dir)
                for b in catalog.boards { _ = b.costVector }
            }
        }
    }

    /// Lookup-table files (SQLite) as `characterize info` reads them.
    func testLookupTableFiles() throws {
        let dir = try Fixtures.temporaryDirectory()
        let seedFile = dir.appendingPathComponent("seed.sqlite")
        try Fixtures.run("python3", ["-c", """
            import sqlite3, json
            c = sqlite3.connect(\(String(reflecting: seedFile.path)))
            c.executescript('''
            CREATE TABLE micronas_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO micronas_meta VALUES ('format', 'micronas-lut'), ('version', '1');
            CREATE TABLE entries(board TEXT NOT NULL, cost_hash TEXT NOT NULL, kernel_hash TEXT NOT NULL, config TEXT NOT NULL,
                cycles INTEGER NOT NULL, macs INTEGER NOT NULL, event_model TEXT NOT NULL, events TEXT, source TEXT NOT NULL,
                PRIMARY KEY (board, cost_hash, kernel_hash, config)) WITHOUT ROWID;
            CREATE TABLE overheads(board TEXT NOT NULL, cost_hash TEXT NOT NULL, kernel_hash TEXT NOT NULL, space TEXT NOT NULL,
                cycles REAL NOT NULL, PRIMARY KEY (board, cost_hash, kernel_hash, space)) WITHOUT ROWID;
            INSERT INTO overheads VALUES ('b', 'c', 'k', 's', 812.5);
            ''')
            for i in range(20):
                c.execute("INSERT INTO entries VALUES ('b', 'c', 'k', ?, ?, ?, 'm', ?, 'measured')",
                          ('conv %d' % i, 1000 + i, 10 * i, json.dumps({'alu': i, 'load': 2 * i})))
            c.commit()
            """])
        let file = dir.appendingPathComponent("fuzz.sqlite")
        try fuzz("table", seeds: [[UInt8](try Data(contentsOf: seedFile))]) { bytes in
            try? FileManager.default.removeItem(at: file)
            try Data(bytes).write(to: file)
            let store = try TableStore(url: file, create: false)
            for s in try store.summary() { _ = try store.table(board: s.board, costHash: s.costHash, kernelHash: s.kernelHash) }
        }
    }
}
