import Foundation

/// Pieces of a collector.yaml that several end-to-end suites write the same way.
public enum CollectorFixtures {
    /// The `mail:` block (docs/email.md) of a collector sending to an SMTP sink on 127.0.0.1:`smtpPort`, from column 0:
    /// plain SMTP (`security: none`) without `caFile`, STARTTLS checked against `caFile` with it; AUTH with
    /// `login` (user and password file); `extra` lines (e.g. `timeout_s: 10`) added as they are.
    public static func mail(smtpPort: UInt16, from: String, outbox: URL, login: (user: String, passwordFile: URL)? = nil,
                            caFile: URL? = nil, extra: [String] = []) -> String {
        var lines = ["mail:", "  url: smtp://127.0.0.1:\(smtpPort)"]
        if let login { lines += ["  username: \(login.user)", "  password_file: \(login.passwordFile.path)"] }
        lines.append(caFile.map { "  ca_file: \($0.path)" } ?? "  security: none")
        lines += extra.map { "  " + $0 }
        lines += ["  from: \"\(from)\"", "  outbox: \(outbox.path)"]
        return lines.joined(separator: "\n")
    }

    /// An alerts file (docs/alerts.md) with one rule, `service_down` (critical when a required service is down,
    /// the summary "{{site_name}}: {{reasons}}" in both languages), routed to `routeTo` grouped by `groupBy` after
    /// one second; `receivers` is the YAML list of receivers, each line starting with "  - ".
    public static func serviceDownAlerts(routeTo: String, groupBy: [String], receivers: String) -> String {
        """
        rules:
          - name: service_down
            when: {reason: SERVICE_DOWN}
            severity: critical
            summary:
              vi: "{{site_name}}: {{reasons}}"
              en: "{{site_name}}: {{reasons}}"
        routes:
          - receivers: [\(routeTo)]
            group_by: [\(groupBy.joined(separator: ", "))]
            group_wait: 1s
        receivers:
        \(receivers)
        """
    }
}
