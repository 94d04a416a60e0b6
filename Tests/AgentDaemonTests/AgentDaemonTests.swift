import Foundation
import ReadinessModel
import SansangAPI
import SystemSupport
import Testing
import YAMLConfig
@testable import AgentDaemon

@Suite struct ConfigurationTests {
    @Test func fullExampleDecodes() async throws {
        let yaml = """
            site: "20242"
            collector:
              url: https://collector.example.vn:8443
              token_file: /etc/sansang/agent.token
              ca_file: /etc/sansang/collector-ca.pem
              timeout_s: 15
            uplink: eno1
            state_directory: /var/lib/sansang-agent
            spool:
              max_bytes: 33554432
              max_age_hours: 48
            send:
              batch_size: 20
              backoff_initial_s: 2
              backoff_max_s: 600
            switch:
              address: udp:198.18.0.1:161
              version: v3
              user: sansang
              auth_protocol: sha256
              auth_passphrase: "auth-secret-1"
              privacy_protocol: aes256
              privacy_passphrase: "priv-secret-1"
              timeout_ms: 800
              retries: 2
              port_name: Gi1/0/24
            """
        let configuration = try AgentConfiguration.decode(yaml: yaml, file: "agent.yaml")
        #expect(configuration.site == "20242")
        #expect(configuration.collector.url.absoluteString == "https://collector.example.vn:8443")
        #expect(configuration.collector.caFile == "/etc/sansang/collector-ca.pem")
        #expect(configuration.collector.timeout == .seconds(15))
        #expect(configuration.uplink == "eno1")
        #expect(configuration.spool.maxBytes == 32 << 20)
        #expect(configuration.spool.maxAge == 48 * 3600)
        #expect(configuration.send.batchSize == 20)
        #expect(configuration.send.backoffMax == .seconds(600))
        #expect(configuration.spoolDirectory.path == "/var/lib/sansang-agent/spool")
        let upstream = try #require(configuration.upstreamSwitch)
        #expect(upstream.snmp.peer == "udp:198.18.0.1:161")
        #expect(upstream.snmp.timeout == .milliseconds(800))
        #expect(upstream.port.ifName == "Gi1/0/24")
        guard case .v3(let security) = upstream.snmp.version else { Issue.record("not v3"); return }
        #expect(security.authProtocol == .sha256)
        #expect(security.privacyProtocol == .aes256)
        #expect(security.level == .authPriv)
    }

    @Test func defaults() async throws {
        let configuration = try AgentConfiguration.decode(yaml: "site: '20242'\ncollector:\n  url: http://127.0.0.1:8080\n", file: "a.yaml")
        #expect(configuration.collector.tokenFile == "/etc/sansang/agent.token")
        #expect(configuration.uplink == "auto")
        #expect(configuration.stateDirectory.path == "/var/lib/sansang-agent")
        #expect(configuration.spool == .init(maxBytes: 64 << 20, maxAge: 72 * 3600))
        #expect(configuration.send.batchSize == 50)
        #expect(configuration.send.backoffInitial == .seconds(1))
        #expect(configuration.send.backoffMax == .seconds(300))
        #expect(configuration.upstreamSwitch == nil)
        #expect(configuration.reportIntervalOverride == nil)
        #expect(configuration.checks.retryInterval == nil, "a failed check is retried after the plan's report interval")
    }

    @Test func checksRetryIntervalDecodesAndIsBounded() throws {
        let base = "site: '20242'\ncollector:\n  url: http://127.0.0.1:8080\nchecks:\n"
        let configuration = try AgentConfiguration.decode(yaml: base + "  service_interval_s: 300\n  retry_interval_s: 20\n", file: "a.yaml")
        #expect(configuration.checks.serviceInterval == .seconds(300))
        #expect(configuration.checks.retryInterval == .seconds(20))
        #expect(throws: (any Error).self) { try AgentConfiguration.decode(yaml: base + "  retry_interval_s: 0\n", file: "a.yaml") }
    }

    /// A failure is checked once more after the retry interval; a failed retry, or a success, waits the interval.
    @Test func aFailedCheckIsRetriedOnceSoonerThanItsInterval() {
        let (interval, retry) = (Duration.seconds(120), Duration.seconds(30))
        #expect(CheckCadence.next(ok: true, afterRetry: false, interval: interval, retry: retry) == (interval, false))
        #expect(CheckCadence.next(ok: false, afterRetry: false, interval: interval, retry: retry) == (retry, true))
        #expect(CheckCadence.next(ok: false, afterRetry: true, interval: interval, retry: retry) == (interval, false))
        #expect(CheckCadence.next(ok: true, afterRetry: true, interval: interval, retry: retry) == (interval, false))
        // Never later than the interval itself.
        #expect(CheckCadence.next(ok: false, afterRetry: false, interval: .seconds(10), retry: retry) == (.seconds(10), true))
    }

    @Test func errorsNameFileLineColumnAndField() {
        let yaml = """
            site: "20242"
            collector:
              url: ftp://collector
              timeout: 5
            spool:
              max_age_hours: -1
            send:
              batch_size: many
            switch:
              address: udp:198.18.0.1:161
              user: sansang
              auth_protocol: sha3
              auth_passphrase: short
              privacy_passphrase: "long enough"
            """
        do {
            _ = try AgentConfiguration.decode(yaml: yaml, file: "/etc/sansang/agent.yaml")
            Issue.record("accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines == [
                "/etc/sansang/agent.yaml:3:8: collector.url: \"ftp://collector\" is not an http:// or https:// URL",
                "/etc/sansang/agent.yaml:4:3: collector.timeout: unknown key \"timeout\" (did you mean \"timeout_s\"?)",
                "/etc/sansang/agent.yaml:6:18: spool.max_age_hours: -1 is out of range 0.01…8760.0",
                "/etc/sansang/agent.yaml:8:15: send.batch_size: expected an integer, found \"many\"",
                "/etc/sansang/agent.yaml:12:18: switch.auth_protocol: \"sha3\" is not one of md5, sha, sha224, sha256, sha384, sha512 (did you mean \"sha\"?)",
                "/etc/sansang/agent.yaml:13:20: switch.auth_passphrase: must be at least 8 characters (RFC 3414)",
            ], "\(lines.joined(separator: "\n"))")
        }
    }

    @Test func notificationTargetsDecodeAndTheirErrorsNameTheirPlace() async throws {
        let head = "site: '20242'\ncollector: {url: 'http://127.0.0.1:8080'}\n"
        let configuration = try AgentConfiguration.decode(yaml: head + """
            notifications:
              heartbeat_s: 60
              expire_s: 600
              oid_root: 1.3.6.1.4.1.99999.1
              targets:
                - {address: "udp:198.18.0.2:162", user: sansang-20242, auth_protocol: sha256,
                   auth_passphrase: "auth-secret-1", privacy_passphrase: "priv-secret-1"}
                - {address: "udp:198.18.0.50:162", kind: trap, version: v2c, community: noc}
            """, file: "a.yaml")
        let notifications = try #require(configuration.notifications)
        #expect(notifications.heartbeat == .seconds(60))
        #expect(notifications.delivery.expireAfter == .seconds(600))
        #expect(notifications.oidRoot.description == "1.3.6.1.4.1.99999.1")
        #expect(notifications.targets.map(\.session.peer) == ["udp:198.18.0.2:162", "udp:198.18.0.50:162"])
        #expect(notifications.targets.map(\.kind) == [.inform, .trap])
        guard case .v3(let security) = notifications.targets[0].session.version else { Issue.record("not v3"); return }
        #expect(security.user == "sansang-20242" && security.authProtocol == .sha256 && security.level == .authPriv)

        do {
            _ = try AgentConfiguration.decode(yaml: head + """
                notifications:
                  targets:
                    - {address: "udp:198.18.0.2:162", kind: informm, user: u, auth_passphrase: short, privacy_passphrase: "priv-secret-1"}
                    - {address: "udp:198.18.0.50:162", version: v2c}
                  oid_root: 1.3.x
                """, file: "a.yaml")
            Issue.record("accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("a.yaml:5:45: notifications.targets[0].kind:") && $0.contains("inform") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("a.yaml:5:80: notifications.targets[0].auth_passphrase: must be at least 8") }, "\(lines)")
            #expect(lines.contains { $0.contains("notifications.targets[1].community: missing required key") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("a.yaml:7:13: notifications.oid_root:") }, "\(lines)")
        }
    }

    @Test func missingRequiredKeys() {
        #expect(throws: ConfigErrors.self) { try AgentConfiguration.decode(yaml: "uplink: eno1\n", file: "a.yaml") }
        do {
            _ = try AgentConfiguration.decode(yaml: "uplink: eno1\n", file: "a.yaml")
        } catch {
            #expect(Set(error.errors.map(\.field)) == ["site", "collector"])
            #expect(error.errors.allSatisfy { $0.code == .missingKey })
        }
    }
}

@Suite struct SendPolicyTests {
    @Test func backoffIsExponentialWithFullJitterAndACeiling() {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(300))
        var ceilings: [Duration] = []
        for _ in 0..<12 {
            ceilings.append(backoff.ceiling)
            #expect(backoff.next(fraction: 1) == ceilings.last)
        }
        #expect(Array(ceilings.prefix(10)) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300].map { Duration.seconds($0) })
        #expect(ceilings.last == .seconds(300))
        #expect(backoff.next(fraction: 0) == .zero)
        #expect(backoff.next(fraction: 0.5) == .seconds(150))
        backoff.reset()
        #expect(backoff.ceiling == .seconds(1))
    }

    let sent = [ReportKey(bootId: "b", seq: 1), ReportKey(bootId: "b", seq: 2)]

    func body(_ value: some Encodable) -> Data { try! JSONEncoder().encode(value) }

    @Test func acknowledgementRemovesStoredAndDuplicatesOnly() {
        let ack = IngestAcknowledgement(stored: [sent[0], ReportKey(bootId: "other", seq: 9)], duplicates: [sent[1]])
        #expect(BatchDisposition.classify(status: 202, body: body(ack), sent: sent) == .acknowledged(Set(sent)))
        let partial = IngestAcknowledgement(stored: [sent[1]], duplicates: [])
        #expect(BatchDisposition.classify(status: 202, body: body(partial), sent: sent) == .acknowledged([sent[1]]))
        guard case .retry = BatchDisposition.classify(status: 202, body: body(IngestAcknowledgement(stored: [], duplicates: [])), sent: sent) else {
            Issue.record("an empty acknowledgement must not remove anything"); return
        }
        // A conflict (the id stored with other content) is acknowledged too: it would never be stored.
        let conflict = IngestAcknowledgement(stored: [sent[0]], duplicates: [], conflicts: [sent[1]])
        #expect(BatchDisposition.classify(status: 202, body: body(conflict), sent: sent) == .acknowledged(Set(sent)))
        // An older collector's answer has no conflicts key.
        let old = Data(#"{"stored":[{"boot_id":"b","seq":1}],"duplicates":[]}"#.utf8)
        #expect(BatchDisposition.classify(status: 202, body: old, sent: sent) == .acknowledged([sent[0]]))
        guard case .retry = BatchDisposition.classify(status: 202, body: Data("ok".utf8), sent: sent) else {
            Issue.record("an unreadable acknowledgement must not remove anything"); return
        }
    }

    @Test func permanentRefusalsAreRejectedOthersRetried() {
        func outcome(_ status: Int, _ code: APIErrorCode) -> BatchDisposition {
            BatchDisposition.classify(status: status, body: body(APIErrorBody(code: code.rawValue, message: "m")), sent: sent)
        }
        #expect(outcome(400, .invalidReport) == .rejected(code: "invalid_report", message: "m"))
        #expect(outcome(400, .unsupportedFormat) == .rejected(code: "unsupported_format_version", message: "m"))
        #expect(outcome(403, .siteMismatch) == .rejected(code: "site_mismatch", message: "m"))
        #expect(outcome(413, .bodyTooLarge) == .rejected(code: "body_too_large", message: "m"))
        for (status, code) in [(401, APIErrorCode.unauthenticated), (401, .tokenRevoked), (403, .forbidden),
                               (429, .rateLimited), (503, .unavailable), (500, .internalError), (409, .unknownSite)] {
            guard case .retry(let reason) = outcome(status, code) else {
                Issue.record("HTTP \(status) \(code) must be retried"); continue
            }
            #expect(reason.contains("\(status)"))
        }
        guard case .retry = BatchDisposition.classify(status: 502, body: Data("<html>".utf8), sent: sent) else {
            Issue.record("a proxy error must be retried"); return
        }
    }
}
