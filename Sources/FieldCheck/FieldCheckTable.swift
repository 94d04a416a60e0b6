import AgentProbes
import Presentation
import ReadinessModel
import ServiceChecks

/// The field technician's view of a `FieldCheckResult`: short tables, the verdict, the reasons.
public struct FieldCheckTable: Sendable {
    public let language: Language

    public init(language: Language) {
        self.language = language
    }

    public func render(_ result: FieldCheckResult) -> String {
        let t = language.pick
        var out: [String] = []
        let siteName = result.site.code == FieldCheck.Configuration().site.code ? t("máy này", "this host") : result.site.name
        out.append(t("Kiểm tra tại chỗ", "Field check") + " — \(siteName) (\(result.site.code)), "
            + t("hồ sơ", "profile") + " \(result.profile.name)")
        out.append(t("Giao diện đường lên", "Uplink interface") + ": \(result.uplink)")
        out.append("")

        out.append(t("ĐƯỜNG TRUYỀN", "LINKS"))
        var links = TextTable(header: [t("Vai trò", "Role"), t("Mục tiêu", "Target")]
            + SpeedSource.allCases.map { $0.rawValue.uppercased() } + [t("Thông lượng", "Throughput"), t("Kết quả", "Result")])
        for link in result.profile.links {
            let report = result.report.link(link.role)
            var row = [link.role.rawValue, Self.speed(link.targetMbps)]
            for source in SpeedSource.allCases {
                row.append(report?.speed.first { $0.source == source }.map(reading) ?? "—")
            }
            row.append(link.role.judgedBy == .throughput
                       ? (report?.throughput.map(throughput) ?? t("chưa cấu hình", "not configured")) : "—")
            row.append(outcome(subject: link.role.rawValue, in: result.verdict))
            links.rows.append(row)
        }
        out += links.lines()
        out.append("")
        for link in result.profile.links where link.role.judgedBy == .speedEvidence {
            guard let report = result.report.link(link.role) else { continue }
            out += evidence(report, target: link.targetMbps)
            out.append("")
        }

        if !result.services.isEmpty {
            out += services(result)
            out.append("")
        }
        let notRunServices = result.notConfigured.filter { $0.hasPrefix("service:") }.map { String($0.dropFirst("service:".count)) }
        if !notRunServices.isEmpty {
            out.append(t("DỊCH VỤ", "SERVICES") + " (\(notRunServices.count)): "
                + t("không chạy (--skip-services)", "not run (--skip-services)") + ":")
            out.append("  " + notRunServices.joined(separator: ", "))
            out.append("")
        }

        out.append(t("GIAO DIỆN MẠNG", "NETWORK INTERFACES"))
        var interfaces = TextTable(header: [t("Tên", "Name"), t("Tốc độ", "Speed"), t("Song công", "Duplex"),
                                            t("Tín hiệu", "Carrier"), t("Trạng thái", "State"), "MTU", "Driver",
                                            t("Lỗi rx/tx", "Errors rx/tx")])
        for nic in result.interfaces {
            interfaces.rows.append([
                nic.interface + (nic.interface == result.uplink ? " *" : ""),
                nic.speedMbps.map(Self.speed) ?? t("không rõ", "unknown"),
                nic.duplex ?? "—",
                nic.carrier.map { $0 ? t("có", "yes") : t("không", "no") } ?? "—",
                nic.operState,
                nic.mtu.map(String.init) ?? "—",
                nic.driver ?? "—",
                "\(nic.counters.rxErrors.map(String.init) ?? "—")/\(nic.counters.txErrors.map(String.init) ?? "—")",
            ])
        }
        out += interfaces.lines()
        out.append("  * " + t("giao diện đường lên", "uplink interface"))
        out.append("")

        out.append(t("KẾT LUẬN", "VERDICT") + ": " + verdictName(result.verdict?.state)
            + " — " + t("mã thoát", "exit code") + " \(result.exitCode)")
        // Checks this build does not run are summed up in one line rather than one NO_DATA each.
        let notRun = Set(result.notConfigured.map { $0.split(separator: ":").last.map(String.init) ?? $0 })
        let reasons = result.verdict?.reasons ?? []
        for reason in reasons where !(reason.code == .noData && notRun.contains(reason.subject ?? "")) {
            out.append("  \(reason): \(wording.phrase(reason)) — \(reason.evidence)")
        }
        let skipped = reasons.count { $0.code == .noData && notRun.contains($0.subject ?? "") }
        if skipped > 0 {
            out.append("  NO_DATA ×\(skipped): " + t("các kiểm tra chưa cấu hình hoặc không chạy (xem trên)",
                                                      "checks not configured or not run (see above)"))
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// One row per service check: kind, target, result (ok or the machine reason), total and per-phase times, facts.
    private func services(_ result: FieldCheckResult) -> [String] {
        let t = language.pick
        var table = TextTable(header: [t("Dịch vụ", "Service"), t("Loại", "Kind"), t("Đích", "Target"), t("Kết quả", "Result"),
                                       t("Tổng", "Total"), t("Các pha (ms)", "Phases (ms)"), t("Chi tiết", "Details")])
        for outcome in result.services {
            let r = outcome.result
            let check = result.profile.services.first { $0.name == r.name }
            let target = check.map { c in c.host + (c.port.map { ":\($0)" } ?? "") + (c.path ?? "") } ?? "—"
            let phases = ["resolve", "connect", "tls", "first_byte", "transfer", "exchange", "echo"].compactMap { name in
                r.phases[name].map { "\(name) \(Self.milliseconds($0))" }
            }.joined(separator: ", ")
            var details: [String] = []
            if let days = r.certificateDaysLeft { details.append(t("chứng thư còn \(days) ngày", "cert \(days) days left")) }
            if let loss = r.lossPercent { details.append(t("mất \(Self.milliseconds(loss)) %", "loss \(Self.milliseconds(loss)) %")) }
            for key in ["status", "rcode", "answers", "tls_version", "rtt_avg_ms", "offset_ms", "stratum", "error"] {
                if let value = outcome.facts[key] { details.append("\(key)=\(value)") }
            }
            table.rows.append([
                r.name, r.kind.rawValue, target,
                r.ok ? t("đạt", "ok") : (r.reason ?? t("lỗi", "failed")),
                r.totalMilliseconds.map { Self.milliseconds($0) + " ms" } ?? "—",
                phases.isEmpty ? "—" : phases,
                details.joined(separator: " "),
            ])
        }
        return [t("DỊCH VỤ", "SERVICES") + " (\(result.services.count))"] + table.lines()
    }

    /// "12.3", "850", "1 234": a short millisecond figure.
    static func milliseconds(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    /// Each source of a link's speed evidence with its details, which reading was trusted and why, and traffic.
    private func evidence(_ report: LinkReport, target: Int) -> [String] {
        let t = language.pick
        var out = [t("BẰNG CHỨNG TỐC ĐỘ", "SPEED EVIDENCE") + " (\(report.role.rawValue), " + t("mục tiêu", "target") + " \(Self.speed(target)))"]
        var table = TextTable(header: [t("Nguồn", "Source"), t("Tốc độ", "Speed"), t("Chi tiết", "Details")])
        for reading in report.speed {
            table.rows.append([Self.sourceName(reading.source, language), self.reading(reading), details(reading)])
        }
        out += table.lines()
        let known = report.speed.compactMap { r in r.speedMbps.map { (r.source, $0) } }
        if let lowest = known.min(by: { $0.1 < $1.1 }) {
            let agree = Set(known.map(\.1)).count == 1
            let why = known.count == 1 ? t("nguồn duy nhất đọc được", "the only source that could be read")
                : agree ? t("các nguồn khớp nhau", "the sources agree")
                : t("các nguồn không khớp: tin giá trị thấp nhất, vì lưu lượng không đi nhanh hơn điểm chậm nhất",
                    "the sources disagree: the lowest is trusted, as traffic goes no faster than the slowest point")
            out.append("  " + t("Tin cậy", "Trusted") + ": \(Self.sourceName(lowest.0, language)) \(Self.speed(lowest.1)) — \(why)")
        }
        if let traffic = report.traffic {
            out.append("  " + t("Lưu lượng", "Traffic") + " (\(traffic.interface), \(traffic.windowSeconds) s): " + Self.traffic(traffic, language))
        }
        return out
    }

    public static func sourceName(_ source: SpeedSource, _ language: Language) -> String {
        switch source {
        case .nic: language.pick("NIC máy chủ", "host NIC")
        case .lldp: language.pick("LLDP (cổng switch)", "LLDP (switch port)")
        case .snmp: language.pick("SNMP (cổng switch)", "SNMP (switch port)")
        }
    }

    /// "rx 1.2 Mbit/s (đỉnh 3.4), tx …; rơi 0" — or the error.
    public static func traffic(_ traffic: TrafficSummary, _ language: Language) -> String {
        guard let rx = traffic.rx, let tx = traffic.tx else { return language.pick("không rõ", "unknown") + ": \(traffic.error ?? "")" }
        func rate(_ bps: Double) -> String {
            bps >= 1e9 ? String(format: "%.2f Gbit/s", bps / 1e9) : bps >= 1e6 ? String(format: "%.1f Mbit/s", bps / 1e6)
                : String(format: "%.0f kbit/s", bps / 1e3)
        }
        let peak = language.pick("đỉnh", "peak")
        let drops = (traffic.droppedByKernel ?? 0) + (traffic.droppedByInterface ?? 0) + (traffic.droppedByMeter ?? 0)
        return "rx \(rate(rx.meanBitsPerSecond)) (\(peak) \(rate(rx.peakBitsPerSecond)), \(Int(rx.meanPacketsPerSecond.rounded())) pkt/s), "
            + "tx \(rate(tx.meanBitsPerSecond)) (\(peak) \(rate(tx.peakBitsPerSecond)), \(Int(tx.meanPacketsPerSecond.rounded())) pkt/s); "
            + language.pick("gói bị rơi", "dropped") + " \(drops)"
    }

    /// The facts a technician looks at first, per source, or the error of an unknown reading.
    private func details(_ reading: SpeedReading) -> String {
        let keys: [String] = switch reading.source {
        case .nic: ["interface", "duplex", "carrier", "operstate", "driver"]
        case .lldp: ["system_name", "port_id", "port_description", "mau_type", "management_address"]
        case .snmp: ["switch", "port", "matched_by", "oper_status", "in_errors", "out_errors", "in_utilisation_percent", "out_utilisation_percent", "notes"]
        }
        let facts = keys.compactMap { key in reading.facts[key].map { "\(key)=\($0)" } }.joined(separator: " ")
        guard let error = reading.error else { return facts }
        return facts.isEmpty ? error : "\(error); \(facts)"
    }

    private func reading(_ reading: SpeedReading) -> String {
        if let speed = reading.speedMbps { return Self.speed(speed) }
        return reading.error == "not configured" ? language.pick("chưa cấu hình", "not configured") : language.pick("không rõ", "unknown")
    }

    private func throughput(_ measurement: ThroughputMeasurement) -> String {
        if measurement.error != nil { return language.pick("lỗi", "error") }
        return ThroughputDirection.allCases.compactMap { direction in
            measurement.mbps[direction].map { "\(direction == .upload ? "↑" : "↓")\(Int($0.rounded()))" }
        }.joined(separator: " ") + " Mbit/s"
    }

    private var wording: ReasonWording { ReasonWording(language: language) }

    /// The outcome for one link or service: met, or its reason codes.
    private func outcome(subject: String, in verdict: SiteVerdict?) -> String {
        let reasons = verdict?.reasons.filter { $0.subject == subject } ?? []
        guard !reasons.isEmpty else { return language.pick("đạt", "met") }
        return reasons.map(\.code.rawValue).joined(separator: ", ")
    }

    public func verdictName(_ state: VerdictState?) -> String {
        switch state {
        case .ready: language.pick("SẴN SÀNG (OK)", "READY (OK)")
        case .degraded: language.pick("SUY GIẢM (WARNING)", "DEGRADED (WARNING)")
        case .notReady: language.pick("CHƯA SẴN SÀNG (CRITICAL)", "NOT READY (CRITICAL)")
        case .unknown: language.pick("KHÔNG RÕ (UNKNOWN)", "UNKNOWN")
        case nil: language.pick("KHÔNG ĐÁNH GIÁ (không có trụ sở)", "NOT EVALUATED (no office)")
        }
    }

    /// "10 Gbit/s", "2.5 Gbit/s", "200 Mbit/s".
    static func speed(_ mbps: Int) -> String {
        guard mbps >= 1000 else { return "\(mbps) Mbit/s" }
        let gbps = Double(mbps) / 1000
        return gbps == gbps.rounded() ? "\(Int(gbps)) Gbit/s" : "\(gbps) Gbit/s"
    }
}
