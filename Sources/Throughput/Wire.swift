import Foundation

/// The iperf3 control protocol's states (one signed byte each) and messages, as spoken by the 3.12 server.
enum WireState: Int8 {
    case testStart = 1
    case testRunning = 2
    case testEnd = 4
    case paramExchange = 9
    case createStreams = 10
    case serverTerminate = 11
    case clientTerminate = 12
    case exchangeResults = 13
    case displayResults = 14
    case iperfDone = 16
    case serverError = -2
    case accessDenied = -1
}

enum Wire {
    static let cookieAlphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// 36 characters from the alphabet and a NUL: 37 bytes.
    static func makeCookie<G: RandomNumberGenerator>(using generator: inout G) -> [UInt8] {
        (0..<36).map { _ in cookieAlphabet.randomElement(using: &generator)! } + [0]
    }

    /// Stream ids as the 3.12 server expects them: 1, 3, 4, 5, …
    static func streamID(index: Int) -> Int { index == 0 ? 1 : index + 2 }

    /// A 4-byte big-endian length followed by the compact JSON.
    static func frame(_ json: Data) -> [UInt8] {
        let length = UInt32(json.count).bigEndian
        return withUnsafeBytes(of: length) { Array($0) } + [UInt8](json)
    }

    static func length(_ header: [UInt8]) -> Int {
        header.reduce(0) { $0 << 8 | Int($1) }
    }

    /// The parameters JSON the client sends at PARAM_EXCHANGE.
    static func parameters(_ configuration: ThroughputConfiguration) -> Data {
        var object: [String: Any] = [
            "tcp": true, "omit": configuration.omitSeconds, "time": configuration.durationSeconds, "num": 0,
            "blockcount": 0, "parallel": configuration.parallel, "len": configuration.blockLength,
            "pacing_timer": 1000, "client_version": "3.12",
        ]
        switch configuration.mode {
        case .forward: break
        case .reverse: object["reverse"] = true
        case .bidirectional: object["bidirectional"] = true
        }
        if let window = configuration.window { object["window"] = window }
        if let mss = configuration.mss { object["MSS"] = mss }
        if configuration.noDelay { object["nodelay"] = true }
        if let rate = configuration.rateLimitBitsPerSecond { object["bandwidth"] = rate }
        // Sorted keys: the same bytes every time, which makes captures comparable.
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    /// The results one side reports at EXCHANGE_RESULTS.
    struct Results: Codable, Sendable {
        struct Stream: Codable, Sendable {
            var id: Int
            var bytes: UInt64
            var retransmits: Int64
            var jitter: Double
            var errors: Int64
            var packets: Int64
            var startTime: Double
            var endTime: Double

            enum CodingKeys: String, CodingKey {
                case id, bytes, retransmits, jitter, errors, packets
                case startTime = "start_time", endTime = "end_time"
            }

            init(id: Int, bytes: UInt64, retransmits: Int64, startTime: Double, endTime: Double) {
                self.id = id
                self.bytes = bytes
                self.retransmits = retransmits
                jitter = 0
                errors = 0
                packets = 0
                self.startTime = startTime
                self.endTime = endTime
            }

            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                id = try c.decode(Int.self, forKey: .id)
                bytes = try c.decodeIfPresent(UInt64.self, forKey: .bytes) ?? 0
                retransmits = Wire.signed(try c.decodeIfPresent(Double.self, forKey: .retransmits) ?? -1)
                jitter = try c.decodeIfPresent(Double.self, forKey: .jitter) ?? 0
                errors = Wire.signed(try c.decodeIfPresent(Double.self, forKey: .errors) ?? 0)
                packets = Wire.signed(try c.decodeIfPresent(Double.self, forKey: .packets) ?? 0)
                startTime = try c.decodeIfPresent(Double.self, forKey: .startTime) ?? 0
                endTime = try c.decodeIfPresent(Double.self, forKey: .endTime) ?? 0
            }
        }

        var cpuUtilTotal: Double
        var cpuUtilUser: Double
        var cpuUtilSystem: Double
        var senderHasRetransmits: Int64
        var congestionUsed: String?
        var streams: [Stream]

        enum CodingKeys: String, CodingKey {
            case streams
            case cpuUtilTotal = "cpu_util_total", cpuUtilUser = "cpu_util_user", cpuUtilSystem = "cpu_util_system"
            case senderHasRetransmits = "sender_has_retransmits", congestionUsed = "congestion_used"
        }

        init(cpuUtilTotal: Double, cpuUtilUser: Double, cpuUtilSystem: Double, senderHasRetransmits: Int64,
             streams: [Stream]) {
            self.cpuUtilTotal = cpuUtilTotal
            self.cpuUtilUser = cpuUtilUser
            self.cpuUtilSystem = cpuUtilSystem
            self.senderHasRetransmits = senderHasRetransmits
            self.streams = streams
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            cpuUtilTotal = try c.decodeIfPresent(Double.self, forKey: .cpuUtilTotal) ?? 0
            cpuUtilUser = try c.decodeIfPresent(Double.self, forKey: .cpuUtilUser) ?? 0
            cpuUtilSystem = try c.decodeIfPresent(Double.self, forKey: .cpuUtilSystem) ?? 0
            senderHasRetransmits = Wire.signed(try c.decodeIfPresent(Double.self, forKey: .senderHasRetransmits) ?? -1)
            congestionUsed = try c.decodeIfPresent(String.self, forKey: .congestionUsed)
            streams = try c.decodeIfPresent([Stream].self, forKey: .streams) ?? []
        }
    }

    /// 3.12 writes −1 as 18446744073709551615: anything at or above 2^63 is −1.
    static func signed(_ value: Double) -> Int64 {
        value >= 0x1p63 ? -1 : Int64(value)
    }

    static func encode(_ results: Results) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(results)) ?? Data("{}".utf8)
    }
}
