import Foundation
import NIOCore
import NIOHTTP1
import ReadinessModel

/// `http`/`https`: GET the path, following redirects up to a limit, with phases resolve, connect, tls,
/// first_byte, transfer (summed over redirects). Not ok: a final status other than 2xx (`http_status_NNN`),
/// `redirect_loop`, `too_many_redirects`, `body_mismatch`, `body_too_large`, `http_timeout`, and the tcp/tls reasons.
/// HTTP/1.1 only for now.
public struct HTTPProbe: ServiceProbe {
    public init() {}

    public func run(_ target: ServiceTarget, deadline: ContinuousClock.Instant) async -> ServiceOutcome {
        var m = Measurement(target)
        let check = target.check, options = target.options
        let scheme = check.kind == .https ? "https" : "http"
        let path = check.path.map { $0.hasPrefix("/") ? $0 : "/" + $0 } ?? "/"
        guard var url = URL(string: "\(scheme)://\(Self.hostForURL(check.host)):\(target.port)\(path)") else {
            return m.finish(reason: "bad_url")
        }
        var visited: Set<String> = []
        var redirects = 0
        while true {
            guard let host = url.host, let urlScheme = url.scheme, urlScheme == "http" || urlScheme == "https" else {
                return m.finish(reason: "bad_redirect")
            }
            let port = url.port ?? (urlScheme == "https" ? 443 : 80)
            if !visited.insert(url.absoluteString).inserted { return m.finish(reason: "redirect_loop") }
            let addresses: [ResolvedAddress]
            switch await resolve(host, port: port) {
            case .success(let found): addresses = found
            case .failure(let error): return await m.failResolving(error, name: host, deadline: deadline)
            }
            m.phase("resolve")
            let serverName = options.serverName ?? host
            let (reason, channel) = await TLSStep.run(&m, addresses[0], port: port, serverName: serverName, caFile: options.caFile,
                                                      deadline: deadline, keepOpen: true, tls: urlScheme == "https")
            if let reason { return m.finish(reason: reason) }
            guard let channel else { return m.finish(reason: "connect_failed") }
            defer { channel.close(promise: nil) }
            let requestPath = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?" + $0 } ?? "")
            let response: HTTPResponse
            do {
                response = try await HTTPExchange.get(channel, host: serverName, port: port, path: requestPath,
                                                      maxBodyBytes: options.maxBodyBytes)
            } catch {
                // The wait is booked to the phase it was in: before the response's head is first_byte.
                // A channel closed before the request's handlers were even added fails them with a channel error.
                let failure = (error as? ProbeFailure) ?? (ProbeFailure.isClosed(error)
                    ? ProbeFailure(reason: "connection_closed", message: "the server closed the connection before the response (\(error))",
                                   phase: "first_byte")
                    : nil)
                let phase = failure?.phase ?? "first_byte"
                m.phase(phase)
                if reached(deadline) {
                    m.facts["error"] = phase == "first_byte" ? "no response before the deadline"
                        : "the body did not end before the deadline"
                    return m.finish(reason: "http_timeout")
                }
                m.facts["error"] = failure?.message ?? "\(error)"
                if failure?.reason == "connection_closed" { m.facts["closed_in"] = phase }
                return m.finish(reason: failure?.reason ?? "http_error")
            }
            m.phase("first_byte", at: response.firstByte)
            m.phase("transfer", at: response.end)
            m.facts["status"] = String(response.status)
            m.facts["body_bytes"] = String(response.body.count)
            m.facts["http_version"] = response.version
            if (300..<400).contains(response.status), let location = response.location {
                guard redirects < options.maxRedirects else { return m.finish(reason: "too_many_redirects") }
                guard let next = URL(string: location, relativeTo: url)?.absoluteURL else { return m.finish(reason: "bad_redirect") }
                redirects += 1
                m.facts["redirects"] = String(redirects)
                m.facts["final_url"] = next.absoluteString
                url = next
                continue
            }
            guard (200..<300).contains(response.status) else { return m.finish(reason: "http_status_\(response.status)") }
            if let expected = options.expectBody, !String(decoding: response.body, as: UTF8.self).contains(expected) {
                return m.finish(reason: "body_mismatch")
            }
            if urlScheme == "https" {
                m.stopClock()
                await TLSStep.recordChain(&m, addresses[0], port: port, serverName: serverName, deadline: deadline)
            }
            return m.finish(reason: nil)
        }
    }

    static func hostForURL(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}

struct HTTPResponse: Sendable {
    var status: Int
    var version: String
    var location: String?
    var body: [UInt8]
    var firstByte: ContinuousClock.Instant
    var end: ContinuousClock.Instant
}

enum HTTPExchange {
    static func get(_ channel: Channel, host: String, port: Int, path: String, maxBodyBytes: Int) async throws -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: [80, 443].contains(port) ? host : "\(host):\(port)")
        headers.add(name: "User-Agent", value: "sansang-agent/\(SansangVersion.current)")
        headers.add(name: "Accept", value: "*/*")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<HTTPResponse> in
            let promise = channel.eventLoop.makePromise(of: HTTPResponse.self)
            do {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(ResponseCollector(head: head, maxBodyBytes: maxBodyBytes, promise: promise))
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }.get()
    }
}

private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let maxBodyBytes: Int
    private let promise: EventLoopPromise<HTTPResponse>
    private var response: HTTPResponse?
    private var done = false

    init(head: HTTPRequestHead, maxBodyBytes: Int, promise: EventLoopPromise<HTTPResponse>) {
        self.head = head
        self.maxBodyBytes = maxBodyBytes
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Closed by the server before this handler was added: no event will ever come.
        guard context.channel.isActive else {
            finish(.failure(ProbeFailure(reason: "connection_closed", message: "the server closed the connection before the response",
                                         phase: "first_byte")))
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            let now = ContinuousClock.now
            response = HTTPResponse(status: Int(head.status.code), version: "\(head.version.major).\(head.version.minor)",
                                    location: head.headers.first(name: "Location"), body: [], firstByte: now, end: now)
        case .body(let buffer):
            response?.body += buffer.readableBytesView
            if (response?.body.count ?? 0) > maxBodyBytes {
                finish(.failure(ProbeFailure(reason: "body_too_large", message: "more than \(maxBodyBytes) bytes")))
                context.close(promise: nil)
            }
        case .end:
            if var response {
                response.end = .now
                finish(.success(response))
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(.failure(ProbeFailure.isClosed(error) ? closed() : ProbeFailure(reason: "http_error", message: "\(error)", phase: phase)))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(closed()))
        context.fireChannelInactive()
    }

    private var phase: String { response == nil ? "first_byte" : "transfer" }

    private func closed() -> ProbeFailure {
        if let response {
            return ProbeFailure(reason: "connection_closed", message: "the server closed the connection during the body, after \(response.body.count) bytes",
                                phase: "transfer")
        }
        return ProbeFailure(reason: "connection_closed", message: "the server closed the connection before the response", phase: "first_byte")
    }

    private func finish(_ result: Result<HTTPResponse, Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }
}
