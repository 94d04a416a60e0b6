import ArgumentParser
import CommandLineSupport
import Foundation
import NOCClient
import Presentation
import ReadinessModel
import SansangAPI

struct AlertsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the alerts: pending and firing (or all, with the recently resolved).",
        discussion: """
            Exits 0 when nothing fires, 1 when some alert fires (muted ones count too), 2 on usage errors.

            Examples:
              sansang alerts
              sansang alerts --state firing --lang en
              sansang alerts --state all --csv > canh-bao.csv
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "active (pending and firing), pending, firing, resolved or all.")
    var state: String = "active"

    func run() async throws {
        let client = try connection.client()
        let language = connection.lang
        let body = try await request { () async throws(NOCClientError) in try await client.alerts(state: state, language: language.rawValue) }
        let t = language.pick
        let header = [t("Trạng thái", "State"), t("Mức", "Severity"), t("Quy tắc", "Rule"), t("Mã", "Code"), t("Đơn vị", "Site"),
                      t("Từ", "Since"), t("Tắt tiếng", "Muted"), t("Tóm tắt", "Summary")]
        let zone = Self.officeZone(body.officeTimeZone)
        let rows = body.items.map { alert in
            [Self.state(alert.state, language), alert.severity, alert.rule, alert.site, alert.siteName,
             Self.time(alert.firedAt ?? alert.activeSince, in: zone), alert.muted ? t("có", "yes") : "", alert.summary]
        }
        if output.json {
            try printJSON(body)
        } else if output.csv {
            print(CSVText.document(header: header, rows: rows), terminator: "")
        } else if rows.isEmpty {
            print(t("Không có cảnh báo.", "No alerts."))
        } else {
            print(TextTable(header: header, rows: rows).render(), terminator: "")
        }
        if body.items.contains(where: { $0.state == "firing" }) { throw ExitCode.failure }
    }

    static func state(_ state: String, _ language: Language) -> String {
        switch state {
        case "firing": language.pick("đang báo", "firing")
        case "pending": language.pick("chờ", "pending")
        case "resolved": language.pick("đã hết", "resolved")
        default: state
        }
    }

    /// The offices' clock as the collector says (its `office_time_zone`); Vietnam time from an older collector.
    static func officeZone(_ name: String?) -> TimeZone {
        name.flatMap(TimeZone.init(identifier:)) ?? OfficeTime.zone
    }

    /// Time on the offices' clock, to the minute.
    static func time(_ date: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}

struct SilenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence",
        abstract: "Mute alerts for a while: by site, rule or label (needs a NOC token with the admin role to add or expire).",
        subcommands: [SilenceAdd.self, SilenceList.self, SilenceExpire.self])
}

struct SilenceAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a silence and print its id.",
        discussion: """
            Give at least one of --site, --rule, --label; all given must match. The end is --duration after the \
            start (now unless --start), or --end.

            Examples:
              sansang silence add --site 20242 --duration 4h --comment "Thay switch tầng 2"
              sansang silence add --rule agent_silent --label former_district="Hải Châu" --end 2026-12-01T07:00:00+07:00 \\
                --comment "Cắt điện theo lịch"
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "A site code.")
    var site: String?

    @Option(help: "An alert rule name.")
    var rule: String?

    @Option(name: .customLong("label"), help: "A label that must match, name=value (repeatable).")
    var labels: [String] = []

    @Option(help: "Start, ISO 8601 with offset (default: now).")
    var start: String?

    @Option(help: "End, ISO 8601 with offset.")
    var end: String?

    @Option(help: "How long: 90m, 4h, 2d.")
    var duration: String?

    @Option(help: "Why (required).")
    var comment: String

    @Option(help: "Who (default: the token's user).")
    var author: String?

    func validate() throws {
        guard site != nil || rule != nil || !labels.isEmpty else { throw ValidationError("give --site, --rule or --label") }
        guard (end == nil) != (duration == nil) else { throw ValidationError("give one of --end and --duration") }
        for label in labels where !label.contains("=") { throw ValidationError("--label takes name=value, not \(label)") }
    }

    func run() async throws {
        let client = try connection.client()
        let starts = try start.map { try Self.date($0, option: "--start") }
        let ends: Date
        if let end {
            ends = try Self.date(end, option: "--end")
        } else {
            ends = (starts ?? Date()).addingTimeInterval(try Self.seconds(duration ?? ""))
        }
        var matchers: [String: String] = [:]
        for label in labels {
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            matchers[String(parts[0])] = String(parts[1])
        }
        let silenceRequest = SilenceRequest(site: site, rule: rule, labels: matchers.isEmpty ? nil : matchers, startsAt: starts,
                                            endsAt: ends, author: author, comment: comment)
        let silence = try await request { () async throws(NOCClientError) in try await client.addSilence(silenceRequest) }
        print(silence.id)
    }

    static func date(_ text: String, option: String) throws -> Date {
        guard let date = ISO8601DateFormatter().date(from: text) else {
            throw ValidationError("\(option) takes ISO 8601 with an offset, e.g. 2026-12-01T07:00:00+07:00, not \(text)")
        }
        return date
    }

    static func seconds(_ text: String) throws -> TimeInterval {
        let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value > 0 else {
            throw ValidationError("--duration takes a number with m, h or d, e.g. 4h, not \(text)")
        }
        return value * factor
    }
}

struct SilenceList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List silences not yet ended (with --expired, those ended in the last 30 days too).",
        discussion: """
            Examples:
              sansang silence list
              sansang silence list --expired --json
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Include silences ended in the last 30 days.")
    var expired = false

    func run() async throws {
        let client = try connection.client()
        let body = try await request { () async throws(NOCClientError) in try await client.silences(expired: expired) }
        let t = connection.lang.pick
        let now = Date()
        let header = ["ID", t("Khớp", "Matches"), t("Từ", "From"), t("Đến", "Until"), t("Người tạo", "Author"), t("Ghi chú", "Comment"),
                      t("Trạng thái", "Status")]
        let zone = AlertsList.officeZone(body.officeTimeZone)
        let rows = body.items.map { silence -> [String] in
            var matches: [String] = []
            if let site = silence.site { matches.append("site=\(site)") }
            if let rule = silence.rule { matches.append("alertname=\(rule)") }
            matches += silence.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let status = silence.isActive(at: now) ? t("đang hiệu lực", "active")
                : (silence.endsAt <= now ? t("đã hết", "ended") : t("chưa bắt đầu", "pending"))
            return [silence.id, matches.joined(separator: ","), AlertsList.time(silence.startsAt, in: zone), AlertsList.time(silence.endsAt, in: zone),
                    silence.author, silence.comment, status]
        }
        if output.json {
            try printJSON(body)
        } else if output.csv {
            print(CSVText.document(header: header, rows: rows), terminator: "")
        } else if rows.isEmpty {
            print(t("Không có khoảng tắt tiếng nào.", "No silences."))
        } else {
            print(TextTable(header: header, rows: rows).render(), terminator: "")
        }
    }
}

struct SilenceExpire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expire",
        abstract: "End a silence now.",
        discussion: """
            Example:
              sansang silence expire 3f9a0c1b2d4e
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The silence's id (from silence add or list).")
    var id: String

    func run() async throws {
        let client = try connection.client()
        let silence = try await request { () async throws(NOCClientError) in try await client.expireSilence(id) }
        // The answer is the silence alone (no office clock named): the end with its offset, unambiguous.
        let end = ISO8601DateFormatter().string(from: silence.endsAt)
        print(connection.lang.pick("Đã kết thúc \(silence.id) lúc \(end).", "Ended \(silence.id) at \(end)."))
    }
}
