import ArgumentParser
import CommandLineSupport
import Foundation
import ReadinessModel
import Throughput

/// `sansang-agent probe throughput`: one iperf3-protocol test against a stock `iperf3 -s`, by hand (the window
/// policy does not apply).
struct ProbeThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Measure throughput against an iperf3 server (iperf3 protocol, TCP).",
        discussion: """
            Upload by default; --reverse for download, --bidir for both at once. The JSON has the same numbers as \
            the text, per interval and total, as the sender and the receiver counted them, and the measurement \
            that goes into a report. Exit codes: 0 measured, 1 the test failed (the reason code is printed: \
            refused, server_busy, server_error, reset_mid_test, timeout, unreachable, protocol_violation), 2 usage.

            Examples:
              sansang-agent probe throughput --server iperf.tinh.example.vn --duration 10 --parallel 4
              sansang-agent probe throughput --server 10.1.2.3:5202 --reverse --json
            """)

    @Option(help: "The iperf3 server: HOST or HOST:PORT ([IPv6]:PORT); port 5201 by default.")
    var server: String

    @Option(help: "Measured seconds.")
    var duration = 10

    @Option(help: "Parallel streams (1–16).")
    var parallel = 4

    @Flag(help: "Download: the server sends.")
    var reverse = false

    @Flag(help: "Both directions at once.")
    var bidir = false

    @Option(help: "Bytes per write (iperf3's -l).")
    var length = 128 * 1024

    @Option(help: "Seconds at the start not counted (TCP slow start).")
    var omit = 0

    @Option(help: "Socket buffer size in bytes (iperf3's -w); the kernel autotunes by default.")
    var window: Int?

    @Option(help: "TCP maximum segment size.")
    var mss: Int?

    @Flag(help: "Set TCP_NODELAY on the data streams.")
    var nodelay = false

    @Option(help: "Rate limit per stream in bit/s (iperf3's -b).")
    var bitrate: UInt64?

    @Option(help: "Seconds to wait for any answer from the server.")
    var timeout = 10.0

    @Option(help: "Seconds to keep retrying a busy server (with backoff and jitter).")
    var busyRetry = 0.0

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        guard let address = ThroughputConfiguration.parseServer(server) else {
            throw ConfigurationError("--server must be HOST or HOST:PORT, not \(server)")
        }
        guard !(reverse && bidir) else { throw ConfigurationError("--reverse and --bidir exclude each other") }
        let configuration = ThroughputConfiguration(
            host: address.host, port: address.port, mode: bidir ? .bidirectional : reverse ? .reverse : .forward,
            parallel: parallel, durationSeconds: duration, omitSeconds: omit, blockLength: length, window: window,
            mss: mss, noDelay: nodelay, rateLimitBitsPerSecond: bitrate, timeoutSeconds: timeout, busyRetrySeconds: busyRetry)
        let started = Date()
        let outcome: Result<ThroughputResult, ThroughputError>
        do {
            outcome = .success(try await ThroughputClient().run(configuration))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let result):
            if json {
                let output = Output(result: result, measurement: result.measurement(), error: nil)
                print(String(decoding: try Self.encoder.encode(output), as: UTF8.self))
            } else {
                print(ThroughputText.render(result))
            }
        case .failure(let error):
            if error.code == .invalidConfiguration { throw ConfigurationError(error.message) }
            if json {
                let output = Output(result: nil, measurement: error.measurement(server: server, at: started),
                                    error: .init(code: error.code.rawValue, message: error.message, cause: error.cause))
                print(String(decoding: try Self.encoder.encode(output), as: UTF8.self))
            }
            printError("throughput test failed: \(error)")
            throw ExitCode(1)
        }
    }

    /// The report's encoder (ISO dates), with snake_case keys like the rest of the report format.
    static var encoder: JSONEncoder {
        let encoder = ReportCoding.encoder(pretty: true)
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    struct Output: Encodable {
        struct Failure: Encodable {
            let code: String
            let message: String
            let cause: String?
        }

        let result: ThroughputResult?
        let measurement: ThroughputMeasurement
        let error: Failure?
    }
}
