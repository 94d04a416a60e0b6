import AgentProbes
import ArgumentParser
import CommandLineSupport
import FieldCheck
import Foundation
import Inventory
import Presentation
import ReadinessModel

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every check once and print what a field technician needs to see.",
        discussion: """
            Exit codes follow the monitoring-plugin convention, so Nagios, Icinga or Zabbix can run this \
            command unchanged: 0 OK (ready), 1 WARNING (degraded), 2 CRITICAL (not ready), 3 UNKNOWN.
            A configuration error (bad inventory, unknown site) also exits 2 and says what to fix.

            Examples:
              sansang-agent check
              sansang-agent check --inventory inventory --site 20242 --lang en
              sansang-agent check --uplink eno1 --json
              sansang-agent check --uplink eno1 --lldp-wait 35 --switch udp:10.0.0.2:161 --v3-user sansang \\
                  --auth-protocol sha256 --auth-passphrase-file /etc/sansang/switch-auth --privacy-passphrase-file /etc/sansang/switch-priv
              sansang-agent check --switch udp:10.0.0.2:161 --community sansang-ro --port-name Gi1/0/24 --lang en

            Speed evidence of the LAN comes from four sources read at the same time: the uplink NIC, the LLDP \
            neighbour (listening --lldp-wait seconds), the switch port over SNMP (--switch), and passive traffic \
            on the uplink over the same window. A source that cannot be read is unknown, never 0.

            The profile's service checks (dns, tcp, tls, http/https, icmp, ntp) run at the same time, each \
            bounded by --service-timeout; the table shows each one's result or reason and its phase timings.
            """)

    @Option(help: "Inventory file or directory, for the site and its profile. Without it: the built-in LAN check.")
    var inventory: String?

    @Option(help: "This office's site code (e.g. 20242). Needs --inventory.")
    var site: String?

    @Option(help: "Profile to check against instead of the site's own.")
    var profile: String?

    @Option(help: "Uplink interface, or `auto` for the interface of the default route.")
    var uplink = "auto"

    @OptionGroup(title: "Upstream switch (SNMP)") var switchOptions: SwitchOptions

    @Option(name: .customLong("lldp-wait"), help: "Seconds to listen for the LLDP neighbour and to measure traffic (0: neither).")
    var lldpWait = 5.0

    @Option(name: .customLong("source-timeout"), help: "Seconds after which a source that has not answered is reported unknown.")
    var sourceTimeout = 20.0

    @Flag(name: .customLong("skip-services"), help: "Do not run the profile's service checks (they are listed as not run).")
    var skipServices = false

    @Option(name: .customLong("service-timeout"), help: "Seconds after which a service check that has not finished is reported as `timeout`.")
    var serviceTimeout = 10.0

    @Flag(help: "Print the full result as JSON.")
    var json = false

    @Option(help: "Language of the table: vi or en.")
    var lang: Language = .vi

    func run() async throws {
        let wait = try seconds(lldpWait, flag: "--lldp-wait")
        var configuration = FieldCheck.Configuration(evidence: .init(
            uplink: uplink, upstreamSwitch: try switchOptions.configuration(), lldp: .init(wait: wait),
            sourceTimeout: try seconds(sourceTimeout, flag: "--source-timeout"),
            traffic: wait >= .seconds(1) ? TrafficMeter.Configuration(window: wait) : nil),
            runServices: !skipServices, serviceTimeout: try seconds(serviceTimeout, flag: "--service-timeout"))
        if let inventory {
            let loaded: Inventory
            do {
                loaded = try InventoryLoader.load(paths: [inventory])
            } catch {
                throw ConfigurationError(error.errors.map(\.description).joined(separator: "\n"))
            }
            if let code = site {
                guard let found = loaded.site(code: code) else {
                    throw ConfigurationError("site \(code) is not in \(inventory)")
                }
                configuration.site = found
            } else if site == nil, profile == nil {
                throw ConfigurationError("--inventory needs --site CODE or --profile NAME")
            }
            let profileName = profile ?? configuration.site.profile
            guard let chosen = loaded.profile(named: profileName) else {
                throw ConfigurationError("profile \(profileName) is not in \(inventory)")
            }
            configuration.profile = chosen
        } else if site != nil || profile != nil {
            throw ConfigurationError("--site and --profile need --inventory")
        }

        let result = await FieldCheck(configuration: configuration).run()
        if json {
            let data = try ReportCoding.encoder(pretty: true).encode(result)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(FieldCheckTable(language: lang).render(result), terminator: "")
        }
        throw ExitCode(result.exitCode)
    }
}
