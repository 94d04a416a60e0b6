import Foundation
import TestSupport
import Testing

/// Issue 14, items 23 and 4, at the start of `sansang-collector`: what it creates is for its user only whatever
/// umask it inherits, and a database it cannot create on a full disk stops it with a sentence saying what to do.
@Suite(.serialized) struct CollectorStartTests {
    static func config(in dir: URL, port: UInt16) throws -> String {
        let config = dir.appendingPathComponent("collector.yaml")
        try """
            listen: {host: 127.0.0.1, port: \(port)}
            database: {sqlite_path: collector.sqlite}
            inventory: [\(packageRoot.appendingPathComponent("inventory").path)]
            """.write(to: config, atomically: true, encoding: .utf8)
        return config.path
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, "\(path)")
    }

    /// Item 23: before, `serve` alone set umask 0077, so a database first created by `migrate` or `token issue`
    /// (what docs/collector.md has an operator run first) was 0644 under the usual umask 022: every local user could
    /// read the tokens' hashes and every report.
    @Test(arguments: [["migrate"], ["token", "issue", "--noc", "alice"], ["serve"]])
    func whatItCreatesIsForItsUserOnlyUnderUmask022(_ command: [String]) async throws {
        try await withTemporaryDirectory { dir in
            let port = try freeLoopbackPort(udp: false)
            let config = try Self.config(in: dir, port: port)
            let argv = ([try collectorBinary()] + command + ["--config", config]).map { "'\($0)'" }.joined(separator: " ")
            if command == ["serve"] {
                try await withDaemon(["sh", "-c", "umask 022 && exec \(argv)"], log: dir.appendingPathComponent("serve.log")) { server in
                    try await waitUntil(timeout: 20, "listening") { server.log.contains("listening on http://127.0.0.1:\(port)") }
                }
            } else {
                let result = try await runCapturing(["sh", "-c", "umask 022 && exec \(argv)"])
                #expect(result.status == 0, "\(result.stderr)")
            }
            let created = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("collector.sqlite") }
            #expect(created.contains("collector.sqlite"), "\(created)")
            for name in created {
                let mode = try Self.mode(dir.appendingPathComponent(name).path)
                #expect(mode & 0o077 == 0, "\(command): \(name) is \(String(mode, radix: 8))")
            }
        }
    }

    /// Item 4: a database that cannot be created because its disk is full (a real 1 MiB tmpfs, filled) stops
    /// `migrate` and `serve` with exit 2 and a sentence saying what to do, not a stack of SQLite codes.
    @Test(.enabled(if: getuid() == 0, "mounts a tmpfs: needs root (CI runs as root)"))
    func aDatabaseOnAFullDiskStopsTheStartWithAClearError() async throws {
        try await withTemporaryDirectory { dir in
            let mount = dir.appendingPathComponent("small")
            try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
            _ = try await run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.path])
            try await withCleanup {
                let config = try Self.config(in: mount, port: try freeLoopbackPort(udp: false))
                // Fill what is left (dd stops at ENOSPC and fails: expected).
                _ = try? await runCapturing(["dd", "if=/dev/zero", "of=\(mount.appendingPathComponent("filler").path)", "bs=4k"])
                for command in [["migrate"], ["serve"]] {
                    let result = try await runProgram("sansang-collector", command + ["--config", config])
                    #expect(result.status == 2, "\(command): \(result.stderr)")
                    #expect(result.stderr.contains("cannot open the database: the disk is full; free space on its filesystem"),
                            "\(command): \(result.stderr)")
                }
            } cleanup: { _ = try? await run(["umount", "-l", mount.path]) }
        }
    }
}
