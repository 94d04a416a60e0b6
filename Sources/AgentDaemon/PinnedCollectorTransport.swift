import APIClient
import AsyncHTTPClient
import CertificateTools
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import SystemSupport

/// HTTPS to a collector whose public key is pinned (`collector.pinned_public_keys`): one connection per request,
/// verified as usual (the pinned CA or the system's CAs, and the host name), then the key of the certificate the
/// collector presented is checked against the pins on that same connection before anything (the token) is written.
/// AsyncHTTPClient, which the agent uses otherwise, has no place for that check: a look at the key on a connection of
/// its own would prove nothing about the connection the report then goes over.
struct PinnedCollectorTransport: Sendable {
    /// The collector presented a key that is not pinned, in a certificate that verified.
    struct KeyMismatch: Error, Sendable, CustomStringConvertible {
        var presented: String
        var pinned: [String]
        var description: String {
            "the collector's public key \(presented) is not the pinned one (\(pinned.joined(separator: ", "))): "
                + "re-enrol, or add the new key to collector.pinned_public_keys"
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    let host: String
    let port: Int
    let context: NIOSSLContext
    let pins: Set<String>
    /// A new key in a certificate that verified against the pinned CA is accepted (a rotation signed by the
    /// province's own CA); the callback hears of it. Without a pinned CA any public CA could have signed it: refused.
    let acceptRotationByPinnedCA: Bool
    let onRotation: @Sendable (String) -> Void

    func send(_ head: HTTPRequestHead, body: ByteBuffer?, timeout: TimeAmount, maxBodyBytes: Int) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.any().makePromise(of: Response.self)
        let serverName = CollectorTLS.isIPAddress(host) ? nil : host
        let (context, pins, acceptRotation, onRotation) = (context, pins, acceptRotationByPinnedCA, onRotation)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(PinnedExchange(
                            head: head, body: body, maxBodyBytes: maxBodyBytes, pins: pins, acceptRotation: acceptRotation,
                            onRotation: onRotation, promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(ChannelError.connectTimeout(timeout))
            channel.close(promise: nil)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

extension PinnedCollectorTransport: APITransport {
    func execute(_ request: HTTPClientRequest, body: ByteBuffer?, timeout: Duration, limit: Int) async throws -> APIClient.Response {
        var headers = request.headers
        let url = URL(string: request.url)
        let path = url.map { ($0.path.isEmpty ? "/" : $0.path) + ($0.query.map { "?" + $0 } ?? "") } ?? "/"
        headers.replaceOrAdd(name: "Host", value: url?.port.map { "\(host):\($0)" } ?? host)
        headers.replaceOrAdd(name: "Connection", value: "close")
        if let body { headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: path, headers: headers)
        let response = try await send(head, body: body, timeout: .nanoseconds(timeout.inNanoseconds), maxBodyBytes: limit)
        return APIClient.Response(status: response.status,
                                  reasonPhrase: HTTPResponseStatus(statusCode: response.status).reasonPhrase,
                                  headers: response.headers, body: Data(response.body.readableBytesView))
    }
}

/// Waits for the verified handshake, checks the presented key, then writes the request and collects the answer.
private final class PinnedExchange: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: ByteBuffer?
    private let maxBodyBytes: Int
    private let pins: Set<String>
    private let acceptRotation: Bool
    private let onRotation: @Sendable (String) -> Void
    private let promise: EventLoopPromise<PinnedCollectorTransport.Response>
    private var response: PinnedCollectorTransport.Response?
    private var done = false

    init(head: HTTPRequestHead, body: ByteBuffer?, maxBodyBytes: Int, pins: Set<String>, acceptRotation: Bool,
         onRotation: @escaping @Sendable (String) -> Void, promise: EventLoopPromise<PinnedCollectorTransport.Response>) {
        self.head = head
        self.body = body
        self.maxBodyBytes = maxBodyBytes
        self.pins = pins
        self.acceptRotation = acceptRotation
        self.onRotation = onRotation
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            let leaf = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
            guard let der = try? leaf?.toDERBytes(), let presented = try? CollectorTLS.publicKeyFingerprint(der: der) else {
                finish(.failure(PinnedCollectorTransport.KeyMismatch(presented: "(no certificate)", pinned: pins.sorted())))
                context.close(promise: nil)
                return
            }
            if !pins.contains(presented) {
                guard acceptRotation else {
                    finish(.failure(PinnedCollectorTransport.KeyMismatch(presented: presented, pinned: pins.sorted())))
                    context.close(promise: nil)
                    return
                }
                onRotation(presented)
            }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = .init(status: Int(head.status.code), headers: head.headers, body: ByteBuffer())
        case .body(var buffer):
            response?.body.writeBuffer(&buffer)
            if (response?.body.readableBytes ?? 0) > maxBodyBytes {
                finish(.failure(CollectorClient.Failure(code: "body_too_large", message: "the collector's answer exceeds \(maxBodyBytes) bytes")))
                context.close(promise: nil)
            }
        case .end:
            if let response { finish(.success(response)) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.eof))
        context.fireChannelInactive()
    }

    private func finish(_ result: Result<PinnedCollectorTransport.Response, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}
