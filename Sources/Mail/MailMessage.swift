import Foundation

/// An e-mail address with an optional display name, e.g. `Sở KH&CN <noc@danang.gov.vn>`.
/// Addresses are ASCII (no internationalised mailboxes); display names may be any text.
public struct MailAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String?
    public var address: String

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// Parses `Name <a@b.vn>`, `"Name" <a@b.vn>`, `<a@b.vn>` or `a@b.vn`; nil when the address is not plausible.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var name: String?
        var address = trimmed
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            var phrase = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            if phrase.count >= 2, phrase.hasPrefix("\""), phrase.hasSuffix("\"") {
                phrase = String(phrase.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                    .replacingOccurrences(of: "\\\\", with: "\\")
            }
            name = phrase.isEmpty ? nil : phrase
        }
        guard Self.isPlausible(address) else { return nil }
        self.init(address, name: name)
    }

    /// One `@`, a non-empty local part and domain, printable ASCII without spaces or brackets.
    static func isPlausible(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return address.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    public var description: String {
        guard let name, !name.isEmpty else { return address }
        return "\(name) <\(address)>"
    }
}

/// An image shown inside the HTML part, referenced there as `cid:<contentID>`.
public struct InlinePart: Sendable, Hashable {
    /// Without angle brackets, e.g. `chart@sansang`.
    public var contentID: String
    public var contentType: String
    public var filename: String
    public var data: Data

    public init(contentID: String, contentType: String, filename: String, data: Data) {
        self.contentID = contentID
        self.contentType = contentType
        self.filename = filename
        self.data = data
    }
}

/// A file attached to the message (e.g. the weekly site table as CSV).
public struct Attachment: Sendable, Hashable {
    public var filename: String
    public var contentType: String
    public var data: Data

    public init(filename: String, contentType: String, data: Data) {
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}

/// One e-mail: the envelope comes from `from`, `to` and `cc`; the content is rendered by `MIME.render`.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var replyTo: MailAddress?
    public var subject: String
    public var date: Date
    /// With angle brackets: `<id@host>`.
    public var messageID: String
    public var text: String
    public var html: String?
    public var inlineImages: [InlinePart]
    public var attachments: [Attachment]
    /// Extra header fields, e.g. `X-Sansang-Alert-Group`; names must be ASCII field names.
    public var headers: [(name: String, value: String)]

    public init(from: MailAddress, to: [MailAddress], cc: [MailAddress] = [], replyTo: MailAddress? = nil,
                subject: String, date: Date = Date(), messageID: String, text: String, html: String? = nil,
                inlineImages: [InlinePart] = [], attachments: [Attachment] = [],
                headers: [(name: String, value: String)] = []) {
        self.from = from
        self.to = to
        self.cc = cc
        self.replyTo = replyTo
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.text = text
        self.html = html
        self.inlineImages = inlineImages
        self.attachments = attachments
        self.headers = headers
    }

    /// The SMTP envelope's recipients: `to` then `cc`, each address once.
    public var recipients: [String] {
        var seen = Set<String>()
        return (to + cc).map(\.address).filter { seen.insert($0.lowercased()).inserted }
    }

    /// A globally unique Message-ID `<label.random@domain>` for a message sent from `from` (the domain of its
    /// address): `label` says what the message is (`alert-12`, `weekly-2026-W49-vi`) and 130 random bits (26
    /// base32 characters) make it unique, also after a database reset or between two provinces sending from one
    /// domain (RFC 5322 3.6.4). The label is shortened when needed so that the header line stays within 78
    /// characters (a Message-ID cannot be folded).
    public static func makeMessageID(from: MailAddress, unique label: String? = nil, random: String = randomToken()) -> String {
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "sansang.invalid"
        // "Message-ID: <" + label + "." + random + "@" + domain + ">" ≤ 78.
        let room = 78 - 16 - random.count - domain.count
        let kept = label.map { String($0.prefix(max(0, room))) }.flatMap { $0.isEmpty ? nil : $0 }
        return "<\(kept.map { $0 + "." } ?? "")\(random)@\(domain)>"
    }

    /// 26 characters of RFC 4648 base32 (lower case), each 5 bits from the system's secure generator: 130 bits.
    public static func randomToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<26).map { _ in alphabet[Int(generator.next(upperBound: UInt8(32)))] })
    }
}
