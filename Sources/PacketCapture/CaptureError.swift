import CPcap

/// A libpcap failure: a stable `code` to switch on, a human `message`, and libpcap's own words in `cause`.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Capturing needs CAP_NET_RAW (root, or the capability granted by the systemd unit).
        case permissionDenied
        case noSuchDevice
        case interfaceDown
        /// pcap_create/pcap_activate failed for another reason.
        case activationFailed
        /// The BPF filter does not compile or cannot be installed.
        case badFilter
        /// A .pcap file cannot be opened for reading or writing.
        case fileOpenFailed
        /// A .pcap file is corrupt or cannot be read to the end.
        case readFailed
        /// Writing or flushing a .pcap file failed, or the writer is closed.
        case writeFailed
        /// The capture loop stopped with an error (e.g. the interface went away).
        case captureFailed
    }

    /// What libpcap reported: the status code of the failing call, when it returns one, and its text.
    public struct Cause: Sendable, Equatable, CustomStringConvertible {
        public let status: Int32?
        public let text: String

        public init(status: Int32?, text: String) {
            self.status = status
            self.text = text
        }

        public var description: String { status.map { "\(text) (status \($0))" } ?? text }
    }

    public let code: Code
    public let message: String
    public let cause: Cause?

    public init(_ code: Code, _ message: String, cause: Cause? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(code.rawValue): \(message): \($0)" } ?? "\(code.rawValue): \(message)"
    }
}

extension CaptureError.Cause {
    /// `pcap_geterr` of a handle, with the status of the call that failed.
    init(_ pointer: OpaquePointer, status: Int32?) {
        self.init(status: status, text: String(cString: pcap_geterr(pointer)))
    }
}
