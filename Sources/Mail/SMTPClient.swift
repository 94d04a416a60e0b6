import CCurl
import Foundation
import SystemSupport

/// libcurl's process-wide set-up, done once before the first handle (a Swift global is initialised once,
/// thread-safely, on first use).
private let curlGlobalInit: CURLcode = sansang_curl_global_init()

/// Sends e-mail with libcurl's SMTP: one easy handle per message, on a thread of its own (the transfer
/// blocks), STARTTLS per the settings, login when a user name is set.
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings

    public init(settings: SMTPSettings = SMTPSettings()) {
        self.settings = settings
    }

    /// Renders `message` and sends it; the envelope sender is `from`, the recipients `to` and `cc`.
    public func send(_ message: MailMessage) async throws(MailError) {
        try await send(MIME.render(message), from: message.from.address, to: message.recipients)
    }

    /// Sends an already rendered message with this envelope. Cancelling the task aborts the transfer.
    public func send(_ rendered: Data, from sender: String, to recipients: [String]) async throws(MailError) {
        guard !recipients.isEmpty else { throw MailError(.invalidMessage, "the message has no recipients") }
        if let bad = ([sender] + recipients).first(where: { !MailAddress.isPlausible($0) }) {
            throw MailError(.invalidMessage, "not a usable e-mail address: \(bad)")
        }
        let transfer = SMTPTransfer(settings: settings, message: Array(rendered), sender: sender, recipients: recipients)
        let result = await withTaskCancellationHandler {
            await BlockingPool.shared.run { transfer.perform() }
        } onCancel: {
            transfer.cancel()
        }
        try result.get()
    }
}

/// One SMTP transaction. `perform` runs on the transfer's own thread and owns the curl handle from
/// creation to cleanup; only the cancel flag is shared with other threads.
final class SMTPTransfer: @unchecked Sendable {
    private let settings: SMTPSettings
    private let message: [UInt8]
    private let sender: String
    private let recipients: [String]
    // Touched only by the transfer thread (libcurl's callbacks run inside curl_easy_perform).
    private var offset = 0
    private var lastReply: String?
    // Guarded by `lock`.
    private let lock = NSLock()
    private var cancelled = false

    init(settings: SMTPSettings, message: [UInt8], sender: String, recipients: [String]) {
        self.settings = settings
        self.message = message
        self.sender = sender
        self.recipients = recipients
    }

    func cancel() { lock.withLock { cancelled = true } }
    private var isCancelled: Bool { lock.withLock { cancelled } }

    func perform() -> Result<Void, MailError> {
        guard curlGlobalInit == CURLE_OK, let handle = curl_easy_init() else {
            return .failure(MailError(.invalidSettings, "libcurl could not be initialised"))
        }
        defer { curl_easy_cleanup(handle) }
        var recipientList: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients { recipientList = curl_slist_append(recipientList, "<\(recipient)>") }
        defer { curl_slist_free_all(recipientList) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        let context = Unmanaged.passUnretained(self).toOpaque()

        var setup = CURLE_OK
        // The first option libcurl refuses is the one reported.
        func setLong(_ option: CURLoption, _ value: Int) {
            if setup == CURLE_OK { setup = sansang_curl_setopt_long(handle, option, value) }
        }
        func setString(_ option: CURLoption, _ value: String) {
            if setup == CURLE_OK { setup = sansang_curl_setopt_string(handle, option, value) }
        }
        func setPointer(_ option: CURLoption, _ pointer: UnsafeMutableRawPointer?) {
            if setup == CURLE_OK { setup = sansang_curl_setopt_pointer(handle, option, pointer) }
        }
        setString(CURLOPT_URL, Self.url(settings.url, helo: settings.heloName))
        setString(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        setLong(CURLOPT_NOSIGNAL, 1)  // no SIGALRM: we are one thread among many
        setLong(CURLOPT_USE_SSL, Int(Self.useSSL(settings.security).rawValue))
        setLong(CURLOPT_SSL_VERIFYPEER, settings.verifyPeer ? 1 : 0)
        setLong(CURLOPT_SSL_VERIFYHOST, settings.verifyPeer ? 2 : 0)
        if let caFile = settings.caFile { setString(CURLOPT_CAINFO, caFile) }
        if let username = settings.username { setString(CURLOPT_USERNAME, username) }
        if let password = settings.password { setString(CURLOPT_PASSWORD, password) }
        setLong(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout))
        setLong(CURLOPT_TIMEOUT_MS, Self.milliseconds(settings.timeout))
        setString(CURLOPT_MAIL_FROM, "<\(sender)>")
        setPointer(CURLOPT_MAIL_RCPT, UnsafeMutableRawPointer(recipientList))
        setLong(CURLOPT_UPLOAD, 1)
        setPointer(CURLOPT_READDATA, context)
        setPointer(CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        if setup == CURLE_OK {
            setup = sansang_curl_setopt_read_function(handle) { buffer, size, count, context in
                Unmanaged<SMTPTransfer>.fromOpaque(context!).takeUnretainedValue().read(into: buffer!, capacity: size * count)
            }
        }
        // The progress callback is how a cancelled task stops a transfer in progress.
        setLong(CURLOPT_NOPROGRESS, 0)
        setPointer(CURLOPT_XFERINFODATA, context)
        if setup == CURLE_OK {
            setup = sansang_curl_setopt_progress_function(handle) { context, _, _, _, _ in
                Unmanaged<SMTPTransfer>.fromOpaque(context!).takeUnretainedValue().isCancelled ? 1 : 0
            }
        }
        // The debug callback keeps the server's last reply line, so that errors quote what the server said.
        setLong(CURLOPT_VERBOSE, 1)
        setPointer(CURLOPT_DEBUGDATA, context)
        if setup == CURLE_OK {
            setup = sansang_curl_setopt_debug_function(handle) { _, type, data, size, context in
                if type == CURLINFO_HEADER_IN, let data {
                    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    if !line.isEmpty { Unmanaged<SMTPTransfer>.fromOpaque(context!).takeUnretainedValue().lastReply = line }
                }
                return 0
            }
        }
        guard setup == CURLE_OK else {
            return .failure(MailError(.invalidSettings, "libcurl refused the SMTP settings",
                                      cause: "curl \(setup.rawValue): \(String(cString: curl_easy_strerror(setup)))"))
        }
        guard !isCancelled else { return .failure(MailError(.cancelled, "the send was cancelled")) }

        let result = curl_easy_perform(handle)
        guard result != CURLE_OK else { return .success(()) }
        var response = 0
        _ = sansang_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &response)
        return .failure(Self.classify(result, responseCode: response, errorText: String(cString: errorBuffer),
                                      serverReply: lastReply, settings: settings))
    }

    private func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, message.count - offset)
        guard count > 0 else { return 0 }
        message.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }

    /// The settings' URL with the EHLO name as its path (libcurl takes the EHLO name from there).
    static func url(_ url: String, helo: String?) -> String {
        guard let helo, !helo.isEmpty else { return url }
        let schemeEnd = url.range(of: "://")?.upperBound ?? url.startIndex
        let authorityEnd = url[schemeEnd...].firstIndex(of: "/") ?? url.endIndex
        return url[..<authorityEnd] + "/" + helo
    }

    static func useSSL(_ security: SMTPSettings.Security) -> curl_usessl {
        switch security {
        case .starttls: CURLUSESSL_ALL
        case .opportunistic: CURLUSESSL_TRY
        case .none: CURLUSESSL_NONE
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int((duration.inSeconds * 1000).rounded()))
    }

    /// Maps libcurl's result and the server's last reply code to a `MailError`.
    static func classify(_ result: CURLcode, responseCode: Int, errorText: String, serverReply: String?,
                         settings: SMTPSettings) -> MailError {
        let curlText = String(cString: curl_easy_strerror(result))
        var cause = "curl \(result.rawValue) (\(curlText))" + (errorText.isEmpty ? "" : ": \(errorText)")
        if let serverReply { cause += "; server said: \(serverReply)" }
        let reply = responseCode > 0 ? responseCode : nil
        let server = settings.url
        func error(_ code: MailError.Code, _ message: String) -> MailError {
            MailError(code, message, cause: cause, responseCode: reply)
        }
        switch result {
        case CURLE_ABORTED_BY_CALLBACK:
            return error(.cancelled, "the send to \(server) was cancelled")
        case CURLE_OPERATION_TIMEDOUT:
            return error(.timeout, "no answer from the SMTP server \(server) in time")
        case CURLE_LOGIN_DENIED:
            return error(.authenticationFailed, "the SMTP server \(server) refused the login of \(settings.username ?? "(no user)")")
        case CURLE_USE_SSL_FAILED:
            return error(.tlsFailed, "the SMTP server \(server) does not offer STARTTLS, which the settings require")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE:
            return error(.tlsFailed, "TLS with the SMTP server \(server) failed")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN:
            return error(.invalidSettings, "the SMTP URL \(server) is not usable (smtp:// or smtps://)")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return error(.connectionFailed, "cannot connect to the SMTP server \(server)")
        default:
            break
        }
        // A reply that means "log in first" or "wrong credentials", whatever command it answered.
        if [530, 534, 535, 538].contains(responseCode) {
            return error(.authenticationFailed, "the SMTP server \(server) requires a login it did not accept")
        }
        if errorText.hasPrefix("MAIL failed") {
            return error(.senderRefused, "the SMTP server \(server) refused the sender")
        }
        if errorText.hasPrefix("RCPT failed") {
            return error(.recipientRefused, "the SMTP server \(server) refused a recipient")
        }
        if result == CURLE_WEIRD_SERVER_REPLY || errorText.hasPrefix("DATA failed") {
            return error(.rejected, "the SMTP server \(server) refused the message")
        }
        return error(.connectionFailed, "the connection to the SMTP server \(server) failed")
    }
}
