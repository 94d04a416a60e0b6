import CNetSNMP
import Foundation

/// Process-wide set-up of libnetsnmp, and the lock for its non-reentrant parts.
enum NetSNMP {
    /// Guards what the single-session API leaves global and unlocked in this build (no NETSNMP_REENTRANT):
    /// the session open/close paths and the error-detail buffer behind snmp_error. Never held across I/O.
    static let lock = NSLock()

    /// init_snmp must run exactly once, before any session; a static initialiser runs once, thread-safely.
    private static let initialized: Void = {
        // No snmp.conf from /etc or ~/.snmp: a session's behaviour comes from its configuration only.
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1)
        // Nothing read from or written to the persistent store (/var/lib/snmp by default).
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1)
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1)
        // init_snmp still creates a directory there (cert_indexes, announced on stderr unless it exists):
        // point it at a private, prepared one, and remove it once init_snmp is done — nothing reads or writes it
        // afterwards (persistence is off, no TLS transport), and a process that is killed leaves nothing behind.
        var persistent: String?
        if ProcessInfo.processInfo.environment["SNMP_PERSISTENT_DIR"] == nil {
            var template = Array((NSTemporaryDirectory() + "/sansang-netsnmp-XXXXXX").utf8CString)
            if let directory = mkdtemp(&template) {
                persistent = String(cString: directory)
                mkdir(String(cString: directory) + "/cert_indexes", 0o700)
                set_persistent_directory(directory)
            }
        }
        // Load no MIB modules (Debian ships almost none, and we use numeric OIDs): without this the library
        // prints "Cannot find module" for each default module. The MIBS environment variable still wins.
        "mibs :".withCString { netsnmp_config_remember(UnsafeMutablePointer(mutating: $0)) }
        init_snmp("sansang")
        if let persistent { try? FileManager.default.removeItem(atPath: persistent) }
    }()

    static func initialize() { _ = initialized }

    /// This process's SNMPv3 engine ID (call on the v3 thread, after `initialize`).
    static func localEngineID() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(MAX_ENGINEID_LENGTH))
        let length = snmpv3_get_engineID(&buffer, buffer.count)
        return Array(buffer.prefix(length))
    }

    /// The error recorded on an open session, as an SNMPError.
    static func error(
        session handle: UnsafeMutableRawPointer, fallback: SNMPError.Code, _ message: String
    ) -> SNMPError {
        var systemErrno: Int32 = 0, libraryError: Int32 = 0
        var text: UnsafeMutablePointer<CChar>?
        lock.withLock { snmp_sess_error(handle, &systemErrno, &libraryError, &text) }
        return error(libraryError, systemErrno, text, fallback: fallback, message)
    }

    /// The error recorded in a session structure that failed to open.
    static func error(
        structure: inout netsnmp_session, fallback: SNMPError.Code, _ message: String
    ) -> SNMPError {
        var systemErrno: Int32 = 0, libraryError: Int32 = 0
        var text: UnsafeMutablePointer<CChar>?
        lock.withLock { snmp_error(&structure, &systemErrno, &libraryError, &text) }
        return error(libraryError, systemErrno, text, fallback: fallback, message)
    }

    private static func error(
        _ libraryError: Int32, _ systemErrno: Int32, _ text: UnsafeMutablePointer<CChar>?,
        fallback: SNMPError.Code, _ message: String
    ) -> SNMPError {
        defer { free(text) }
        let detail = text.map { String(cString: $0) } ?? ""
        let code = SNMPError.Code(libraryError: libraryError, fallback: fallback)
        return SNMPError(code, message, cause: .library(code: libraryError, systemErrno: systemErrno, text: detail))
    }
}
