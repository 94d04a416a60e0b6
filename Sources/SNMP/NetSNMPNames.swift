import Foundation

extension SNMPv3Security.Level {
    var rank: Int { Self.allCases.firstIndex(of: self)! }
}

extension SNMPv3Security.AuthProtocol {
    /// net-snmp's name for the protocol: `createUser` in snmpd.conf / snmptrapd.conf, `-a` of the CLI tools.
    public var configName: String {
        switch self {
        case .md5: "MD5"
        case .sha: "SHA"
        case .sha224: "SHA-224"
        case .sha256: "SHA-256"
        case .sha384: "SHA-384"
        case .sha512: "SHA-512"
        }
    }
}

extension SNMPv3Security.PrivacyProtocol {
    /// net-snmp's name for the protocol: `createUser`, `-x` of the CLI tools.
    public var configName: String {
        switch self {
        case .des: "DES"
        case .aes: "AES"
        case .aes192: "AES-192"
        case .aes256: "AES-256"
        }
    }
}

extension [UInt8] {
    /// Lower-case hex without separators, as `createUser -e` takes it.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// A value guarded by its own lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}
