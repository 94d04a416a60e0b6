import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// What a TLS handshake showed: protocol, the peer's chain and the leaf's validity.
struct TLSFacts: Sendable {
    var version: String?
    var chain: [CertificateFacts] = []
}

struct CertificateFacts: Sendable {
    var subject: String
    var issuer: String
    var notBefore: Date
    var notAfter: Date

    init(_ certificate: NIOSSLCertificate) {
        func name(_ parts: [SSLCertificateName]) -> String {
            let cn = parts.first { $0.type == .commonName }?.value
            return cn ?? parts.map(\.value).joined(separator: ",")
        }
        subject = name(certificate.subjectName)
        issuer = name(certificate.issuerName)
        notBefore = Date(timeIntervalSince1970: TimeInterval(certificate.notValidBefore))
        notAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
    }

    /// Whole days left, rounded toward −∞: 0 for an hour left, −1 for an hour past (never −0).
    func daysLeft(now: Date) -> Int { Self.daysLeft(until: notAfter, now: now) }

    static func daysLeft(until date: Date, now: Date) -> Int { Int((date.timeIntervalSince(now) / 86_400).rounded(.down)) }
}

/// Why a connection failed, as a stable reason with a message for a human, and the phase it failed in
/// when the failure says (e.g. `first_byte` for a connection closed before the response).
struct ProbeFailure: Error, Sendable {
    var reason: String
    var message: String
    var phase: String?

    init(reason: String, message: String, phase: String? = nil) {
        self.reason = reason
        self.message = message
        self.phase = phase
    }

    /// Whether `error` means that the peer closed (or reset) the connection, rather than said something.
    static func isClosed(_ error: any Error) -> Bool {
        if let error = error as? ChannelError {
            switch error {
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed: return true
            default: return false
            }
        }
        if let error = error as? NIOSSLError {
            switch error {
            case .uncleanShutdown: return true
            // The peer's FIN read while handshaking (a RST instead arrives as ECONNRESET, below).
            case .handshakeFailed(.sslError(let stack)): return stack.contains(.eofDuringHandshake)
            default: return false
            }
        }
        if let error = error as? IOError { return [ECONNRESET, EPIPE].contains(error.errnoCode) }
        return false
    }
}

/// Opening a TCP connection with NIO and, optionally, a TLS session over it.
enum Connection {
    static var group: MultiThreadedEventLoopGroup { .singleton }

    /// Connects to `address:port` before `deadline`; the channel is closed at the deadline whatever happens.
    static func connect(_ address: ResolvedAddress, port: Int, deadline: ContinuousClock.Instant) async throws(ProbeFailure) -> Channel {
        let left = Int64(millisecondsLeft(deadline))
        do {
            let socketAddress = try NIOCore.SocketAddress(ipAddress: address.text, port: port)
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(left))
                .connect(to: socketAddress).get()
            channel.eventLoop.scheduleTask(in: .milliseconds(Int64(millisecondsLeft(deadline)))) { channel.close(promise: nil) }
            return channel
        } catch let error as IOError {
            throw ProbeFailure(reason: connectReason(errno: error.errnoCode), message: "\(error)")
        } catch ChannelError.connectTimeout {
            throw ProbeFailure(reason: "connect_timeout", message: "no answer in \(left) ms")
        } catch {
            throw ProbeFailure(reason: "connect_failed", message: "\(error)")
        }
    }

    enum Verification: Sendable {
        /// Trust store and hostname: what a browser does.
        case full
        /// Trust store only.
        case noHostname
        /// Nothing verified: the chain is only recorded (diagnosis).
        case recordOnly
    }

    /// Adds a TLS client to `channel` and waits for the handshake.
    static func handshake(_ channel: Channel, serverName: String?, caFile: String?, verification: Verification,
                          alpn: [String] = []) async throws -> TLSFacts {
        let context = try TLSContextCache.shared.context(.init(caFile: verification == .recordOnly ? nil : caFile,
                                                               verification: verification, alpn: alpn))
        let recorded = Mutex<[CertificateFacts]>([])
        let sni = serverName.flatMap { name in (try? NIOCore.SocketAddress(ipAddress: name, port: 0)) == nil ? name : nil }
        return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<TLSFacts> in
            let promise = channel.eventLoop.makePromise(of: TLSFacts.self)
            do {
                let handler = if verification == .recordOnly {
                    try NIOSSLClientHandler(context: context, serverHostname: sni) { certificates, result in
                        recorded.withLock { $0 = certificates.map(CertificateFacts.init) }
                        result.succeed(.certificateVerified)
                    }
                } else {
                    try NIOSSLClientHandler(context: context, serverHostname: sni)
                }
                try channel.pipeline.syncOperations.addHandler(handler)
                try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: promise) {
                    recorded.withLock { $0 }
                })
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }.get()
    }

    /// The chain the server presents (leaf first), read by a handshake that verifies nothing; nil if none.
    static func presentedChain(_ address: ResolvedAddress, port: Int, serverName: String?,
                               deadline: ContinuousClock.Instant) async -> [CertificateFacts]? {
        guard let channel = try? await connect(address, port: port, deadline: deadline) else { return nil }
        defer { channel.close(promise: nil) }
        return try? await handshake(channel, serverName: serverName, caFile: nil, verification: .recordOnly).chain
    }

    /// Why a verified handshake failed: one unverified handshake to read the chain, then the dates, then one
    /// handshake without the hostname check to tell a wrong name from an untrusted chain.
    static func diagnose(_ address: ResolvedAddress, port: Int, serverName: String?, caFile: String?,
                         deadline: ContinuousClock.Instant, now: Date = Date()) async -> (reason: String, facts: TLSFacts?) {
        guard let channel = try? await connect(address, port: port, deadline: deadline) else { return ("tls_handshake_failed", nil) }
        defer { channel.close(promise: nil) }
        guard let facts = try? await handshake(channel, serverName: serverName, caFile: caFile, verification: .recordOnly),
              let leaf = facts.chain.first else { return ("tls_handshake_failed", nil) }
        // Any certificate of the chain, not only the leaf: an expired intermediate is `cert_expired` too
        // (`TLSStep.record` names which).
        if facts.chain.contains(where: { $0.notAfter < now }) { return ("cert_expired", facts) }
        if facts.chain.contains(where: { $0.notBefore > now }) { return ("cert_not_yet_valid", facts) }
        if let again = try? await connect(address, port: port, deadline: deadline) {
            defer { again.close(promise: nil) }
            if (try? await handshake(again, serverName: serverName, caFile: caFile, verification: .noHostname)) != nil {
                return ("hostname_mismatch", facts)
            }
        }
        if facts.chain.count == 1, leaf.subject == leaf.issuer { return ("self_signed", facts) }
        return ("untrusted", facts)
    }
}

/// Completes `promise` when the TLS handshake is done (with what it showed), or fails it on error or close.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let promise: EventLoopPromise<TLSFacts>
    private let recordedChain: () -> [CertificateFacts]
    private var done = false

    init(promise: EventLoopPromise<TLSFacts>, recordedChain: @escaping () -> [CertificateFacts]) {
        self.promise = promise
        self.recordedChain = recordedChain
    }

    /// A server that closed at once may have done so before this handler was added: then no event will
    /// ever come, so fail now rather than wait for the deadline.
    func handlerAdded(context: ChannelHandlerContext) {
        if !context.channel.isActive, !done { done = true; promise.fail(ChannelError.eof) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !done {
            done = true
            let ssl = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
            var facts = TLSFacts(version: ssl?.tlsVersion.map(Self.name))
            facts.chain = recordedChain()
            if facts.chain.isEmpty, let leaf = ssl?.peerCertificate { facts.chain = [CertificateFacts(leaf)] }
            promise.succeed(facts)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !done { done = true; promise.fail(error) }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { done = true; promise.fail(ChannelError.eof) }
        context.fireChannelInactive()
    }

    static func name(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: "TLSv1.0"
        case .tlsv11: "TLSv1.1"
        case .tlsv12: "TLSv1.2"
        case .tlsv13: "TLSv1.3"
        }
    }
}
