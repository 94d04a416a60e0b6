import ArgumentParser
import CertificateTools
import CollectorCore
import CollectorHTTP
import CommandLineSupport
import Foundation
import Inventory

struct TLSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "Certificates for the collector's HTTPS.",
        subcommands: [TLSInit.self]
    )
}

struct TLSInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make a private CA and a server certificate, for a province without a PKI.",
        discussion: """
            Writes into DIR: ca.pem (the CA's certificate, which enrolled agents pin), ca.key (keep it offline \
            once the server certificate is made), server.pem (the server certificate followed by the CA's) and \
            server.key. Keys are P-256, files holding keys mode 0600. Existing files are never overwritten. \
            Then add to collector.yaml the tls: lines it prints and restart the collector (or, to replace a \
            certificate later, write the new pair over the old and send SIGHUP: new connections get it, open \
            ones keep theirs). See docs/collector.md.

            Example:
              sansang-collector tls init --dir /etc/sansang/tls --name collector.tinh.example --name 10.20.0.5
            """
    )

    @Option(help: "Directory to write the files into (created mode 0750 when missing).")
    var dir: String

    @Option(name: .customLong("name"), help: "A DNS name or IP address agents use to reach the collector (repeatable).")
    var names: [String] = []

    @Option(help: "Days the server certificate is valid (the CA: ten years).")
    var days = 825

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("Give at least one --name (the collector's DNS name or address).") }
        guard (1...3650).contains(days) else { throw ValidationError("--days must be between 1 and 3650.") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: dir)
        let files = ["ca.pem", "ca.key", "server.pem", "server.key"].map { directory.appendingPathComponent($0).path }
        if let existing = files.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw ConfigurationError("\(existing) exists already; tls init never overwrites a certificate or key")
        }
        let material: CollectorTLS.Material
        do {
            material = try CollectorTLS.makeMaterial(names: names, serverDays: days)
        } catch {
            throw ConfigurationError("tls init: \(error)")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
            let contents = [material.caCertificate, material.caKey, material.serverChain, material.serverKey]
            let modes: [mode_t] = [0o644, 0o600, 0o644, 0o600]
            for index in files.indices {
                try writeNew(files[index], contents[index], mode: modes[index])
            }
        } catch {
            throw ConfigurationError("tls init: \(error)")
        }
        print("""
            wrote \(files.joined(separator: ", "))
            fingerprint of the server certificate: \(try CollectorTLS.fingerprint(pem: material.serverChain))
            add to collector.yaml:
              tls:
                cert_file: \(files[2])
                key_file: \(files[3])
                ca_file: \(files[0])
            """)
    }
}

/// Creates `path` with `mode` (never replacing a file) and writes `text`.
func writeNew(_ path: String, _ text: String, mode: mode_t) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard descriptor >= 0 else { throw ConfigurationError("\(path): \(String(cString: strerror(errno)))") }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    try handle.write(contentsOf: Data(text.utf8))
    try handle.synchronize()
    fchmod(descriptor, mode)
}

struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "One-time codes with which an office's agent fetches its site token.",
        subcommands: [EnrollIssue.self]
    )
}

struct EnrollIssue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a one-time enrolment code for a site and print it with the certificate's fingerprint.",
        discussion: """
            The code (12 letters and digits without look-alikes, e.g. 7KQ4-M2XD-9PHA) is read to the office's \
            IT officer over the phone, with the fingerprint when the collector's certificate is not from a \
            public CA; on the office server they run `sansang-agent enroll`. The code works once, until it \
            expires (--ttl: 30m, 24h, 7d; at most 7d); only its SHA-256 is stored.

            Example:
              sansang-collector enroll issue 20242 --ttl 24h
            """
    )

    @OptionGroup var options: ConfigOption

    @Argument(help: "The site code of the office.")
    var site: String

    @Option(help: "How long the code stays valid: a number and s, m, h or d.")
    var ttl = "24h"

    @Option(help: "The collector's URL agents use, printed in the agent's command (default: from listen and tls).")
    var url: String?

    func run() async throws {
        guard let seconds = parseDuration(ttl), seconds > 0, seconds <= Enrolment.maximumTTL else {
            throw ConfigurationError("--ttl \(ttl): give a duration like 30m, 24h or 7d, at most 7d")
        }
        let configuration = try options.load()
        let inventory = try options.inventory(configuration)
        guard inventory.site(code: site)?.hasOffice == true else {
            throw ConfigurationError("site \(site) is not an office in the inventory (\(configuration.inventory.joined(separator: ", ")))")
        }
        var fingerprint: String?
        if let tls = configuration.tls {
            do {
                fingerprint = try ReloadableCertificate(certFile: tls.certFile, keyFile: tls.keyFile).fingerprint
            } catch {
                throw ConfigurationError("\(error)")
            }
        }
        let store = try await options.store(configuration)
        let now = Date()
        let code = try await Enrolment(store: store).issue(site: site, ttl: seconds, now: now)
        let scheme = configuration.tls == nil ? "http" : "https"
        let collectorURL = url ?? "\(scheme)://\(configuration.listen.host):\(configuration.listen.port)"
        print("site:        \(site)")
        print("code:        \(code)")
        print("expires:     \(now.addingTimeInterval(seconds).formatted(.iso8601))")
        if let fingerprint { print("fingerprint: \(fingerprint)") }
        print("")
        print("on the office server:")
        print("  sudo sansang-agent enroll --collector \(collectorURL) --site \(site) --code \(code)"
              + (fingerprint.map { " \\\n      --fingerprint \($0)" } ?? ""))
    }
}

/// `90s`, `30m`, `24h`, `7d` → seconds.
func parseDuration(_ text: String) -> TimeInterval? {
    guard let unit = text.last, let number = Double(text.dropLast()) else { return nil }
    switch unit {
    case "s": return number
    case "m": return number * 60
    case "h": return number * 3600
    case "d": return number * 86400
    default: return nil
    }
}
