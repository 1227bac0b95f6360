import Foundation

/// The UCI HAPT raw recordings (Reyes-Ortiz et al., 2016) in the official `RawData/` layout:
/// `acc_expXX_userYY.txt` (total acceleration in g) and `gyro_expXX_userYY.txt` (rad/s), three
/// space-separated columns at 50 Hz, and `labels.txt` lines `experiment user activity first last`
/// (rows 0-based, inclusive; activities 1–6 WALKING … LAYING, 7–12 postural transitions).
public enum HAPT {
    public static let rate = 50.0
    public static let activities = ["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"]
    public static let transitions = ["STAND_TO_SIT", "SIT_TO_STAND", "SIT_TO_LIE", "LIE_TO_SIT", "STAND_TO_LIE", "LIE_TO_STAND"]

    public struct Recording: Sendable {
        public var experiment: Int
        public var user: Int
        /// N × 3 each, row-major.
        public var acc: [Double]
        public var gyro: [Double]
        /// (label 1–12, first row, last row).
        public var segments: [(label: Int, first: Int, last: Int)]
        public var rows: Int { acc.count / 3 }
    }

    /// Reads a RawData directory. Errors name the file and line: missing files, ragged or
    /// non-numeric rows, acc/gyro of different lengths, labels outside 1–12 or outside the recording.
    public static func read(_ directory: URL) throws -> [Recording] {
        let labelsURL = directory.appendingPathComponent("labels.txt")
        let labels = try TextTable.numbers(labelsURL, columns: 5)
        var segments: [Int: (user: Int, [(Int, Int, Int)])] = [:]
        for r in 0..<labels.rows {
            let line = r + 1
            let fields = ["experiment", "user", "activity", "start sample", "end sample"]
            let v = try (0..<5).map { k -> Int in
                let x = labels.values[r * 5 + k]
                guard let n = TextTable.whole(x, in: 0...1_000_000_000) else {
                    throw DatasetError(file: labelsURL.path, line: line, "\(fields[k]) \(x) is not a whole number in 0…1000000000")
                }
                return n
            }
            guard (1...12).contains(v[2]) else {
                throw DatasetError(file: labelsURL.path, line: line, "unknown activity \(v[2]) (HAPT labels are 1–12)")
            }
            guard v[3] >= 0, v[4] >= v[3] else { throw DatasetError(file: labelsURL.path, line: line, "segment \(v[3])–\(v[4]) is empty or negative") }
            if let known = segments[v[0]], known.user != v[1] {
                throw DatasetError(file: labelsURL.path, line: line, "experiment \(v[0]) was user \(known.user), now \(v[1])")
            }
            segments[v[0], default: (v[1], [])].1.append((v[2], v[3], v[4]))
        }
        guard !segments.isEmpty else { throw DatasetError(file: labelsURL.path, "no labelled segments") }
        var recordings: [Recording] = []
        for (experiment, entry) in segments.sorted(by: { $0.key < $1.key }) {
            let name = String(format: "exp%02d_user%02d.txt", experiment, entry.user)
            let accURL = directory.appendingPathComponent("acc_" + name), gyroURL = directory.appendingPathComponent("gyro_" + name)
            let acc = try TextTable.numbers(accURL, columns: 3), gyro = try TextTable.numbers(gyroURL, columns: 3)
            guard acc.rows == gyro.rows else {
                throw DatasetError(file: gyroURL.path, "\(gyro.rows) rows, but \(accURL.lastPathComponent) has \(acc.rows)")
            }
            for (label, first, last) in entry.1 where last >= acc.rows {
                throw DatasetError(file: labelsURL.path, "experiment \(experiment): segment of activity \(label) ends at row \(last), the recording has \(acc.rows) rows (\(name))")
            }
            recordings.append(Recording(experiment: experiment, user: entry.user, acc: acc.values, gyro: gyro.values,
                                        segments: entry.1.map { (label: $0.0, first: $0.1, last: $0.2) }))
        }
        return recordings
    }

    public enum Channels: String, Sendable, CaseIterable {
        /// UCI-HAR's 9: body_acc x/y/z (total minus gravity), body_gyro x/y/z, total_acc x/y/z.
        case uciHAR9 = "9"
        /// The raw 6: total_acc x/y/z, gyro x/y/z.
        case raw6 = "6"

        public var names: [String] {
            switch self {
            case .uciHAR9: return ["body_acc_x", "body_acc_y", "body_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z",
                                   "total_acc_x", "total_acc_y", "total_acc_z"]
            case .raw6: return ["total_acc_x", "total_acc_y", "total_acc_z", "gyro_x", "gyro_y", "gyro_z"]
            }
        }
    }

    public struct WindowOptions: Sendable {
        public var length = 128
        public var step = 64
        public var channels = Channels.uciHAR9
        /// Also window the 6 postural transitions (classes 7–12).
        public var transitions = false
        public init(length: Int = 128, step: Int = 64, channels: Channels = .uciHAR9, transitions: Bool = false) {
            (self.length, self.step, self.channels, self.transitions) = (length, step, channels, transitions)
        }
    }

    /// UCI-HAR-style windows: `length` samples every `step` inside each labelled segment of the 6
    /// activities (and the transitions when asked). Gravity: a 3rd-order 0.3 Hz Butterworth low-pass,
    /// zero-phase, over each whole recording; body_acc = total_acc − gravity.
    public static func windows(_ recordings: [Recording], options: WindowOptions = WindowOptions(), name: String = "uci-har") throws -> RawWindows {
        let classes = options.transitions ? activities + transitions : activities
        let lowPass = Butterworth(order: 3, cutoff: 0.3, rate: rate)
        let s = options.channels.names.count
        var x: [Float] = [], y: [Int32] = [], subjects: [Int32] = []
        for r in recordings {
            let n = r.rows
            var columns: [[Double]] = []
            let total = (0..<3).map { c in (0..<n).map { r.acc[$0 * 3 + c] } }
            let gyro = (0..<3).map { c in (0..<n).map { r.gyro[$0 * 3 + c] } }
            switch options.channels {
            case .uciHAR9:
                let gravity = total.map { lowPass.filtfilt($0) }
                columns = (0..<3).map { c in zip(total[c], gravity[c]).map { $0 - $1 } } + gyro + total
            case .raw6:
                columns = total + gyro
            }
            for seg in r.segments where seg.label <= classes.count {
                for start in windowStarts(first: seg.first, last: seg.last, length: options.length, step: options.step) {
                    for t in start..<(start + options.length) { for c in 0..<s { x.append(Float(columns[c][t])) } }
                    y.append(Int32(seg.label - 1))
                    subjects.append(Int32(r.user))
                }
            }
        }
        guard !y.isEmpty else {
            throw DatasetError("\(name): no segment is as long as one window (\(options.length) samples)")
        }
        return RawWindows(name: name, length: options.length, channels: options.channels.names, classes: classes, x: x, y: y,
                          subjects: subjects,
                          notes: "HAPT RawData, \(options.length)-sample windows every \(options.step) inside labelled segments; gravity by 3rd-order 0.3 Hz Butterworth (zero-phase); no noise filter")
    }
}
