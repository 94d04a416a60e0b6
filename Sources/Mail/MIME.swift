import Foundation

/// Renders a `MailMessage` as an RFC 5322 / MIME message: CRLF line endings, non-ASCII header text as
/// RFC 2047 encoded-words, text parts quoted-printable UTF-8 (NFC), binary parts base64. Pure: no I/O.
///
/// Structure, leaving out the levels that are not needed (plain text alone is a single part):
/// multipart/mixed [ multipart/related [ multipart/alternative [ text/plain, text/html ], inline images… ],
/// attachments… ].
public enum MIME {
    public static func render(_ message: MailMessage) -> Data {
        var head = [
            HeaderField("Date", date: message.date),
            HeaderField("From", addresses: [message.from]),
            HeaderField("To", addresses: message.to),
        ]
        if !message.cc.isEmpty { head.append(HeaderField("Cc", addresses: message.cc)) }
        if let replyTo = message.replyTo { head.append(HeaderField("Reply-To", addresses: [replyTo])) }
        head.append(HeaderField("Subject", text: message.subject))
        head.append(HeaderField("Message-ID", tokens: [clean(message.messageID)]))
        for (name, value) in message.headers { head.append(HeaderField(clean(name), text: value)) }
        head.append(HeaderField("MIME-Version", tokens: ["1.0"]))
        let boundaryBase = "=_sansang_" + hex(fnv1a(message.messageID))
        let rendered = body(message).rendered(boundaryBase: boundaryBase, depth: 0)
        return Data((head.map(\.folded).joined() + rendered).utf8)
    }

    /// The part tree of a message, from its content.
    static func body(_ message: MailMessage) -> Part {
        var content = Part.leaf(textPart(message.text, subtype: "plain"))
        if let html = message.html {
            content = .multipart("alternative", [content, .leaf(textPart(html, subtype: "html"))])
        }
        if !message.inlineImages.isEmpty {
            let images = message.inlineImages.map { image in
                Part.leaf(binaryPart(image.data, contentType: image.contentType, disposition: "inline",
                                     filename: image.filename, contentID: image.contentID))
            }
            content = .multipart("related", [content] + images)
        }
        if !message.attachments.isEmpty {
            let files = message.attachments.map { file in
                Part.leaf(binaryPart(file.data, contentType: file.contentType, disposition: "attachment", filename: file.filename))
            }
            content = .multipart("mixed", [content] + files)
        }
        return content
    }

    /// A leaf's header fields and its encoded body (CRLF lines).
    struct Leaf {
        var fields: [HeaderField]
        var body: String
    }

    indirect enum Part {
        case leaf(Leaf)
        case multipart(String, [Part])

        var contentType: String {
            switch self {
            case .leaf(let leaf): leaf.fields[0].tokens[0].trimmingCharacters(in: CharacterSet(charactersIn: ";"))
            case .multipart(let subtype, _): "multipart/\(subtype)"
            }
        }

        /// Boundaries differ by nesting depth; none can occur in the content, since quoted-printable never
        /// writes `=_` and base64 has no `_`.
        func rendered(boundaryBase: String, depth: Int) -> String {
            switch self {
            case .leaf(let leaf):
                return leaf.fields.map(\.folded).joined() + "\r\n" + leaf.body
            case .multipart(let subtype, let parts):
                let boundary = "\(boundaryBase)_\(depth)"
                var typeTokens = ["multipart/\(subtype);", "boundary=\"\(boundary)\""]
                if subtype == "related" {
                    // RFC 2387: the type of the root part is required.
                    typeTokens[1] += ";"
                    typeTokens.append("type=\"\(parts[0].contentType)\"")
                }
                var out = HeaderField("Content-Type", tokens: typeTokens).folded + "\r\n"
                out += "This is a multi-part message in MIME format.\r\n"
                for part in parts {
                    out += "\r\n--\(boundary)\r\n" + part.rendered(boundaryBase: boundaryBase, depth: depth + 1)
                }
                return out + "\r\n--\(boundary)--\r\n"
            }
        }
    }

    static func textPart(_ text: String, subtype: String) -> Leaf {
        Leaf(fields: [HeaderField("Content-Type", tokens: ["text/\(subtype);", "charset=utf-8"]),
                      HeaderField("Content-Transfer-Encoding", tokens: ["quoted-printable"])],
             body: quotedPrintable(text.precomposedStringWithCanonicalMapping))
    }

    static func binaryPart(_ data: Data, contentType: String, disposition: String, filename: String,
                           contentID: String? = nil) -> Leaf {
        var fields = [HeaderField("Content-Type", tokens: [clean(contentType)]),
                      HeaderField("Content-Transfer-Encoding", tokens: ["base64"]),
                      HeaderField("Content-Disposition", tokens: ["\(disposition);"] + filenameParameters(filename))]
        if let contentID { fields.append(HeaderField("Content-ID", tokens: ["<\(clean(contentID))>"])) }
        let encoded = data.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return Leaf(fields: fields, body: encoded.isEmpty ? "" : encoded + "\r\n")
    }

    /// `filename="a.csv"` for plain ASCII names; RFC 2231 `filename*=UTF-8''…` otherwise, split into numbered
    /// sections (`filename*0*=`, `filename*1*=`, …) so that no line passes 78 characters.
    static func filenameParameters(_ filename: String) -> [String] {
        let name = clean(filename.precomposedStringWithCanonicalMapping)
        if name.unicodeScalars.allSatisfy({ $0.isASCII && $0 != "\"" && $0 != "\\" }), name.count <= 60 {
            return ["filename=\"\(name)\""]
        }
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        var pieces: [String] = []  // one per byte, never split
        for byte in name.utf8 {
            pieces.append(unreserved.contains(byte) ? String(UnicodeScalar(byte)) : "%" + hex(UInt64(byte), width: 2))
        }
        var sections: [String] = []
        var current = "UTF-8''"
        for piece in pieces {
            if current.count + piece.count > 56 {
                sections.append(current)
                current = ""
            }
            current += piece
        }
        sections.append(current)
        if sections.count == 1 { return ["filename*=\(sections[0])"] }
        return sections.enumerated().map { index, value in
            "filename*\(index)*=\(value)" + (index < sections.count - 1 ? ";" : "")
        }
    }

    /// Quoted-printable (RFC 2045 §6.7) of UTF-8 text with CRLF line breaks: lines of at most 76 characters,
    /// soft breaks never inside an `=XX` escape, trailing spaces and tabs escaped.
    static func quotedPrintable(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        var out = ""
        for (index, line) in lines.enumerated() {
            if index == lines.count - 1 && line.isEmpty { break }  // text that ends with a line break
            let bytes = Array(line.utf8)
            var current = ""
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                    || ((byte == 32 || byte == 9) && !isLast)
                let token = literal ? String(UnicodeScalar(byte)) : "=" + hex(UInt64(byte), width: 2)
                // 75 leaves room for the "=" of a soft line break.
                if current.count + token.count > (isLast ? 76 : 75) {
                    out += current + "=\r\n"
                    current = ""
                }
                current += token
            }
            out += current + "\r\n"
        }
        return out
    }

    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    static func hex(_ value: UInt64, width: Int = 16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Header text without line breaks or other control characters (no header injection through a value).
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : $0 }))
    }
}

/// One header field, folded at whitespace into lines of at most 78 characters (RFC 5322 §2.2.3);
/// non-ASCII text as RFC 2047 "B" encoded-words of at most 75 characters that never split a character.
struct HeaderField {
    let name: String
    /// The words of the value, in order; the fold goes between them.
    let tokens: [String]

    init(_ name: String, tokens: [String]) {
        self.name = name
        self.tokens = tokens
    }

    /// Unstructured text (Subject, extra fields): as words when plain ASCII, else encoded-words.
    init(_ name: String, text: String) {
        let value = MIME.clean(text.precomposedStringWithCanonicalMapping)
        self.init(name, tokens: Self.phrase(value, encodeFirstWidth: 78 - name.count - 2))
    }

    init(_ name: String, addresses: [MailAddress]) {
        var tokens: [String] = []
        var column = name.count + 1
        for (index, mailbox) in addresses.enumerated() {
            var words: [String] = []
            if let display = mailbox.name.map({ MIME.clean($0.precomposedStringWithCanonicalMapping) }), !display.isEmpty {
                words = Self.displayName(display, encodeFirstWidth: 78 - column - 1)
            }
            words.append(words.isEmpty ? MIME.clean(mailbox.address) : "<\(MIME.clean(mailbox.address))>")
            if index < addresses.count - 1 { words[words.count - 1] += "," }
            tokens += words
            column = 1 + (words.last?.count ?? 0)
        }
        self.init(name, tokens: tokens)
    }

    init(_ name: String, date: Date) {
        self.init(name, tokens: [Self.rfc5322(date)])
    }

    var folded: String {
        var lines: [String] = []
        var current = name + ":"
        for token in tokens {
            if current.count + 1 + token.count > 78, current != name + ":" {
                lines.append(current)
                current = ""
            }
            current += " " + token
        }
        lines.append(current)
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Whether `text` can stand as is in an unstructured field.
    static func isPlain(_ text: String) -> Bool {
        !text.contains("=?") && text.unicodeScalars.allSatisfy { $0.isASCII }
            && !text.split(separator: " ").contains { $0.count > 76 }
    }

    static func phrase(_ text: String, encodeFirstWidth: Int) -> [String] {
        if isPlain(text) { return text.split(separator: " ").map(String.init) }
        return encodedWords(text, firstWidth: encodeFirstWidth)
    }

    /// A display name: atoms, an ASCII quoted-string, or encoded-words.
    static func displayName(_ name: String, encodeFirstWidth: Int) -> [String] {
        let atext = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")
        if isPlain(name) {
            if name.unicodeScalars.allSatisfy({ atext.contains($0) }) { return name.split(separator: " ").map(String.init) }
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            if quoted.count <= 70 { return ["\"\(quoted)\""] }
        }
        return encodedWords(name, firstWidth: encodeFirstWidth)
    }

    /// `=?UTF-8?B?…?=` words, whole characters each, the first at most `firstWidth` long (the rest of the
    /// first line) when that leaves room for a character, every one at most 75.
    static func encodedWords(_ text: String, firstWidth: Int) -> [String] {
        let overhead = "=?UTF-8?B??=".count
        func capacity(_ width: Int) -> Int { (min(75, width) - overhead) / 4 * 3 }
        // Less than room for a 4-byte character on the first line: start on the next one.
        var limit = capacity(firstWidth) >= 6 ? capacity(firstWidth) : capacity(75)
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(character.utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > limit {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
                limit = capacity(75)
            }
            chunk += bytes
        }
        words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
        return words
    }

    /// `Mon, 30 Nov 2026 01:42:56 +0000`, in UTC.
    static func rfc5322(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(days[(parts.weekday ?? 1) - 1]), \(parts.day ?? 1) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}
