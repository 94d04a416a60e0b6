import Foundation
import Hummingbird
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import ReadinessModel
import SansangAPI
import Synchronization

/// The connections the collector has open, against its limit (`max_connections`), and what the guard refused, on
/// `/metrics`: `sansang_http_connections` (open now), `sansang_http_connections_total` (accepted),
/// `sansang_http_refusals_total{reason="connection_limit|body_timeout"}`.
public final class ConnectionCount: Sendable {
    public let limit: Int
    private let factory: any MetricsFactory
    /// Updated with the gauge under one lock, so that the gauge never shows a stale count.
    private let open = Mutex<Int>(0)

    public init(limit: Int, factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.limit = limit
        self.factory = factory
    }

    /// Counts one more connection; false when that one is over the limit (it is counted all the same until it closes).
    func enter() -> Bool {
        Counter(label: "sansang_http_connections_total", factory: factory).increment()
        return update(by: 1) <= limit
    }

    func leave() { _ = update(by: -1) }

    func refused(_ reason: String) {
        Counter(label: "sansang_http_refusals_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    public var current: Int { open.withLock { $0 } }

    private func update(by delta: Int) -> Int {
        open.withLock { count in
            count += delta
            Meter(label: "sansang_http_connections", factory: factory).set(count)
            return count
        }
    }
}

/// One per connection, between the HTTP codec and Hummingbird: a connection over the limit gets a clear refusal
/// (503 `unavailable` with Retry-After, then close) to its first request instead of a slot, and a request the
/// HTTP parser refuses gets a JSON 400 instead of an empty one. Connections that send nothing are closed by the
/// idle timeout (`idle_timeout_s`, Hummingbird's connection state handler), so a slowloris cannot hold the slots; a
/// request whose body is still not whole `body_timeout_s` after its head (a body trickled a byte at a time, each
/// within the idle timeout) gets 408 `request_timeout` and the connection is closed.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let count: ConnectionCount
    private let bodyTimeout: TimeAmount
    private var counted = false
    private var overLimit = false
    private var answered = false
    /// The request being read (its head arrived, its end not yet) runs against this deadline.
    private var bodyDeadline: Scheduled<Void>?
    /// A response to the request being read has begun: at its deadline the connection is only closed.
    private var responseBegun = false

    init(count: ConnectionCount, bodyTimeout: TimeAmount) {
        self.count = count
        self.bodyTimeout = bodyTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        overLimit = !count.enter()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        bodyDeadline?.cancel()
        bodyDeadline = nil
        if counted {
            counted = false
            count.leave()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard overLimit else {
            switch part {
            case .head:
                startBodyDeadline(context)
            case .body:
                break
            case .end:
                bodyDeadline?.cancel()
                bodyDeadline = nil
            }
            return context.fireChannelRead(data)
        }
        if case .head = part, !answered {
            count.refused("connection_limit")
            refuse(context, status: .serviceUnavailable, code: .unavailable,
                   message: "the collector has its \(count.limit) connections open; retry later", retryAfter: 5)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head = unwrapOutboundIn(data) { responseBegun = bodyDeadline != nil }
        context.write(data, promise: promise)
    }

    private func startBodyDeadline(_ context: ChannelHandlerContext) {
        bodyDeadline?.cancel()
        responseBegun = false
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        bodyDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: bodyTimeout) { [self] in
            bodyDeadline = nil
            guard !answered else { return }
            count.refused("body_timeout")
            if responseBegun {
                // Answered already (e.g. 401 before the body was read): only the rest of the body is refused.
                answered = true
                bound.value.close(promise: nil)
            } else {
                refuse(bound.value, status: .requestTimeout, code: .requestTimeout,
                       message: "the request body did not arrive within \(bodyTimeout.nanoseconds / 1_000_000_000) s of its head",
                       retryAfter: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !answered else { return context.fireErrorCaught(error) }
        refuse(context, status: .badRequest, code: .badParameter, message: "the request is not valid HTTP/1.1 (\(error))",
               retryAfter: nil)
    }

    private func refuse(_ context: ChannelHandlerContext, status: HTTPResponse.Status, code: APIErrorCode, message: String,
                        retryAfter: Int?) {
        answered = true
        let body = APIErrorBody.json(code, message)
        var fields: HTTPFields = [.contentType: "application/json", .connection: "close", .contentLength: String(body.count),
                                  .xContentTypeOptions: "nosniff", .cacheControl: "no-store"]
        if let retryAfter { fields[.retryAfter] = String(retryAfter) }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
    }
}
