import AgentDaemon
import Foundation
import Testing
import TestSupport
import YAMLConfig

/// Secrets in agent.yaml: `*_file` keys, private files only; plain http:// only to loopback unless allowed.
@Suite struct SecretConfigTests {
    static func yaml(switchKeys: String, url: String = "https://collector.example.vn:8470") -> String {
        """
        site: "20242"
        collector: {url: "\(url)"}
        switch:
          address: udp:198.18.0.1:161
          user: sansang
        \(switchKeys)
        """
    }

    @Test func passphrasesComeFromPrivateFilesOrFromAPrivateConfig() async throws {
        try await withTemporaryDirectory { directory in
            let auth = directory.appendingPathComponent("auth").path
            let privacy = directory.appendingPathComponent("priv").path
            try "auth-secret-1\n".write(toFile: auth, atomically: true, encoding: .utf8)
            try "priv-secret-1\n".write(toFile: privacy, atomically: true, encoding: .utf8)
            let config = directory.appendingPathComponent("agent.yaml").path
            try Self.yaml(switchKeys: "  auth_passphrase_file: \(auth)\n  privacy_passphrase_file: \(privacy)")
                .write(toFile: config, atomically: true, encoding: .utf8)

            chmod(auth, 0o644)
            chmod(privacy, 0o600)
            let open = try #require(throws: ConfigErrors.self) { try AgentConfiguration.load(path: config) }
            #expect(open.description.contains("switch.auth_passphrase_file"))
            #expect(open.description.contains("every user can read it (mode 644)"), "\(open)")

            chmod(auth, 0o640)
            let loaded = try AgentConfiguration.load(path: config)
            guard case .v3(let security)? = loaded.upstreamSwitch?.snmp.version else {
                Issue.record("no SNMPv3 switch configuration")
                return
            }
            #expect(security.authPassphrase == "auth-secret-1" && security.privacyPassphrase == "priv-secret-1")
            #expect(loaded.inlineSecrets.isEmpty)

            // Written inline, the passphrases make agent.yaml itself a secret file.
            try Self.yaml(switchKeys: "  auth_passphrase: auth-secret-1\n  privacy_passphrase: priv-secret-1")
                .write(toFile: config, atomically: true, encoding: .utf8)
            chmod(config, 0o644)
            let readable = try #require(throws: ConfigErrors.self) { try AgentConfiguration.load(path: config) }
            #expect(readable.errors.first?.field == "switch.auth_passphrase", "\(readable)")
            chmod(config, 0o600)
            #expect(try AgentConfiguration.load(path: config).inlineSecrets == ["switch.auth_passphrase", "switch.privacy_passphrase"])

            let both = Self.yaml(switchKeys: "  auth_passphrase: auth-secret-1\n  auth_passphrase_file: \(auth)\n  privacy_passphrase: priv-secret-1")
            let error = try #require(throws: ConfigErrors.self) { try AgentConfiguration.decode(yaml: both, file: "a.yaml") }
            #expect(error.description.contains("give auth_passphrase or auth_passphrase_file, not both"))
        }
    }

    @Test func aTokenFileEveryUserCanReadIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let token = directory.appendingPathComponent("token").path
            try "sst_000000000000_secret\n".write(toFile: token, atomically: true, encoding: .utf8)
            chmod(token, 0o644)
            #expect(throws: CollectorClient.Failure.self) { try CollectorClient.readToken(token) }
            chmod(token, 0o600)
            #expect(try CollectorClient.readToken(token) == "sst_000000000000_secret")
        }
    }

    @Test func plainHTTPIsForLoopbackUnlessAllowed() async throws {
        let remote = "site: '20242'\ncollector: {url: 'http://collector.example.vn:8470'}\n"
        let error = try #require(throws: ConfigErrors.self) { try AgentConfiguration.decode(yaml: remote, file: "a.yaml") }
        #expect(error.description.hasPrefix("a.yaml:2:") && error.description.contains("collector.url: plain http:// sends the site token in clear"), "\(error)")
        let allowed = try AgentConfiguration.decode(
            yaml: "site: '20242'\ncollector: {url: 'http://collector.example.vn:8470', allow_insecure_http: true}\n", file: "a.yaml")
        #expect(allowed.collector.isInsecure && allowed.collector.allowInsecureHTTP)
        for loopback in ["http://127.0.0.1:8470", "http://localhost:8470", "http://[::1]:8470"] {
            let configuration = try AgentConfiguration.decode(yaml: "site: '20242'\ncollector: {url: '\(loopback)'}\n", file: "a.yaml")
            #expect(!configuration.collector.isInsecure, "\(loopback)")
        }
    }
}
