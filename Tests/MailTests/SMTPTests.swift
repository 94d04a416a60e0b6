import Foundation
import Mail
import Testing
import TestSupport

/// Against a real SMTP server on loopback (scripts/smtp-sink.py, aiosmtpd), what arrived parsed by Python's
/// email package. Serialized: each test starts its own server, and the machine is small.
@Suite(.serialized) struct SMTPTests {
    static let user = "canhbao"
    static let password = "mật-khẩu-đúng"

    /// STARTTLS required; a login unless `password` is nil.
    static func settings(port: UInt16, certificate: URL? = nil, password: String? = SMTPTests.password) -> SMTPSettings {
        SMTPSettings(url: "smtp://127.0.0.1:\(port)", security: .starttls, username: password == nil ? nil : SMTPTests.user, password: password,
                     caFile: certificate?.path, connectTimeout: .seconds(20), timeout: .seconds(30), heloName: "collector.sansang.test")
    }

    @Test func weeklyReportArrivesOverSTARTTLSWithLoginAndParsesAsSent() async throws {
        try await Self.withSink(tls: true, login: true) { _, sink, certificate in

            let png = makePNG(width: 3, height: 2)
            let csv = "ma,ten,trang_thai\r\n20242,Phường Hải Châu,ready\r\n20257,Xã Hòa Vang,not_ready\r\n"
            var message = reportMessage(subject: "Báo cáo sẵn sàng tuần 48 — 78/93 phường, xã, đặc khu của Đà Nẵng đã đạt chuẩn")
            message.cc = [MailAddress("noc@danang.gov.vn", name: "Trực ca NOC")]
            message.html = "<p>Tuần này <b>78/93</b> điểm sẵn sàng.</p><img src=\"cid:bieu-do@sansang\" alt=\"Biểu đồ\">"
            message.inlineImages = [InlinePart(contentID: "bieu-do@sansang", contentType: "image/png", filename: "bieu-do.png", data: png)]
            message.attachments = [
                Mail.Attachment(filename: "báo-cáo-tuần-48.csv", contentType: "text/csv; charset=utf-8", data: Data(csv.utf8)),
                Mail.Attachment(filename: "bieu-do-lon.png", contentType: "image/png", data: makePNG(width: 640, height: 480)),
            ]
            try await SMTPClient(settings: Self.settings(port: sink.port, certificate: certificate)).send(message)

            let eml = try #require(sink.messages.first)
            #expect(sink.messages.count == 1)
            let envelope = try Envelope(eml)
            #expect(envelope.tls && envelope.authenticated)
            #expect(envelope.mailFrom == "noc@danang.gov.vn")
            #expect(envelope.rcptTos == ["lanhdao@danang.gov.vn", "noc@danang.gov.vn"])

            let mail = try await Inspection(eml)
            #expect(mail.subject == message.subject)
            #expect(mail.from == [["Sở Khoa học và Công nghệ Đà Nẵng", "noc@danang.gov.vn"]])
            #expect(mail.cc == [["Trực ca NOC", "noc@danang.gov.vn"]])
            #expect(mail.messageId == message.messageID)
            #expect(mail.mimeVersion == "1.0")
            #expect(mail.defects.isEmpty)
            #expect(mail.allCrlf && mail.maxLineLength <= 78 && mail.maxHeaderLineLength <= 78)
            #expect(mail.structure
                    == "multipart/mixed(multipart/related(multipart/alternative(text/plain,text/html),image/png),text/csv,image/png)")

            let text = try #require(mail.part("text/plain"))
            #expect(text.charset == "utf-8" && text.transferEncoding == "quoted-printable")
            #expect(text.text == "Tuần này 78/93 điểm sẵn sàng.\r\n")
            let html = try #require(mail.part("text/html"))
            #expect(html.charset == "utf-8" && html.transferEncoding == "quoted-printable")
            let inline = try #require(mail.part("image/png", disposition: "inline"))
            #expect(inline.transferEncoding == "base64")
            let contentID = try #require(inline.contentId)
            #expect(contentID == "<bieu-do@sansang>")
            #expect(html.text?.contains("src=\"cid:\(contentID.dropFirst().dropLast())\"") == true)
            #expect(inline.width == 3 && inline.height == 2)

            let table = try #require(mail.part("text/csv", disposition: "attachment"))
            #expect(table.filename == "báo-cáo-tuần-48.csv")
            #expect(table.transferEncoding == "base64")
            #expect(table.rows == [["ma", "ten", "trang_thai"], ["20242", "Phường Hải Châu", "ready"], ["20257", "Xã Hòa Vang", "not_ready"]])
            let chart = try #require(mail.part("image/png", disposition: "attachment"))
            #expect(chart.filename == "bieu-do-lon.png")
            #expect(chart.width == 640 && chart.height == 480)
        }
    }

    @Test func serverDownThenUpDeliversTheQueuedMessageExactlyOnceAcrossRestarts() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort(udp: false)
            let outboxDirectory = directory.appendingPathComponent("outbox")
            let settings = SMTPSettings(url: "smtp://127.0.0.1:\(port)", security: .none, connectTimeout: .seconds(20), timeout: .seconds(30))
            let retry = RetryPolicy(initial: .milliseconds(300), maximum: .seconds(1))
            let message = reportMessage(id: "alert-20242-firing-1")

            var outbox: Outbox? = try Outbox(directory: outboxDirectory)
            #expect(try await outbox!.enqueue(message, id: "alert-20242-firing-1"))
            let service = Task { [outbox] in try await OutboxService(outbox: outbox!, client: SMTPClient(settings: settings), retry: retry).run() }
            try await eventually(30, "a failed attempt while the server is down") {
                await outbox!.pending().first?.lastError?.code == .connectionFailed
            }
            #expect(await outbox!.pending().count == 1)

            try await withSMTPSink(port: port, mailbox: directory.appendingPathComponent("mailbox"),
                                   log: directory.appendingPathComponent("sink.log")) { sink in
                try await eventually(30, "the message delivered and recorded as sent") {
                    let pending = await outbox!.pending()
                    let sent = await outbox!.sent()
                    return pending.isEmpty && sent.map(\.id) == ["alert-20242-firing-1"]
                }
                #expect(sink.messages.count == 1)
                service.cancel()
                _ = await service.result
                outbox = nil

                // A new outbox over the same directory (a restart): nothing pending, nothing sent again. The first one's
                // lock goes with its last reference, which its timer task may hold a moment longer.
                var opened: Outbox?
                try await eventually(10, "the first outbox released") {
                    opened = try Outbox(directory: outboxDirectory)
                    return true
                }
                let reopened = try #require(opened)
                #expect(await reopened.pending().isEmpty)
                #expect(try await reopened.enqueue(message, id: "alert-20242-firing-1") == false)
                let again = Task { try await OutboxService(outbox: reopened, client: SMTPClient(settings: settings), retry: retry).run() }
                try await Task.sleep(for: .seconds(2))
                again.cancel()
                _ = await again.result
                #expect(sink.messages.count == 1)
                let mail = try await Inspection(try #require(sink.messages.first))
                #expect(mail.messageId == message.messageID)
            }
        }
    }

    @Test func anEnqueueWakesTheIdleServiceAtOnce() async throws {
        try await Self.withSink { directory, sink, _ in
            let outbox = try Outbox(directory: directory.appendingPathComponent("outbox"))
            let settings = SMTPSettings(url: "smtp://127.0.0.1:\(sink.port)", security: .none)
            // Nothing queued: the service waits without a deadline, so only the enqueue can start the send.
            let service = Task { try await OutboxService(outbox: outbox, client: SMTPClient(settings: settings)).run() }
            try await Task.sleep(for: .seconds(1))
            #expect(try await outbox.enqueue(reportMessage(id: "alert-2"), id: "alert-2"))
            try await eventually(20, "the message delivered") { sink.messages.count == 1 }
            service.cancel()
            _ = await service.result
            #expect(await outbox.sent().map(\.id) == ["alert-2"])
        }
    }

    @Test func sentRecordsOlderThanTheRetentionArePrunedOnOpen() async throws {
        try await Self.withSink { directory, sink, _ in
            let outboxDirectory = directory.appendingPathComponent("outbox")
            let settings = SMTPSettings(url: "smtp://127.0.0.1:\(sink.port)", security: .none)
            do {
                let outbox = try Outbox(directory: outboxDirectory)
                #expect(try await outbox.enqueue(reportMessage(id: "weekly-47"), id: "weekly-47"))
                let service = Task { try await OutboxService(outbox: outbox, client: SMTPClient(settings: settings)).run() }
                try await eventually(20, "the message recorded as sent") { await outbox.sent().count == 1 }
                service.cancel()
                _ = await service.result
            }
            var day29: Outbox?
            try await eventually(10, "the first outbox released") {
                day29 = try Outbox(directory: outboxDirectory, now: { Date().addingTimeInterval(29 * 86_400) })
                return true
            }
            #expect(await day29?.sent().map(\.id) == ["weekly-47"])
            day29 = nil
            let day31 = try Outbox(directory: outboxDirectory, now: { Date().addingTimeInterval(31 * 86_400) })
            #expect(await day31.sent().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: outboxDirectory.appendingPathComponent("sent").path).isEmpty)
            #expect(try await day31.enqueue(reportMessage(id: "weekly-47"), id: "weekly-47"))
        }
    }

    @Test func wrongPasswordIsAuthFailedAndTheMessageStaysQueuedWithThatError() async throws {
        try await Self.withSink(tls: true, login: true) { directory, sink, certificate in
            let settings = Self.settings(port: sink.port, certificate: certificate, password: "sai-mật-khẩu")
            let error = try await #require(throws: MailError.self) { try await SMTPClient(settings: settings).send(reportMessage()) }
            #expect(error.code == .authenticationFailed)
            #expect(error.code.rawValue == "smtp_auth_failed")
            #expect(error.responseCode == 535)
            #expect(error.description.contains("canhbao"))
            #expect(!error.isPermanent)

            let entry = try await Self.firstFailedAttempt(settings: settings, in: directory)
            #expect(entry.lastError?.code == .authenticationFailed)
            #expect(sink.messages.isEmpty)
        }
    }

    @Test func starttlsRequiredButNotOfferedIsTLSFailedAndTheMessageIsKept() async throws {
        try await Self.withSink { directory, sink, _ in
            let settings = Self.settings(port: sink.port)
            let error = try await #require(throws: MailError.self) { try await SMTPClient(settings: settings).send(reportMessage()) }
            #expect(error.code == .tlsFailed)
            #expect(error.code.rawValue == "smtp_tls_failed")

            let entry = try await Self.firstFailedAttempt(settings: settings, in: directory)
            #expect(entry.lastError?.code == .tlsFailed)
            #expect(sink.messages.isEmpty)
        }
    }

    @Test func opportunisticSecuritySendsInPlainWhenStartTLSIsNotOffered() async throws {
        try await Self.withSink { _, sink, _ in
            var settings = Self.settings(port: sink.port, password: nil)
            settings.security = .opportunistic
            try await SMTPClient(settings: settings).send(reportMessage())
            let eml = try #require(sink.messages.first)
            #expect(try Envelope(eml).tls == false)
        }
    }

    /// Opportunistic is not "anything goes": when STARTTLS is offered, the certificate is verified all the same,
    /// and an untrusted one fails the delivery instead of falling back to plain text.
    @Test func opportunisticStartTLSStillVerifiesTheCertificate() async throws {
        try await Self.withSink(tls: true) { _, sink, _ in
            var settings = Self.settings(port: sink.port, password: nil)
            settings.security = .opportunistic
            let error = try await #require(throws: MailError.self) { try await SMTPClient(settings: settings).send(reportMessage()) }
            #expect(error.code == .tlsFailed)
            #expect(sink.messages.isEmpty)
        }
    }

    @Test func aServerCertificateThatIsNotTrustedIsTLSFailed() async throws {
        try await Self.withSink(tls: true) { _, sink, _ in
            // No ca_file: the sink's self-signed certificate is not trusted.
            let settings = Self.settings(port: sink.port, password: nil)
            let error = try await #require(throws: MailError.self) { try await SMTPClient(settings: settings).send(reportMessage()) }
            #expect(error.code == .tlsFailed)
            #expect(sink.messages.isEmpty)
        }
    }

    /// A temporary directory and a sink on a free port: STARTTLS with a fresh certificate (passed on) when
    /// `tls`, AUTH required when `login`.
    static func withSink(tls: Bool = false, login: Bool = false,
                         _ body: (URL, SMTPSink, URL?) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let certificate = tls ? try await makeLoopbackCertificate(in: directory) : nil
            try await withSMTPSink(port: try freeLoopbackPort(udp: false), mailbox: directory.appendingPathComponent("mailbox"),
                                   log: directory.appendingPathComponent("sink.log"), tls: certificate,
                                   login: login ? (Self.user, Self.password) : nil) { sink in
                try await body(directory, sink, certificate?.certificate)
            }
        }
    }

    /// Queues a message in a new outbox in `directory`, runs the delivery service until the first attempt has
    /// failed, stops it, and returns the entry, still queued.
    static func firstFailedAttempt(settings: SMTPSettings, in directory: URL) async throws -> OutboxEntry {
        let outbox = try Outbox(directory: directory.appendingPathComponent("outbox"))
        #expect(try await outbox.enqueue(reportMessage(id: "weekly-48"), id: "weekly-48"))
        let service = Task { try await OutboxService(outbox: outbox, client: SMTPClient(settings: settings)).run() }
        try await eventually(30, "a failed attempt") { await outbox.pending().first?.attempts == 1 }
        service.cancel()
        _ = await service.result
        let pending = await outbox.pending()
        #expect(pending.map(\.id) == ["weekly-48"])
        return try #require(pending.first)
    }
}
