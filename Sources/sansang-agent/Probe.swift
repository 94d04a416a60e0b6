import AgentProbes
import ArgumentParser
import CommandLineSupport
import FieldCheck
import Foundation
import Presentation
import ReadinessModel

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read one source of speed evidence, or run one service check, once, for debugging.",
        discussion: """
            Exit codes: 0 the source was read, 1 it could not be read (the reason is printed), 2 usage or \
            configuration error.

            Examples:
              sansang-agent probe link --iface eno1
              sansang-agent probe lldp --wait 35
              sansang-agent probe switch --switch udp:10.0.0.2:161 --v3-user sansang --auth-passphrase-file /etc/sansang/switch-auth --privacy-passphrase-file /etc/sansang/switch-priv
              sansang-agent probe traffic --seconds 10 --json
              sansang-agent probe throughput --server 10.1.2.3:5201 --reverse
              sansang-agent probe service --kind tcp --target 10.0.0.1:443
            """,
        subcommands: [Link.self, LLDPNeighbours.self, SwitchPort.self, Traffic.self, ProbeThroughput.self, ProbeService.self])

    struct Common: ParsableArguments {
        @Option(help: "The uplink interface, or `auto` for the interface of the default route.")
        var iface = "auto"

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Option(help: "Language of the text output: vi or en.")
        var lang: Language = .vi

        func uplink() throws -> String {
            do {
                return try NICProbe().resolve(iface)
            } catch {
                throw ConfigurationError(error.message)
            }
        }
    }

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The uplink NIC: speed, duplex, carrier, operstate, MTU, driver, counters.",
            discussion: "Example:\n  sansang-agent probe link --iface eno1 --lang en")

        @OptionGroup var common: Common

        func run() async throws {
            let uplink = try common.uplink()
            let reading = await NICProbe().reading(interface: uplink)
            let evidence = try? NICProbe().evidence(interface: uplink)
            try emit(reading, extra: evidence, common)
        }
    }

    struct LLDPNeighbours: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lldp",
            abstract: "Listen for the LLDP neighbour on the uplink (needs CAP_NET_RAW).",
            discussion: """
                Switches announce every 30 s by default: wait that long to be sure. "No LLDP frame within N s" \
                is reported as unknown (exit 1), never as a speed.
                Example:
                  sansang-agent probe lldp --iface eno1 --wait 35
                """)

        @OptionGroup var common: Common

        @Option(help: "Seconds to listen.")
        var wait = 5.0

        func run() async throws {
            let uplink = try common.uplink()
            let probe = LLDPProbe(configuration: .init(wait: try seconds(wait, flag: "--wait")))
            try emit(await probe.reading(interface: uplink), extra: String?.none, common)
        }
    }

    struct SwitchPort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "switch",
            abstract: "Read the upstream switch port over SNMP (IF-MIB): speed, status, errors, utilisation.",
            discussion: """
                The port is found by --port-name, --port-alias, the LLDP neighbour's port id (listening up to \
                --lldp-wait seconds), or the switch's LLDP-MIB remote table pointing back at this host.
                Examples:
                  sansang-agent probe switch --switch udp:10.0.0.2:161 --community sansang-ro --port-name Gi1/0/24
                  sansang-agent probe switch --switch udp:10.0.0.2:161 --v3-user sansang --auth-protocol sha256 \\
                      --auth-passphrase-file /etc/sansang/switch-auth --privacy-protocol aes --privacy-passphrase-file /etc/sansang/switch-priv --json
                """)

        @OptionGroup var common: Common
        @OptionGroup var switchOptions: SwitchOptions

        @Option(name: .customLong("lldp-wait"), help: "Seconds to listen for the LLDP neighbour when no port is named (0: don't).")
        var lldpWait = 5.0

        @Option(name: .customLong("rate-seconds"), help: "Seconds between the two counter polls for utilisation (0: skip).")
        var rateSeconds = 2.0

        func run() async throws {
            guard let upstream = try switchOptions.configuration() else { throw ConfigurationError("probe switch needs --switch ADDRESS") }
            let uplink = try common.uplink()
            let wait = try seconds(lldpWait, flag: "--lldp-wait")
            let probe = SwitchPortProbe(configuration: .init(upstreamSwitch: upstream, utilisationInterval: try seconds(rateSeconds, flag: "--rate-seconds")))
            let named = upstream.port.ifName != nil || upstream.port.ifAlias != nil
            let reading = await probe.reading(host: SwitchPortProbe.host(interface: uplink)) {
                guard !named, wait > .zero else { return nil }
                return try? await LLDPProbe(configuration: .init(wait: wait)).neighbour(interface: uplink)
            }
            try emit(reading, extra: String?.none, common)
        }
    }

    struct Traffic: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure passive traffic on the uplink (libpcap): rx/tx bit and packet rates, mean and peak, drops.",
            discussion: "Example:\n  sansang-agent probe traffic --iface eno1 --seconds 10")

        @OptionGroup var common: Common

        @Option(help: "Length of the measurement window in seconds.")
        var seconds = 5.0

        func run() async throws {
            let uplink = try common.uplink()
            guard seconds >= 1 else { throw ConfigurationError("--seconds must be at least 1") }
            let window = try sansang_agent.seconds(seconds, flag: "--seconds")
            let summary: TrafficSummary
            do {
                summary = try await TrafficMeter(configuration: .init(window: window)).measure(interface: uplink)
            } catch {
                summary = TrafficSummary(interface: uplink, windowSeconds: Int(seconds.rounded(.up)), rx: nil, tx: nil, error: error.message)
            }
            if common.json {
                print(String(decoding: try ReportCoding.encoder(pretty: true).encode(summary), as: UTF8.self))
            } else {
                print(common.lang.pick("Lưu lượng thụ động", "Passive traffic") + " \(uplink), \(summary.windowSeconds) s: "
                      + FieldCheckTable.traffic(summary, common.lang))
            }
            if summary.error != nil { throw ExitCode(1) }
        }
    }
}

/// Prints a reading (and, for JSON, any extra evidence) and exits 1 when the source could not be read.
private func emit<Extra: Encodable>(_ reading: SpeedReading, extra: Extra?, _ common: Probe.Common) throws {
    if common.json {
        print(String(decoding: try ReportCoding.encoder(pretty: true).encode(Output(reading: reading, evidence: extra)), as: UTF8.self))
    } else {
        let t = common.lang.pick
        print(FieldCheckTable.sourceName(reading.source, common.lang) + ": "
              + (reading.speedMbps.map { "\($0) Mbit/s" } ?? t("không rõ", "unknown")))
        if let error = reading.error { print("  " + t("lỗi", "error") + ": \(error)") }
        for (key, value) in reading.facts.sorted(by: { $0.key < $1.key }) { print("  \(key): \(value)") }
    }
    if reading.speedMbps == nil { throw ExitCode(1) }
}

/// `probe --json`: the reading, and the source's full evidence where it has more (the NIC).
private struct Output<E: Encodable>: Encodable {
    let reading: SpeedReading
    let evidence: E?
}
