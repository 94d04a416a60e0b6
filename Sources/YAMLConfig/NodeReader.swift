import Foundation
import Yams

/// A YAML node together with its field path, for error messages.
public struct Field {
    public let node: Node
    public let path: String

    public init(node: Node, path: String) {
        self.node = node
        self.path = path
    }

    public func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// Reads Yams nodes by hand, collecting every problem with its file, line, column and field path
/// instead of stopping at the first one (which is what `Decodable` would do).
public struct NodeReader {
    public let file: String
    public private(set) var errors: [ConfigError] = []
    /// Fields holding a secret written in the file itself (not a `*_file` key): the file must then be private.
    public private(set) var inlineSecrets: [String] = []

    public init(file: String) {
        self.file = file
    }

    public func location(_ node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    public mutating func report(_ code: ConfigError.Code, _ message: String, at node: Node, field: String) {
        errors.append(ConfigError(code, message, at: location(node), field: field))
    }

    public mutating func report(_ code: ConfigError.Code, _ message: String, at field: Field) {
        report(code, message, at: field.node, field: field.path)
    }

    /// `key` holding the secret itself, or `key_file` naming a private file holding it (one of the two); nil after
    /// reporting what is wrong or when neither is there.
    public mutating func secret(_ keys: [String: Field], _ key: String) -> String? {
        switch (keys[key], keys[key + "_file"]) {
        case (let inline?, nil):
            inlineSecrets.append(inline.path)
            return string(inline)
        case (nil, let file?):
            guard let path = nonEmptyString(file) else { return nil }
            do {
                return try SecretFile.read(path)
            } catch {
                report(.badValue, error.description, at: file)
                return nil
            }
        case (_?, let file?):
            report(.badValue, "give \(key) or \(key)_file, not both", at: file)
            return nil
        case (nil, nil):
            return nil
        }
    }

    /// Refuses a config file that holds secrets (`inlineSecrets`) when other users can read it.
    public static func checkPrivate(_ path: String, inlineSecrets: [String]) throws(ConfigErrors) {
        guard let first = inlineSecrets.first else { return }
        var status = stat()
        guard stat(path, &status) == 0 else { return }
        do {
            try SecretFile.checkPrivate(path, mode: status.st_mode)
        } catch {
            throw ConfigErrors([ConfigError(.badValue, "\(error.message) (it holds \(inlineSecrets.joined(separator: ", ")); or move "
                                            + "each secret to a *_file key)", at: .start(of: path), field: first)])
        }
    }

    /// The entries of a mapping whose keys must all be in `allowed`; reports unknown keys (with a
    /// suggestion), missing `required` keys (at the mapping), and a node that is not a mapping.
    public mutating func mapping(_ field: Field, allowed: [String], required: [String] = []) -> [String: Field]? {
        guard case .mapping(let mapping) = field.node else {
            report(.wrongType, "expected a mapping, found \(describe(field.node))", at: field)
            return nil
        }
        var entries: [String: Field] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report(.wrongType, "expected a key, found \(describe(key))", at: key, field: field.path)
                continue
            }
            let name = scalar.string
            guard allowed.contains(name) else {
                report(.unknownKey, "unknown key \"\(name)\"" + suggestion(for: name, among: allowed),
                       at: key, field: field.child(name))
                continue
            }
            entries[name] = Field(node: value, path: field.child(name))
        }
        for key in required where entries[key] == nil {
            report(.missingKey, "missing required key \"\(key)\"", at: field.node, field: field.child(key))
        }
        return entries
    }

    /// The entries of a mapping with free-form keys (profile names, link roles), in file order.
    public mutating func pairs(_ field: Field) -> [(key: String, keyNode: Node, value: Field)]? {
        guard case .mapping(let mapping) = field.node else {
            report(.wrongType, "expected a mapping, found \(describe(field.node))", at: field)
            return nil
        }
        var result: [(key: String, keyNode: Node, value: Field)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report(.wrongType, "expected a key, found \(describe(key))", at: key, field: field.path)
                continue
            }
            result.append((scalar.string, key, Field(node: value, path: field.child(scalar.string))))
        }
        return result
    }

    public mutating func list(_ field: Field) -> [Field]? {
        guard case .sequence(let sequence) = field.node else {
            report(.wrongType, "expected a list, found \(describe(field.node))", at: field)
            return nil
        }
        return sequence.enumerated().map { Field(node: $1, path: "\(field.path)[\($0)]") }
    }

    /// Any non-null scalar, as written: `code: 20242` and `code: "20242"` both give "20242".
    public mutating func string(_ field: Field) -> String? {
        guard case .scalar(let scalar) = field.node, tagName(field.node) != .null else {
            report(.wrongType, "expected a string, found \(describe(field.node))", at: field)
            return nil
        }
        return scalar.string
    }

    public mutating func nonEmptyString(_ field: Field) -> String? {
        guard let value = string(field) else { return nil }
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            report(.badValue, "must not be empty", at: field)
            return nil
        }
        return value
    }

    public mutating func int(_ field: Field, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = field.node, tagName(field.node) == .int,
              let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            report(.wrongType, "expected an integer, found \(describe(field.node))", at: field)
            return nil
        }
        guard range.contains(value) else {
            report(.outOfRange, "\(value) is out of range \(range.lowerBound)…\(range.upperBound)", at: field)
            return nil
        }
        return value
    }

    public mutating func double(_ field: Field, in range: ClosedRange<Double>) -> Double? {
        let tag = tagName(field.node)
        guard case .scalar(let scalar) = field.node, tag == .int || tag == .float,
              let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")), value.isFinite else {
            report(.wrongType, "expected a number, found \(describe(field.node))", at: field)
            return nil
        }
        guard range.contains(value) else {
            report(.outOfRange, "\(scalar.string) is out of range \(range.lowerBound)…\(range.upperBound)",
                   at: field)
            return nil
        }
        return value
    }

    public mutating func bool(_ field: Field) -> Bool? {
        guard tagName(field.node) == .bool, let value = field.node.bool else {
            report(.wrongType, "expected true or false, found \(describe(field.node))", at: field)
            return nil
        }
        return value
    }

    public mutating func enumeration<E: RawRepresentable & CaseIterable>(_ field: Field, _: E.Type) -> E?
    where E.RawValue == String {
        guard let text = string(field) else { return nil }
        if let value = E(rawValue: text) { return value }
        let names = E.allCases.map(\.rawValue)
        report(.badEnumValue, "\"\(text)\" is not one of \(names.joined(separator: ", "))"
               + suggestion(for: text, among: names), at: field)
        return nil
    }

    /// A list of enumeration values; an empty list is refused (it would silently check nothing).
    public mutating func enumerations<E: RawRepresentable & CaseIterable>(_ field: Field, _ type: E.Type) -> [E]?
    where E.RawValue == String {
        guard let items = list(field) else { return nil }
        guard !items.isEmpty else {
            report(.badValue, "must list at least one value", at: field)
            return nil
        }
        let values = items.compactMap { enumeration($0, type) }
        return values.count == items.count ? values : nil
    }

    /// A link target in Mbit/s: an integer, or a string with a unit ("10 Gbit/s", "200M").
    public mutating func target(_ field: Field) -> Int? {
        guard case .scalar(let scalar) = field.node, tagName(field.node) != .null else {
            report(.wrongType, "expected a bit rate, found \(describe(field.node))", at: field)
            return nil
        }
        switch TargetSpeed.parse(scalar.string) {
        case .success(let mbps):
            return mbps
        case .failure(let problem):
            report(.badTarget, "bad target \"\(scalar.string)\": \(problem.message)", at: field)
            return nil
        }
    }

    /// A local time of day, "HH:MM" on a 24-hour clock.
    public mutating func timeOfDay(_ field: Field) -> String? {
        guard let text = string(field) else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
           let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...23).contains(hours), (0...59).contains(minutes) {
            return text
        }
        report(.badTime, "bad time \"\(text)\": expected HH:MM between 00:00 and 23:59", at: field)
        return nil
    }

    /// A duration in seconds: "90s", "15m", "2h", "1d", or a bare integer of seconds.
    public mutating func duration(_ field: Field, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(field) else { return nil }
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var seconds: Int?
        if let value = Int(text) {
            seconds = value
        } else if let unit = text.last, let factor = units[unit], let value = Int(text.dropLast()) {
            seconds = value * factor
        }
        guard let seconds else {
            report(.badValue, "bad duration \"\(text)\": expected a number with s, m, h or d, e.g. \"15m\"", at: field)
            return nil
        }
        guard range.contains(seconds) else {
            report(.outOfRange, "\(text) is out of range \(range.lowerBound)…\(range.upperBound) seconds", at: field)
            return nil
        }
        return seconds
    }

    /// A moment in ISO 8601 with its UTC offset, e.g. "2026-12-05T22:00:00+07:00".
    public mutating func timestamp(_ field: Field) -> Date? {
        guard let text = string(field) else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else {
            report(.badTime, "bad time \"\(text)\": expected ISO 8601 with an offset, e.g. \"2026-12-05T22:00:00+07:00\"", at: field)
            return nil
        }
        return date
    }

    private func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch tagName(node) {
            case .null: return "null"
            case .bool: return "a boolean (\(scalar.string))"
            case .int: return "an integer (\(scalar.string))"
            case .float: return "a number (\(scalar.string))"
            default: return "\"\(scalar.string)\""
            }
        }
    }
}

/// The resolved tag of a node (`!!int`, `!!str`, …); Yams only exposes it as a raw string.
private func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

/// ` (did you mean "x"?)` when one candidate is close to what was written, else "".
public func suggestion(for word: String, among candidates: [String]) -> String {
    let limit = max(1, word.count / 3)
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return "" }
    return " (did you mean \"\(best.0)\"?)"
}

/// Edit distance over characters, counting a swap of two neighbours ("nmae") as one edit
/// (optimal string alignment).
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}
