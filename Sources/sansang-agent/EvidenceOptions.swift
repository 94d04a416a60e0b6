import AgentProbes
import ArgumentParser
import CommandLineSupport
import Foundation
import SNMP
import YAMLConfig

/// The upstream switch on the command line: the same flags for `check` and `probe switch`.
struct SwitchOptions: ParsableArguments {
    @Option(name: .customLong("switch"), help: "The upstream switch's SNMP agent, e.g. udp:10.0.0.2:161. Without it the switch port is not read.")
    var address: String?

    @Option(help: "SNMPv2c community (read-only). Prefer SNMPv3 (--v3-user …).")
    var community: String?

    @Option(name: .customLong("v3-user"), help: "SNMPv3 user name (authPriv unless the passphrases say otherwise).")
    var v3User: String?

    @Option(name: .customLong("auth-protocol"), help: "SNMPv3 authentication: md5, sha, sha224, sha256, sha384, sha512.")
    var authProtocol = "sha"

    @Option(name: .customLong("auth-passphrase-file"),
            help: "File (mode 0600) holding the SNMPv3 authentication passphrase (8+ characters); or $SANSANG_SNMP_AUTH_PASSPHRASE.")
    var authPassphraseFile: String?

    @Option(name: .customLong("auth-passphrase"), help: .hidden)
    var authPassphraseValue: String?

    @Option(name: .customLong("privacy-protocol"), help: "SNMPv3 privacy: des, aes, aes192, aes256.")
    var privacyProtocol = "aes"

    @Option(name: .customLong("privacy-passphrase-file"),
            help: "File (mode 0600) holding the SNMPv3 privacy passphrase (8+ characters); or $SANSANG_SNMP_PRIVACY_PASSPHRASE. Without it authNoPriv.")
    var privacyPassphraseFile: String?

    @Option(name: .customLong("privacy-passphrase"), help: .hidden)
    var privacyPassphraseValue: String?

    /// A passphrase from its file flag or the environment; a passphrase given as a flag's value is refused, as
    /// every local user reads the command line in /proc.
    func passphrase(file: String?, refused value: String?, flag: String, environment name: String) throws -> String? {
        guard value == nil else {
            throw ConfigurationError("--\(flag) would show the secret to every user of this machine (/proc/PID/cmdline): "
                                     + "put it in a file readable only by you and give --\(flag)-file FILE, or set \(name)")
        }
        if let file {
            do {
                return try SecretFile.read(file)
            } catch {
                throw ConfigurationError("--\(flag)-file: \(error)")
            }
        }
        return ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    @Option(name: .customLong("port-name"), help: "The switch port's ifName, e.g. Gi1/0/24 (found by LLDP otherwise).")
    var portName: String?

    @Option(name: .customLong("port-alias"), help: "The switch port's ifAlias (its description on the switch).")
    var portAlias: String?

    @Option(name: .customLong("timeout-ms"), help: "Time to wait for each SNMP answer, in milliseconds (one retry).")
    var timeoutMilliseconds = 1000

    /// The switch configuration, nil without --switch; a ConfigurationError for inconsistent flags.
    func configuration() throws -> SwitchConfiguration? {
        guard let address else {
            guard community == nil, v3User == nil, portName == nil, portAlias == nil else {
                throw ConfigurationError("--community, --v3-user, --port-name and --port-alias need --switch ADDRESS")
            }
            return nil
        }
        guard timeoutMilliseconds > 0 else { throw ConfigurationError("--timeout-ms must be positive") }
        let authPassphrase = try passphrase(file: authPassphraseFile, refused: authPassphraseValue, flag: "auth-passphrase",
                                            environment: "SANSANG_SNMP_AUTH_PASSPHRASE")
        let privacyPassphrase = try passphrase(file: privacyPassphraseFile, refused: privacyPassphraseValue, flag: "privacy-passphrase",
                                               environment: "SANSANG_SNMP_PRIVACY_PASSPHRASE")
        let version: SNMPVersion
        switch (community, v3User) {
        case (let community?, nil):
            version = .v2c(community: community)
        case (nil, let user?):
            guard let auth = Self.authProtocols[authProtocol.lowercased()] else {
                throw ConfigurationError("--auth-protocol \(authProtocol): use one of \(Self.authProtocols.keys.sorted().joined(separator: ", "))")
            }
            guard let privacy = Self.privacyProtocols[privacyProtocol.lowercased()] else {
                throw ConfigurationError("--privacy-protocol \(privacyProtocol): use one of \(Self.privacyProtocols.keys.sorted().joined(separator: ", "))")
            }
            let level: SNMPv3Security.Level = authPassphrase == nil ? .noAuthNoPriv : privacyPassphrase == nil ? .authNoPriv : .authPriv
            if privacyPassphrase != nil, authPassphrase == nil {
                throw ConfigurationError("--privacy-passphrase-file needs --auth-passphrase-file")
            }
            for (flag, value) in [("--auth-passphrase-file", authPassphrase), ("--privacy-passphrase-file", privacyPassphrase)] {
                if let value, value.count < 8 { throw ConfigurationError("\(flag) needs at least 8 characters (RFC 3414)") }
            }
            version = .v3(SNMPv3Security(user: user, level: level, authProtocol: auth, authPassphrase: authPassphrase ?? "",
                                         privacyProtocol: privacy, privacyPassphrase: privacyPassphrase ?? ""))
        case (nil, nil):
            throw ConfigurationError("--switch needs --community or --v3-user")
        case (_?, _?):
            throw ConfigurationError("give --community (v2c) or --v3-user (v3), not both")
        }
        return SwitchConfiguration(
            snmp: SNMPSessionConfiguration(peer: address, timeout: .milliseconds(timeoutMilliseconds), retries: 1, version: version),
            port: PortSelector(ifName: portName, ifAlias: portAlias))
    }

    static let authProtocols: [String: SNMPv3Security.AuthProtocol] = [
        "md5": .md5, "sha": .sha, "sha224": .sha224, "sha256": .sha256, "sha384": .sha384, "sha512": .sha512,
    ]
    static let privacyProtocols: [String: SNMPv3Security.PrivacyProtocol] = ["des": .des, "aes": .aes, "aes192": .aes192, "aes256": .aes256]
}

/// Seconds on the command line → Duration, checked.
func seconds(_ value: Double, flag: String) throws -> Duration {
    guard value >= 0, value <= 3600 else { throw ConfigurationError("\(flag) must be between 0 and 3600 seconds") }
    return .milliseconds(Int((value * 1000).rounded()))
}
