import CollectorCore
import CollectorTestSupport
import Foundation
import TestSupport
import Testing

/// Issue 14, item 23: a secret that other users may read stops the start, naming the file and the fix.
@Suite struct SecretFileTests {
    @Test func passwordAndKeyFilesOpenToOthersAreRefused() async throws {
        try await withTemporaryDirectory { dir in
            let password = dir.appendingPathComponent("smtp-password")
            let key = dir.appendingPathComponent("collector.key")
            try "secret\n".write(to: password, atomically: true, encoding: .utf8)
            try "-----BEGIN PRIVATE KEY-----\n".write(to: key, atomically: true, encoding: .utf8)
            let config = dir.appendingPathComponent("collector.yaml")
            try """
                tls: {cert_file: collector.crt, key_file: collector.key}
                mail: {url: "smtp://127.0.0.1:2525", from: noc@example.vn, password_file: smtp-password}
                """.write(to: config, atomically: true, encoding: .utf8)
            func refusal() -> String? {
                do {
                    _ = try CollectorConfiguration.load(file: config.path)
                    return nil
                } catch {
                    return error.errors.map(\.description).joined(separator: "\n")
                }
            }
            chmod(password.path, 0o644)
            chmod(key.path, 0o600)
            let open = try #require(refusal())
            #expect(open.contains("mail.password_file") && open.contains(password.path) && open.contains("mode 644"), "\(open)")
            #expect(open.contains("chmod 600"), "\(open)")
            chmod(password.path, 0o640)
            chmod(key.path, 0o604)
            let keyOpen = try #require(refusal())
            #expect(keyOpen.contains("tls.key_file") && keyOpen.contains(key.path), "\(keyOpen)")
            chmod(key.path, 0o600)
            #expect(refusal() == nil)
        }
    }
}

/// Issue 14, item 24: `token issue --noc ""` issued an admin token with an empty name.
@Suite struct NOCUserNameTests {
    @Test func emptyBlankAndControlNamesAreRefused() async throws {
        try await withTemporaryDirectory { dir in
            let collector = try await makeCollector(in: dir)
            for name in ["", "   ", "alice\nadmin", String(repeating: "a", count: 65)] {
                let code = await errorCode { try await collector.tokens.issue(nocUser: name, role: .admin) }
                #expect(code == .badParameter, "\(name.debugDescription)")
            }
            #expect(try await collector.tokens.list().isEmpty)
            #expect(try await collector.tokens.issue(nocUser: "trực ban", role: .admin).record.name == "trực ban")
        }
    }
}
