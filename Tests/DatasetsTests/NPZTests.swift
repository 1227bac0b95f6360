import Datasets
import Foundation
import TestSupport
import XCTest

/// `.npz` archives against numpy (the project venv): what `numpy.savez` and `numpy.savez_compressed`
/// write reads back as the same arrays numpy saved beside them as `.npy`; what micronas writes,
/// `numpy.load` reads back equal; damaged archives are refused naming the cause.
final class NPZTests: XCTestCase {
    let python = Fixtures.root.appendingPathComponent(".venv/bin/python").path

    func testReadsWhatNumpyWritesAndNumpyReadsWhatItWrites() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
        import numpy as np, sys, os
        d = sys.argv[1]
        rng = np.random.default_rng(7)
        arrays = {"x": rng.integers(-128, 128, size=(3, 128, 9, 1), dtype=np.int8),
                  "aux": rng.standard_normal((4, 6)).astype(np.float32),
                  "ids": np.arange(5, dtype=np.int32), "scalar": np.array(2.5, dtype=np.float64)}
        np.savez(os.path.join(d, "stored.npz"), **arrays)
        np.savez_compressed(os.path.join(d, "deflated.npz"), **arrays)
        for k, v in arrays.items(): np.save(os.path.join(d, k + ".npy"), v)
        """
        try script.write(to: dir.appendingPathComponent("make.py"), atomically: true, encoding: .utf8)
        _ = try Fixtures.run(python, [dir.appendingPathComponent("make.py").path, dir.path])
        let names = ["x", "aux", "ids", "scalar"]
        let reference = try names.map { try NPYArray(contentsOf: dir.appendingPathComponent("\($0).npy")) }
        for file in ["stored.npz", "deflated.npz"] {
            let archive = try NPZArchive(contentsOf: dir.appendingPathComponent(file))
            XCTAssertEqual(archive.names, names, file)
            XCTAssertEqual(archive.arrays, reference, file)
        }

        // micronas writes; numpy reads back and compares with its own .npy files.
        let mine = dir.appendingPathComponent("mine.npz")
        try NPZArchive(names: names, arrays: reference).write(to: mine)
        let check = """
        import numpy as np, sys, os
        d = sys.argv[1]
        z = np.load(os.path.join(d, "mine.npz"))
        assert list(z.keys()) == ["x", "aux", "ids", "scalar"], list(z.keys())
        for k in z.keys():
            ref = np.load(os.path.join(d, k + ".npy"))
            assert z[k].dtype == ref.dtype and z[k].shape == ref.shape and np.array_equal(z[k], ref), k
        print("ok")
        """
        try check.write(to: dir.appendingPathComponent("check.py"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try Fixtures.run(python, [dir.appendingPathComponent("check.py").path, dir.path]).trimmingCharacters(in: .whitespacesAndNewlines), "ok")
        XCTAssertEqual(try NPZArchive(contentsOf: mine), NPZArchive(names: names, arrays: reference))
    }

    func testDamagedArchivesAreRefusedNamingTheCause() throws {
        let a = NPYArray(dtype: .int8, shape: [4], data: [1, 2, 3, 4])
        let good = try NPZArchive(names: ["x"], arrays: [a]).encoded()
        func refusal(_ bytes: [UInt8]) -> String { Fixtures.errorMessage { try NPZArchive(bytes: bytes, file: "in.npz") } }
        XCTAssertEqual(refusal(a.encoded()), "in.npz: a .npy file, not an .npz archive")
        XCTAssertEqual(refusal(Array("hello".utf8)), "in.npz: not an .npz archive (too short for a zip file)")
        XCTAssertEqual(refusal(Array(good.prefix(good.count - 10))), "in.npz: not an .npz archive (no zip end-of-central-directory record)")
        var flipped = good
        flipped[30 + 5 + 70] ^= 0xFF  // a data byte of the member (after the local header and name)
        XCTAssertEqual(refusal(flipped), "in.npz: x.npy: CRC-32 mismatch (corrupt archive)")
        // The central directory claims more data than the file holds.
        var long = good
        let directory = Int(good[good.count - 6]) | Int(good[good.count - 5]) << 8
        long[directory + 20] = 0xFF; long[directory + 21] = 0xFF; long[directory + 24] = 0xFF; long[directory + 25] = 0xFF
        XCTAssertEqual(refusal(long), "in.npz: x.npy: data runs past the end of the file")
        XCTAssertEqual(refusal(try NPZArchive(names: ["x", "x"], arrays: [a, a]).encoded()), "in.npz: member 'x.npy' appears twice")
    }
}
