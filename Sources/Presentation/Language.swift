/// The language of user-facing text: Vietnamese by default, English with `--lang en`.
public enum Language: String, Sendable, CaseIterable {
    case vi
    case en

    /// Picks the text for this language. Vietnamese strings are written in NFC with full diacritics.
    public func pick(_ vietnamese: String, _ english: String) -> String {
        switch self {
        case .vi: vietnamese
        case .en: english
        }
    }
}
