import CollectorCore
import Foundation
import TestSupport
import Testing

/// Issue 14, item 22: the collector speaks TLS 1.2 and 1.3, never 1.0 or 1.1 (before: both were accepted).
@Suite struct TLSVersionTests {
    @Test func tlsBelowOnePointTwoIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let (certificate, key) = try await makeLoopbackCertificate(in: dir)
            try await APIFixture.run(configure: { $0.tls = .init(certFile: certificate.path, keyFile: key.path) }) { _, client in
                let port = try #require(client.port)
                func handshake(_ version: String) async throws -> ProgramRun {
                    // SECLEVEL=0: let this openssl client offer the old versions at all.
                    try await runCapturing(["openssl", "s_client", "-connect", "127.0.0.1:\(port)", version, "-cipher", "DEFAULT@SECLEVEL=0",
                                      "-CAfile", certificate.path, "-verify_return_error"])
                }
                for old in ["-tls1", "-tls1_1"] {
                    let refused = try await handshake(old)
                    #expect(refused.status != 0, "\(old) was accepted: \(refused.stdout.prefix(400))")
                }
                let accepted = try await handshake("-tls1_2")
                #expect(accepted.status == 0, "\(accepted.stderr.prefix(400))")
                #expect(accepted.stdout.contains("TLSv1.2"))
            }
        }
    }
}
