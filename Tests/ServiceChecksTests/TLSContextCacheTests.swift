import Foundation
@testable import ServiceChecks
import Testing
import TestSupport

/// The service checks share one TLS context per trust (loading the CA store per handshake was most of an idle agent's
/// CPU); a changed `ca_file` or an old context is built again, so no stale trust is kept.
@Suite struct TLSContextCacheTests {
    static func makeCA(at path: String, name: String, in directory: URL) async throws {
        let key = directory.appendingPathComponent("\(name).key").path
        let run = try await runCapturing(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                          "-days", "2", "-subj", "/CN=\(name)", "-keyout", key, "-out", path])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func oneContextPerTrustUntilItsCAFileChangesOrItAges() async throws {
        try await withTemporaryDirectory { directory in
            let ca = directory.appendingPathComponent("ca.pem").path
            try await Self.makeCA(at: ca, name: "First CA", in: directory)
            let cache = TLSContextCache(maximumAge: .seconds(3600))
            let full = TLSContextCache.Key(caFile: ca, verification: .full, alpn: [])
            let first = try cache.context(full)
            #expect(try cache.context(full) === first, "the same trust: the same context")
            let noHostname = try cache.context(.init(caFile: ca, verification: .noHostname, alpn: []))
            #expect(noHostname !== first)
            let system = try cache.context(.init(caFile: nil, verification: .full, alpn: []))
            #expect(system !== first)
            #expect(cache.count == 3)

            // Another CA written over the file (a new file renamed into place, as editors and tools do): built again.
            try await Self.makeCA(at: ca + ".new", name: "Second CA", in: directory)
            #expect(rename(ca + ".new", ca) == 0)
            let second = try cache.context(full)
            #expect(second !== first)
            #expect(try cache.context(full) === second)
            // Past the maximum age (an updated system store): built again.
            #expect(try cache.context(full, now: .now + .seconds(3601)) !== second)
        }
    }
}
