import ArgumentParser
import CollectorCore
import CollectorReports
import CollectorStore
import CommandLineSupport
import Foundation
import Logging
import Mail
import Presentation
import ServiceLifecycle
import WeeklyReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports from the collector's database.",
        subcommands: [ReportWeekly.self]
    )
}

struct ReportWeekly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weekly",
        abstract: "The weekly readiness summary: print it, write its files, or mail it to weekly_report.to.",
        discussion: """
            Without --week: the last complete week (Monday 00:00 to Monday 00:00 on the office_time_zone clock, Asia/Ho_Chi_Minh by default). Without --send \
            and --out the plain text is printed. --out DIR writes report.html (chart.png beside it), report.txt, \
            the site table (danh-sach-diem-2026-W49.csv; sites-2026-W49.csv with --lang en), chart.png and report.json. --send puts the mail in the outbox (mail.outbox): when the collector \
            runs, it sends it; otherwise this command tries at once, and what fails stays queued for the collector. \
            A week's mail is queued once per language, so running it twice sends nothing new.

            Examples:
              sansang-collector report weekly --config /etc/sansang/collector.yaml
              sansang-collector report weekly --week 2026-W48 --lang en --out /tmp/report
              sansang-collector report weekly --send
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "An ISO week, e.g. 2026-W48 (default: the last complete week).")
    var week: String?

    @Option(help: "vi or en (default: weekly_report.lang).")
    var lang: Language?

    @Flag(help: "Mail it to weekly_report.to.")
    var send = false

    @Option(help: "Write the report's files into this directory.")
    var out: String?

    func run() async throws {
        let configuration = try options.load()
        let inventory = try options.inventory(configuration)
        let store = try await options.store(configuration)
        let collector = Collector(store: store, inventory: inventory, reportIntervalSeconds: configuration.reportIntervalSeconds,
                                  officeTimeZone: configuration.officeTimeZone)
        let reports = WeeklyReports(collector: collector, settings: configuration.weeklyReport, timeZone: configuration.officeTimeZone)
        let language = lang ?? configuration.weeklyReport.language
        let chosen: ISOWeek
        if let week {
            guard let parsed = ISOWeek(week) else { throw ValidationError("--week takes an ISO week like 2026-W48, not \(week)") }
            chosen = parsed
        } else {
            chosen = reports.defaultWeek()
        }
        let summary = try await reports.summary(week: chosen)
        if let out {
            let directory = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (name, data) in try WeeklyReports.files(summary, language: language) {
                try data.write(to: directory.appendingPathComponent(name), options: .atomic)
            }
            print(language.pick("Đã ghi báo cáo \(chosen) vào \(directory.path)", "Wrote the \(chosen) report to \(directory.path)"))
        }
        if send {
            try await mail(summary, language: language, configuration: configuration, store: store)
        }
        if out == nil, !send {
            print(WeeklyReportRenderer.text(summary, language: language), terminator: "")
        }
    }

    /// Several collectors on one PostgreSQL database each run the weekly timer: the week's mail is claimed in the
    /// shared database first, so that one of them sends it (a claim is given back when the mail could not be queued).
    private func mail(_ summary: WeeklySummary, language: Language, configuration: CollectorConfiguration,
                      store: any ReadinessStore) async throws {
        guard let mail = configuration.mail else { throw ConfigurationError("\(options.config): --send needs a mail: section") }
        let recipients = configuration.weeklyReport.to.compactMap { MailAddress(parsing: $0) }
        guard !recipients.isEmpty else { throw ConfigurationError("\(options.config): --send needs weekly_report.to") }
        let (id, message) = try WeeklyReports.mail(summary, language: language, from: mail.from, to: recipients)
        let t = language.pick
        guard try await store.claimMail(id: id, at: Date()) else {
            print(t("Thư \(id) đã được một collector khác hoặc lần chạy trước gửi đi: không gửi lại.",
                    "The mail \(id) was sent by another collector or an earlier run: not sent again."))
            return
        }
        do {
            try await queue(message, id: id, recipients: recipients, mail: mail, language: language)
        } catch {
            try? await store.releaseMailClaim(id: id)
            throw error
        }
    }

    private func queue(_ message: MailMessage, id: String, recipients: [MailAddress], mail: MailSettings,
                       language: Language) async throws {
        let t = language.pick
        let outbox: Outbox
        do {
            outbox = try Outbox(directory: URL(fileURLWithPath: mail.outbox))
        } catch {
            // The running collector owns the outbox: hand the mail to it.
            try Outbox.drop(message, id: id, into: URL(fileURLWithPath: mail.outbox))
            print(t("Đã chuyển thư \(id) cho collector đang chạy (hộp thư đi \(mail.outbox)).",
                    "Handed the mail \(id) to the running collector (outbox \(mail.outbox))."))
            return
        }
        guard try await outbox.enqueue(message, id: id) else {
            print(t("Thư \(id) đã có trong hộp thư đi hoặc đã gửi: không gửi lại.", "The mail \(id) was queued or sent before: not sent again."))
            return
        }
        // Nobody else delivers now: try at once, for as long as one SMTP transaction may take.
        var logger = Logger(label: "sansang.mail")
        logger.logLevel = .warning
        let service = OutboxService(outbox: outbox, client: SMTPClient(settings: mail.smtp), logger: logger)
        let delivery = Task { try await service.run() }
        let deadline = ContinuousClock.now + mail.smtp.connectTimeout + mail.smtp.timeout
        var entry = await outbox.pending().first { $0.id == id }
        while entry != nil, entry?.attempts == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            entry = await outbox.pending().first { $0.id == id }
        }
        delivery.cancel()
        _ = try? await delivery.value
        if let entry {
            printError(t("Chưa gửi được thư \(id): \(entry.lastError.map(\.description) ?? "hết thời gian"); thư được giữ trong hộp thư đi, collector sẽ gửi lại.",
                         "The mail \(id) was not sent: \(entry.lastError.map(\.description) ?? "timed out"); it stays in the outbox and the collector retries."))
            throw ExitCode.failure
        }
        print(t("Đã gửi thư \(id) tới \(recipients.map(\.address).joined(separator: ", ")).",
                "Sent the mail \(id) to \(recipients.map(\.address).joined(separator: ", "))."))
    }
}
