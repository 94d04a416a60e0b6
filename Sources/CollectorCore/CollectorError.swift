import SansangAPI

/// A failure the API reports to its client: a stable code (the API's error codes), a message for a
/// human, and the underlying cause when there is one. The HTTP layer maps the code to a status.
public struct CollectorError: Error, Sendable, CustomStringConvertible {
    public var code: APIErrorCode
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(_ code: APIErrorCode, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(code.rawValue): \(message) (\($0))" } ?? "\(code.rawValue): \(message)"
    }
}
