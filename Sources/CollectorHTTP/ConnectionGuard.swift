import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import ReadinessModel
import SansangAPI
import Synchronization

/// The connections the collector has open, against its limit (`max_connections`).
public final class ConnectionCount: Sendable {
    public let limit: Int
    private let open = Atomic<Int>(0)

    public init(limit: Int) {
        self.limit = limit
    }

    /// Counts one more connection; false when that one is over the limit (it is counted all the same until it closes).
    func enter() -> Bool { open.wrappingAdd(1, ordering: .relaxed).newValue <= limit }
    func leave() { open.wrappingSubtract(1, ordering: .relaxed) }
    public var current: Int { open.load(ordering: .relaxed) }
}

/// One per connection, between the HTTP codec and Hummingbird: a connection over the limit gets a clear refusal
/// (503 `unavailable` with Retry-After, then close) to its first request instead of a slot, and a request the
/// HTTP parser refuses gets a JSON 400 instead of an empty one. Connections that send nothing are closed by the
/// idle timeout (`idle_timeout_s`), so a slowloris cannot hold the slots.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let count: ConnectionCount
    private var counted = false
    private var overLimit = false
    private var answered = false

    init(count: ConnectionCount) {
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        overLimit = !count.enter()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted {
            counted = false
            count.leave()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard overLimit else { return context.fireChannelRead(data) }
        if case .head = unwrapInboundIn(data), !answered {
            refuse(context, status: .serviceUnavailable, code: .unavailable,
                   message: "the collector has its \(count.limit) connections open; retry later", retryAfter: 5)
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
