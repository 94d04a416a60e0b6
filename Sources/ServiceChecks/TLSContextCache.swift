import Foundation
import NIOSSL
import Synchronization

/// TLS client contexts shared by every check with the same trust and verification. Building a context loads and
/// parses its trust store (the system's ~140 CAs, or the `ca_file`); done for every handshake it was two thirds of
/// an idle agent's CPU (docs/performance.md). A context is built again once it is `maximumAge` old, so that an
/// updated system store is used within the hour, and at once when its `ca_file` changes (inode, size or
/// modification time). A handshake that only records the chain trusts nothing and loads no store.
final class TLSContextCache: Sendable {
    struct Key: Hashable, Sendable {
        var caFile: String?
        var verification: Connection.Verification
        var alpn: [String]
    }

    private struct Entry {
        var context: NIOSSLContext
        var built: ContinuousClock.Instant
        var caFileStamp: FileStamp?
    }

    /// What tells a changed CA file from the one a context was built from.
    struct FileStamp: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int

        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            seconds = Int(info.st_mtim.tv_sec)
            nanoseconds = Int(info.st_mtim.tv_nsec)
        }
    }

    static let shared = TLSContextCache()

    let maximumAge: Duration
    private let entries = Mutex<[Key: Entry]>([:])

    init(maximumAge: Duration = .seconds(3600)) {
        self.maximumAge = maximumAge
    }

    /// The context for `key`, built now when there is none yet, it is too old, or its CA file changed.
    func context(_ key: Key, now: ContinuousClock.Instant = .now) throws -> NIOSSLContext {
        let stamp = key.caFile.flatMap(FileStamp.init)
        if let entry = entries.withLock({ $0[key] }), now - entry.built < maximumAge, entry.caFileStamp == stamp {
            return entry.context
        }
        // Built outside the lock: two checks missing at once both build, and the later one is kept.
        let context = try NIOSSLContext(configuration: Self.configuration(key))
        entries.withLock { $0[key] = Entry(context: context, built: now, caFileStamp: stamp) }
        return context
    }

    /// How many contexts are kept (one per distinct trust, verification and ALPN among the plan's checks).
    var count: Int { entries.withLock { $0.count } }

    static func configuration(_ key: Key) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch key.verification {
        case .recordOnly:
            // The handshake's verification callback accepts any chain (it only records it): no store is consulted.
            configuration.trustRoots = .certificates([])
            configuration.certificateVerification = .noHostnameVerification
        case .full, .noHostname:
            configuration.trustRoots = key.caFile.map { .file($0) } ?? .default
            configuration.certificateVerification = key.verification == .full ? .fullVerification : .noHostnameVerification
        }
        configuration.applicationProtocols = key.alpn
        return configuration
    }
}
