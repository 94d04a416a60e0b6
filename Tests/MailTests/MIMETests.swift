import Foundation
import Mail
import Testing

/// MIME rendering alone: no network, no files.
struct MIMETests {
    static let subject = "Báo cáo sẵn sàng hằng tuần: 78/93 phường, xã và đặc khu của thành phố Đà Nẵng đạt chuẩn — tuần 48"
    static let date = Date(timeIntervalSince1970: 1_796_003_376)  // Mon, 30 Nov 2026 01:49:36 UTC

    static func message(html: String? = nil, images: [InlinePart] = [], attachments: [Mail.Attachment] = []) -> MailMessage {
        MailMessage(from: MailAddress("noc@danang.gov.vn", name: "Sở Khoa học và Công nghệ Đà Nẵng"),
                    to: [MailAddress("lanhdao@danang.gov.vn", name: "Lãnh đạo UBND thành phố")],
                    subject: subject, date: date, messageID: "<weekly-2026-48@danang.gov.vn>",
                    text: "Xin chào,\nTuần này 78/93 điểm đã sẵn sàng.\n", html: html, inlineImages: images, attachments: attachments)
    }

    static func rendered(_ message: MailMessage) -> String { String(decoding: MIME.render(message), as: UTF8.self) }

    static func headerLines(_ text: String) -> [String] {
        String(text[..<text.range(of: "\r\n\r\n")!.lowerBound]).components(separatedBy: "\r\n")
    }

    /// The unfolded value of the first header field `name` in `lines`.
    static func header(_ name: String, in lines: [String]) -> String? {
        guard let start = lines.firstIndex(where: { $0.lowercased().hasPrefix(name.lowercased() + ":") }) else { return nil }
        var value = String(lines[start].dropFirst(name.count + 1))
        for line in lines[(start + 1)...] {
            guard line.hasPrefix(" ") || line.hasPrefix("\t") else { break }
            value += line
        }
        return value
    }

    /// The encoded-words of a header value, each decoded on its own (so a split character would fail).
    static func decodeEncodedWords(_ value: String) throws -> (words: [String], text: String) {
        let words = value.split(separator: " ").map(String.init).filter { $0.hasPrefix("=?") }
        var text = ""
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let payload = try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
            text += try #require(String(validating: payload, as: UTF8.self), "an encoded-word splits a UTF-8 character: \(word)")
        }
        return (words, text)
    }

    @Test func vietnameseSubjectIsEncodedWordsOfAtMost75CharactersOnLinesOfAtMost78() async throws {
        let lines = Self.headerLines(Self.rendered(Self.message()))
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines.filter { $0.utf8.count > 78 })")
        let subject = try #require(Self.header("Subject", in: lines))
        let (words, text) = try Self.decodeEncodedWords(subject)
        #expect(words.count > 2)
        #expect(words.allSatisfy { $0.count <= 75 })
        #expect(text == Self.subject.precomposedStringWithCanonicalMapping)
        #expect(lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
    }

    @Test func displayNamesAreEncodedOrQuotedAndAddressesKept() async throws {
        var message = Self.message()
        message.cc = [MailAddress("noc2@danang.gov.vn", name: "NOC, ca đêm"), MailAddress("ops@danang.gov.vn", name: "Ops \"B\" team")]
        let lines = Self.headerLines(Self.rendered(message))
        let from = try #require(Self.header("From", in: lines))
        #expect(from.hasSuffix(" <noc@danang.gov.vn>"))
        #expect(try Self.decodeEncodedWords(from).text == "Sở Khoa học và Công nghệ Đà Nẵng")
        let cc = try #require(Self.header("Cc", in: lines))
        #expect(cc.contains("<noc2@danang.gov.vn>,"))
        #expect(cc.hasSuffix(" \"Ops \\\"B\\\" team\" <ops@danang.gov.vn>"))
        #expect(try Self.decodeEncodedWords(cc).text == "NOC, ca đêm")
    }

    @Test func requiredHeadersDateInRFC5322FormatMessageIDAndMIMEVersion() async throws {
        let lines = Self.headerLines(Self.rendered(Self.message()))
        #expect(lines.contains("Date: Mon, 30 Nov 2026 01:49:36 +0000"))
        #expect(lines.contains("Message-ID: <weekly-2026-48@danang.gov.vn>"))
        #expect(lines.contains("MIME-Version: 1.0"))
    }

    /// The same label (the same alert number after a database reset, the same week in two provinces) never
    /// gives the same Message-ID: 130 random bits follow it; a long label is shortened to keep the line ≤ 78.
    @Test func messageIDsAreGloballyUniqueWithARandomPart() async throws {
        let from = MailAddress("noc@danang.gov.vn")
        let ids = (0..<1000).map { _ in MailMessage.makeMessageID(from: from, unique: "alert-7") }
        #expect(Set(ids).count == 1000)
        let id = try #require(ids.first)
        #expect(id.wholeMatch(of: try Regex("^<alert-7\\.[a-z2-7]{26}@danang\\.gov\\.vn>$")) != nil, "\(id)")
        #expect(MailMessage.makeMessageID(from: from).wholeMatch(of: try Regex("^<[a-z2-7]{26}@danang\\.gov\\.vn>$")) != nil)
        let long = MailMessage.makeMessageID(from: from, unique: String(repeating: "weekly-2026-W48-vi-", count: 5))
        #expect(("Message-ID: " + long).count == 78, "\(long)")
        #expect(long.hasPrefix("<weekly-2026-W48-vi-"))
    }

    @Test func plainTextOnlyIsOneQuotedPrintableUTF8PartWithCRLFLines() async throws {
        let text = Self.rendered(Self.message())
        let lines = Self.headerLines(text)
        #expect(lines.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(lines.contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(!text.contains("multipart"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        let body = String(text[text.range(of: "\r\n\r\n")!.upperBound...])
        #expect(try Self.decodeQuotedPrintable(body) == "Xin chào,\r\nTuần này 78/93 điểm đã sẵn sàng.\r\n")
    }

    @Test func fullStructureNestsMixedRelatedAlternativeInOrder() async throws {
        let png = InlinePart(contentID: "chart@sansang", contentType: "image/png", filename: "chart.png", data: Data([1, 2, 3]))
        let csv = Mail.Attachment(filename: "sites.csv", contentType: "text/csv; charset=utf-8", data: Data("a,b\n".utf8))
        let text = Self.rendered(Self.message(html: "<img src=\"cid:chart@sansang\">", images: [png], attachments: [csv]))
        let types = text.components(separatedBy: "\r\n").filter { $0.hasPrefix("Content-Type:") }
            .map { $0.dropFirst(14).split(separator: ";")[0] }
        #expect(types == ["multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html",
                          "image/png", "text/csv"])
        #expect(text.contains("type=\"multipart/alternative\""))
        #expect(text.contains("Content-ID: <chart@sansang>"))
        #expect(text.contains("Content-Disposition: inline; filename=\"chart.png\""))
        #expect(text.contains("Content-Disposition: attachment; filename=\"sites.csv\""))
    }

    @Test func levelsThatAreNotNeededAreLeftOut() {
        let csv = Mail.Attachment(filename: "sites.csv", contentType: "text/csv", data: Data("a,b\n".utf8))
        let alternative = Self.rendered(Self.message(html: "<p>x</p>"))
        #expect(alternative.contains("Content-Type: multipart/alternative;"))
        #expect(!alternative.contains("multipart/mixed") && !alternative.contains("multipart/related"))
        let mixed = Self.rendered(Self.message(attachments: [csv]))
        #expect(mixed.contains("Content-Type: multipart/mixed;"))
        #expect(!mixed.contains("multipart/related") && !mixed.contains("multipart/alternative"))
    }

    @Test func boundariesDoNotOccurInContentThatImitatesThem() async throws {
        let plain = Self.rendered(Self.message(html: "<p>x</p>"))
        let boundaryLine = try #require(plain.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("--") }))
        let boundary = String(boundaryLine.dropFirst(2))
        var message = Self.message(html: "<p>\(boundaryLine)</p>")
        message.text = "\(boundaryLine)\n\(boundaryLine)--\n"
        let text = Self.rendered(message)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.filter { $0 == "--" + boundary }.count == 2)
        #expect(lines.filter { $0 == "--" + boundary + "--" }.count == 1)
    }

    @Test func base64LinesAreAtMost76AndQuotedPrintableLinesAtMost76() {
        let long = String(repeating: "Đường truyền 200 Mbit/s chưa đạt; ", count: 20)
        let image = InlinePart(contentID: "c@s", contentType: "image/png", filename: "c.png", data: Data((0..<3000).map { UInt8($0 % 251) }))
        let text = Self.rendered(Self.message(html: long, images: [image]))
        let body = String(text[text.range(of: "\r\n\r\n")!.upperBound...])
        #expect(body.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
    }

    @Test func textIsNormalizedToNFC() async throws {
        var message = Self.message()
        let decomposed = "Phường Hải Châu".decomposedStringWithCanonicalMapping
        message.text = decomposed
        message.subject = decomposed
        let text = Self.rendered(message)
        let body = String(text[text.range(of: "\r\n\r\n")!.upperBound...])
        let decoded = try Self.decodeQuotedPrintable(body)
        #expect(Array(decoded.utf8) == Array("Phường Hải Châu\r\n".precomposedStringWithCanonicalMapping.utf8))
        let subject = try #require(Self.header("Subject", in: Self.headerLines(text)))
        #expect(Array(try Self.decodeEncodedWords(subject).text.utf8) == Array("Phường Hải Châu".precomposedStringWithCanonicalMapping.utf8))
    }

    @Test func nonASCIIFilenameUsesRFC2231SectionsOnShortLines() {
        let name = "Báo cáo sẵn sàng tuần 48 — các phường, xã thành phố Đà Nẵng.csv"
        let text = Self.rendered(Self.message(attachments: [Mail.Attachment(filename: name, contentType: "text/csv", data: Data("x".utf8))]))
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 78 })
        let sections = lines.filter { $0.hasPrefix(" filename*") }
        #expect(sections.count > 1)
        #expect(sections[0].hasPrefix(" filename*0*=UTF-8''B%C3%A1o%20c%C3%A1o"))
        let joined = sections.map { $0.split(separator: "=", maxSplits: 1)[1].trimmingCharacters(in: CharacterSet(charactersIn: ";")) }.joined()
        #expect(joined.dropFirst("UTF-8''".count).removingPercentEncoding == name)
    }

    @Test func lineBreaksInHeaderValuesCannotInjectFields() {
        var message = Self.message()
        message.subject = "Cảnh báo\r\nBcc: attacker@example.com"
        message.headers = [(name: "X-Sansang-Alert-Group", value: "site=20242\nBcc: x@example.com")]
        let lines = Self.headerLines(Self.rendered(message))
        #expect(!lines.contains { $0.lowercased().hasPrefix("bcc:") })
        #expect(lines.contains("X-Sansang-Alert-Group: site=20242 Bcc: x@example.com"))
    }

    @Test func addressesParse() {
        #expect(MailAddress(parsing: "Sở KH&CN <noc@danang.gov.vn>") == MailAddress("noc@danang.gov.vn", name: "Sở KH&CN"))
        #expect(MailAddress(parsing: "\"NOC, ca đêm\" <noc@danang.gov.vn>")?.name == "NOC, ca đêm")
        #expect(MailAddress(parsing: "noc@danang.gov.vn") == MailAddress("noc@danang.gov.vn"))
        #expect(MailAddress(parsing: "<noc@danang.gov.vn>") == MailAddress("noc@danang.gov.vn"))
        #expect(MailAddress(parsing: "not an address") == nil)
        #expect(MailAddress(parsing: "a@b@c") == nil)
        #expect(MailAddress("noc@danang.gov.vn", name: "Sở KH&CN").description == "Sở KH&CN <noc@danang.gov.vn>")
    }

    @Test func retryDelayIsFullJitterUnderADoublingCeiling() {
        let policy = RetryPolicy(initial: .seconds(30), maximum: .seconds(3600))
        #expect(policy.delay(afterAttempts: 1, fraction: 1) == .seconds(30))
        #expect(policy.delay(afterAttempts: 3, fraction: 1) == .seconds(120))
        #expect(policy.delay(afterAttempts: 3, fraction: 0.5) == .seconds(60))
        #expect(policy.delay(afterAttempts: 3, fraction: 0) == .zero)
        #expect(policy.delay(afterAttempts: 40, fraction: 1) == .seconds(3600))
        #expect((0..<100).allSatisfy { _ in policy.delay(afterAttempts: 2) <= .seconds(60) })
    }

    /// Quoted-printable decoding for the checks (RFC 2045 §6.7), strict about escapes.
    static func decodeQuotedPrintable(_ body: String) throws -> String {
        var bytes: [UInt8] = []
        let input = Array(body.utf8)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "=") {
                if input[index + 1] == 13 && input[index + 2] == 10 { index += 3; continue }
                let hex = String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self)
                bytes.append(try #require(UInt8(hex, radix: 16)))
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return try #require(String(validating: bytes, as: UTF8.self))
    }
}
