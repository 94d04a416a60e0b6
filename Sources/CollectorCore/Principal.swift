import CollectorStore

/// Who a request comes from, as its bearer token says.
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    /// An agent, bound to its site.
    case site(String)
    /// A NOC user with a role.
    case noc(name: String, role: TokenRecord.Role)

    /// "site 20242", "noc alice (read)": what request logs name.
    public var description: String {
        switch self {
        case .site(let code): "site \(code)"
        case .noc(let name, let role): "noc \(name) (\(role.rawValue))"
        }
    }
}
