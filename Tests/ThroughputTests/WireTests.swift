import Foundation
import Testing

@testable import Throughput

@Suite struct WireTests {
    @Test func cookieIs37BytesFromTheAlphabetEndingInNUL() {
        var generator = SystemRandomNumberGenerator()
        let cookie = Wire.makeCookie(using: &generator)
        #expect(cookie.count == 37)
        #expect(cookie.last == 0)
        #expect(cookie.dropLast().allSatisfy { Wire.cookieAlphabet.contains($0) })
    }

    @Test func streamIDsSkipTwo() {
        #expect((0..<5).map(Wire.streamID(index:)) == [1, 3, 4, 5, 6])
    }

    @Test func resultsDecodeThe312MinusOneQuirk() async throws {
        let json = #"{"cpu_util_total":1.5,"cpu_util_user":0.5,"cpu_util_system":1,"sender_has_retransmits":18446744073709551615,"streams":[{"id":1,"bytes":123456789012,"retransmits":18446744073709551615,"jitter":0,"errors":0,"packets":0,"start_time":0,"end_time":2.0}]}"#
        let results = try JSONDecoder().decode(Wire.Results.self, from: Data(json.utf8))
        #expect(results.senderHasRetransmits == -1)
        #expect(results.streams[0].retransmits == -1)
        #expect(results.streams[0].bytes == 123_456_789_012)
    }

    @Test func parametersCarryTheOptions() async throws {
        var configuration = ThroughputConfiguration(host: "h", mode: .bidirectional, parallel: 4, durationSeconds: 3)
        configuration.window = 65536
        configuration.noDelay = true
        configuration.rateLimitBitsPerSecond = 1_000_000
        let object = try JSONSerialization.jsonObject(with: Wire.parameters(configuration)) as? [String: Any]
        #expect(object?["bidirectional"] as? Bool == true)
        #expect(object?["parallel"] as? Int == 4)
        #expect(object?["time"] as? Int == 3)
        #expect(object?["window"] as? Int == 65536)
        #expect(object?["bandwidth"] as? Int == 1_000_000)
        #expect(object?["len"] as? Int == 131072)
        #expect(object?["reverse"] == nil)
    }

    @Test func framesAreLengthPrefixedBigEndian() {
        let frame = Wire.frame(Data("{}".utf8))
        #expect(frame == [0, 0, 0, 2, UInt8(ascii: "{"), UInt8(ascii: "}")])
        #expect(Wire.length([0, 1, 0, 2]) == 65538)
    }

    @Test(arguments: [
        ("example.org", "example.org", UInt16(5201)), ("10.0.0.1:5202", "10.0.0.1", 5202),
        ("[2001:db8::1]:5300", "2001:db8::1", 5300), ("[2001:db8::1]", "2001:db8::1", 5201),
    ])
    func serverAddressesParse(text: String, host: String, port: UInt16) {
        let parsed = ThroughputConfiguration.parseServer(text)
        #expect(parsed?.host == host)
        #expect(parsed?.port == port)
    }

    @Test func badServerAddressesAreRejected() {
        #expect(ThroughputConfiguration.parseServer("") == nil)
        #expect(ThroughputConfiguration.parseServer("h:0") == nil)
        #expect(ThroughputConfiguration.parseServer("h:x") == nil)
    }
}
