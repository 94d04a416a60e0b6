import Foundation

/// Query and form fields decoded as HTML forms and `curl --data-urlencode` send them: "+" is a space
/// ("former_district=H%E1%BA%A3i+Ch%C3%A2u"). The first value of a repeated name wins. Used by the API and the dashboard.
public enum FormData {
    public static func parse(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if result[name] == nil { result[name] = parts.count == 2 ? decode(parts[1]) : "" }
        }
        return result
    }
}
