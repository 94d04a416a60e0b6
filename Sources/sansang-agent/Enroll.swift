import AgentDaemon
import AgentProbes
import ArgumentParser
import CommandLineSupport
import FieldCheck
import Foundation
import Presentation
import ReadinessModel
import SansangAPI
import YAMLConfig

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol this office: exchange the one-time code from the NOC for the site token.",
        discussion: """
            Checks the collector's certificate (against --fingerprint when the NOC read one out, else against the \
            system's CAs), exchanges the code (once), then writes the token to CONFIG-DIR/token (mode 0600, owner \
            sansang or sansang-agent when run as root), pins the collector's CA in CONFIG-DIR/collector-ca.pem when the collector \
            has a private one, writes CONFIG-DIR/agent.yaml when there is none, runs the check once and says \
            what is ready, what is not and how to start the service. On any refusal nothing is written.
            A refusal (wrong, used or expired code, wrong site, fingerprint mismatch) exits 1; bad arguments 2.

            Example (the NOC gives the code and fingerprint from `sansang-collector enroll issue`):
              sudo sansang-agent enroll --collector https://collector.tinh.example:8470 --site 20242 \\
                  --code 7KQ4-M2XD-9PHA --fingerprint sha256:3B:1F:…:9C
            """)

    @Option(help: "The collector's URL (https://; http:// only to loopback).")
    var collector: String

    @Option(help: "This office's site code.")
    var site: String

    @Option(help: "The one-time code read out by the NOC (case, spaces and dashes do not matter).")
    var code: String

    @Option(help: "The collector certificate's SHA-256 fingerprint read out by the NOC (sha256:AB:CD:…).")
    var fingerprint: String?

    @Option(name: .customLong("config-dir"), help: "Where token, collector-ca.pem and agent.yaml go.")
    var configDirectory = "/etc/sansang"

    @Option(name: .customLong("state-dir"), help: "The state directory written into a new agent.yaml.")
    var stateDirectory = "/var/lib/sansang-agent"

    @Option(name: .customLong("lldp-wait"), help: "Seconds the check listens for the LLDP neighbour and measures traffic.")
    var lldpWait = 5.0

    @Option(help: "Language of the messages: vi or en.")
    var lang: Language = .vi

    func run() async throws {
        let words = EnrolWords(language: lang)
        guard let url = URL(string: collector), url.host != nil else {
            throw ConfigurationError(words.badURL(collector))
        }
        let outcome: AgentEnrolment.Outcome
        do {
            outcome = try await AgentEnrolment.enroll(collector: url, site: site, code: code, fingerprint: fingerprint)
        } catch {
            printError(words.refusal(error, site: site))
            throw ExitCode(1)
        }
        let directory = URL(fileURLWithPath: configDirectory)
        let configFile = directory.appendingPathComponent("agent.yaml").path
        var existing: AgentConfiguration?
        // The package's agent.yaml holds only comments (every key at its default, commented out): it is filled in
        // like a missing one, its comments kept below the settings as their reference.
        let packagedDefaults = (try? String(contentsOfFile: configFile, encoding: .utf8)).flatMap { text in
            text.split(separator: "\n").allSatisfy { line in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return trimmed.isEmpty || trimmed.hasPrefix("#")
            } ? text : nil
        }
        if FileManager.default.fileExists(atPath: configFile), packagedDefaults == nil {
            existing = try? AgentConfiguration.load(path: configFile)
        }
        let writesConfig = !FileManager.default.fileExists(atPath: configFile) || packagedDefaults != nil
        // The package's file keeps its owner and mode (root:sansang 0640): the agent reads it, others do not.
        var packaged = stat()
        let keepsOwnership = packagedDefaults != nil && stat(configFile, &packaged) == 0
        let tokenFile = existing?.collector.tokenFile ?? directory.appendingPathComponent("token").path
        let caFile = directory.appendingPathComponent("collector-ca.pem").path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if let ca = outcome.response.caPEM { try SecretFile.writeAtomically(ca, to: caFile, mode: 0o644) }
            try SecretFile.writeAtomically(outcome.response.token + "\n", to: tokenFile, mode: 0o600, owners: ["sansang", "sansang-agent"])
            if writesConfig {
                var pin = outcome.response.caPEM == nil ? "" : "\n  pinned_ca_file: \(caFile)"
                if let key = outcome.publicKey { pin += "\n  pinned_public_keys: [\"\(key)\"]" }
                try SecretFile.writeAtomically("""
                    # Written by sansang-agent enroll; see docs/agent.md for every key.
                    site: "\(site)"
                    collector:
                      url: \(collector)
                      token_file: \(tokenFile)\(pin)
                    state_directory: \(stateDirectory)
                    uplink: auto

                    """ + (packagedDefaults.map { "\n" + $0 } ?? ""), to: configFile, mode: keepsOwnership ? packaged.st_mode & 0o777 : 0o644)
                if keepsOwnership, geteuid() == 0 { chown(configFile, packaged.st_uid, packaged.st_gid) }
            }
        } catch {
            throw ConfigurationError(words.cannotWrite("\(error)"))
        }
        print(words.enrolled(site: site, tokenFile: tokenFile, fingerprint: outcome.fingerprint,
                             pinned: outcome.response.caPEM == nil ? nil : caFile, publicKey: outcome.publicKey, configFile: configFile,
                             configKept: !writesConfig))
        await readiness(configFile: configFile, words: words)
    }

    /// The check once: the configuration, the collector with the new token, the state directory, the LAN.
    func readiness(configFile: String, words: EnrolWords) async {
        var ready = true
        func line(_ ok: Bool, _ text: String) {
            if !ok { ready = false }
            print((ok ? "  ✓ " : "  ✗ ") + text)
        }
        print("")
        print(words.checking)
        let configuration: AgentConfiguration
        do {
            configuration = try AgentConfiguration.load(path: configFile)
            line(true, words.configOK(configFile))
        } catch {
            line(false, words.configBad(configFile, error.description))
            print(words.fixThenStart)
            return
        }
        do {
            let http = try CollectorClient.makeHTTPClient(configuration.collector)
            let answer: Result<CollectorClient.PlanAnswer, any Error>
            do {
                answer = .success(try await CollectorClient(http: http, configuration: configuration.collector).fetchPlan(etag: nil))
            } catch {
                answer = .failure(error)
            }
            try? await http.shutdown()
            _ = try answer.get()
            line(true, words.collectorOK(configuration.collector.url.absoluteString))
        } catch {
            line(false, words.collectorBad(configuration.collector.url.absoluteString, "\(error)"))
        }
        let state = configuration.stateDirectory.path
        line(access(state, W_OK) == 0, access(state, W_OK) == 0 ? words.stateOK(state) : words.stateBad(state))
        let wait = Duration.milliseconds(Int(max(0, lldpWait) * 1000))
        let result = await FieldCheck(configuration: FieldCheck.Configuration(
            site: Site(code: configuration.site, name: configuration.site, type: .xa),
            evidence: .init(uplink: configuration.uplink, upstreamSwitch: configuration.upstreamSwitch, lldp: .init(wait: wait),
                            traffic: wait >= .seconds(1) ? TrafficMeter.Configuration(window: wait) : nil))).run()
        line(result.exitCode == 0, words.lan(result.exitCode))
        print(FieldCheckTable(language: lang).render(result), terminator: "")
        print("")
        print(ready ? words.start : words.fixThenStart)
    }
}

/// What `enroll` says, in Vietnamese or English.
struct EnrolWords {
    let language: Language
    func t(_ vi: String, _ en: String) -> String { language == .vi ? vi : en }

    func badURL(_ url: String) -> String {
        t("--collector \(url) không phải là một địa chỉ URL (ví dụ https://collector.tinh.example:8470)",
          "--collector \(url) is not a URL (e.g. https://collector.tinh.example:8470)")
    }

    func refusal(_ error: AgentEnrolment.Failure, site: String) -> String {
        let nothing = t("Chưa ghi tệp nào.", "Nothing was written.")
        let text: String
        switch error.kind {
        case .insecureURL:
            text = t("Địa chỉ collector phải bắt đầu bằng https:// (http:// chỉ dùng được với máy này, 127.0.0.1).",
                     "The collector's address must start with https:// (http:// only for this machine, 127.0.0.1).")
        case .badFingerprint:
            text = t("Dấu vân tay (--fingerprint) không đúng dạng: cần sha256: và 64 chữ số hex, như NOC đọc cho bạn.",
                     "The fingerprint (--fingerprint) is malformed: it is sha256: and 64 hex digits, as the NOC reads it.")
        case .fingerprintMismatch(let expected, let presented):
            text = t("""
                Dấu vân tay chứng chỉ KHÔNG KHỚP — có thể bạn đang kết nối tới một máy khác collector của tỉnh.
                  NOC đọc:           \(expected)
                  máy chủ trình ra:  \(presented)
                Hãy gọi lại NOC để kiểm tra địa chỉ và dấu vân tay.
                """, """
                The certificate fingerprint DOES NOT MATCH — this may not be the province's collector.
                  read by the NOC:   \(expected)
                  presented:         \(presented)
                Call the NOC back to check the address and the fingerprint.
                """)
        case .untrusted:
            text = t("Không xác minh được chứng chỉ của collector (\(error.detail)). Nếu collector dùng CA riêng của tỉnh, "
                     + "hãy thêm --fingerprint mà NOC đọc cho bạn.",
                     "The collector's certificate cannot be verified (\(error.detail)). If the collector uses the province's "
                     + "own CA, add the --fingerprint the NOC reads to you.")
        case .unreachable:
            text = t("Không kết nối được tới collector (\(error.detail)). Kiểm tra địa chỉ, cổng và tường lửa.",
                     "Cannot reach the collector (\(error.detail)). Check the address, the port and the firewall.")
        case .refused(let code):
            switch code {
            case "enrolment_code_unknown":
                text = t("Mã đăng ký không đúng. Hãy đọc lại từng ký tự với NOC (mã không có chữ O, I, L và số 0, 1).",
                         "The enrolment code is wrong. Read it again with the NOC (codes have no O, I, L, 0 or 1).")
            case "enrolment_code_used":
                text = t("Mã đăng ký này đã được dùng. Mỗi mã chỉ dùng một lần: hãy xin NOC một mã mới.",
                         "This enrolment code was already used. Each code works once: ask the NOC for a new one.")
            case "enrolment_code_expired":
                text = t("Mã đăng ký đã hết hạn. Hãy xin NOC một mã mới.",
                         "The enrolment code has expired. Ask the NOC for a new one.")
            case "site_mismatch":
                text = t("Mã đăng ký này không dành cho trạm \(site). Kiểm tra lại mã trạm (--site) với NOC.",
                         "This enrolment code is not for site \(site). Check the site code (--site) with the NOC.")
            case "rate_limited":
                text = t("Đã thử quá nhiều lần. Hãy đợi một phút rồi thử lại.",
                         "Too many attempts. Wait a minute and try again.")
            default:
                text = t("Collector từ chối: \(code) (\(error.detail)).", "The collector refused: \(code) (\(error.detail)).")
            }
        case .badAnswer:
            text = t("Collector trả lời không hợp lệ (\(error.detail)).", "The collector's answer is invalid (\(error.detail)).")
        }
        return text + "\n" + nothing
    }

    func cannotWrite(_ detail: String) -> String {
        t("Không ghi được tệp cấu hình: \(detail) (hãy chạy bằng sudo).", "Cannot write the configuration: \(detail) (run with sudo).")
    }

    func enrolled(site: String, tokenFile: String, fingerprint: String?, pinned: String?, publicKey: String?, configFile: String,
                  configKept: Bool) -> String {
        var lines = [t("Đã đăng ký trạm \(site) với collector.", "Site \(site) is enrolled with the collector.")]
        if let fingerprint { lines.append(t("  dấu vân tay khớp: \(fingerprint)", "  fingerprint matches: \(fingerprint)")) }
        lines.append(t("  mã thông báo (token): \(tokenFile) (chỉ chủ sở hữu đọc được)", "  token: \(tokenFile) (readable by its owner only)"))
        if let pinned { lines.append(t("  CA của collector đã ghim: \(pinned)", "  the collector's CA is pinned: \(pinned)")) }
        if let publicKey {
            lines.append(configKept
                ? t("  khóa công khai của collector: \(publicKey) — để ghim, thêm vào \(configFile): collector.pinned_public_keys: [\"\(publicKey)\"]",
                    "  the collector's public key: \(publicKey) — to pin it, add to \(configFile): collector.pinned_public_keys: [\"\(publicKey)\"]")
                : t("  khóa công khai của collector đã ghim: \(publicKey)", "  the collector's public key is pinned: \(publicKey)"))
        }
        lines.append(configKept ? t("  \(configFile) đã có sẵn, giữ nguyên", "  \(configFile) exists, kept as it is")
                                : t("  đã tạo \(configFile)", "  wrote \(configFile)"))
        return lines.joined(separator: "\n")
    }

    var checking: String { t("Kiểm tra một lần:", "Checking once:") }
    func configOK(_ file: String) -> String { t("cấu hình \(file) hợp lệ", "configuration \(file) is valid") }
    func configBad(_ file: String, _ detail: String) -> String {
        t("cấu hình \(file) có lỗi:\n\(detail)", "configuration \(file) has errors:\n\(detail)")
    }
    func collectorOK(_ url: String) -> String {
        t("collector \(url) trả lời qua kết nối đã xác minh, token được chấp nhận",
          "the collector \(url) answers over a verified connection and accepts the token")
    }
    func collectorBad(_ url: String, _ detail: String) -> String {
        t("collector \(url) chưa trả lời được: \(detail)", "the collector \(url) does not answer yet: \(detail)")
    }
    func stateOK(_ path: String) -> String { t("thư mục trạng thái \(path) ghi được", "state directory \(path) is writable") }
    func stateBad(_ path: String) -> String {
        t("thư mục trạng thái \(path) chưa có hoặc không ghi được (gói cài đặt tạo nó; hoặc: sudo systemd-tmpfiles --create)",
          "state directory \(path) is missing or not writable (the package creates it; or: sudo systemd-tmpfiles --create)")
    }
    func lan(_ code: Int32) -> String {
        code == 0 ? t("mạng LAN của trạm: sẵn sàng", "the office LAN: ready")
            : t("mạng LAN của trạm: chưa sẵn sàng hoặc chưa rõ (xem bảng dưới)", "the office LAN: not ready or unknown (see the table)")
    }
    var start: String {
        t("Mọi thứ đã sẵn sàng. Khởi động dịch vụ:\n  sudo systemctl enable --now sansang-agent\nrồi xem nhật ký: journalctl -u sansang-agent -f",
          "Everything is ready. Start the service:\n  sudo systemctl enable --now sansang-agent\nthen watch its log: journalctl -u sansang-agent -f")
    }
    var fixThenStart: String {
        t("Hãy sửa các mục ✗ ở trên (mục mạng LAN có thể để sau), rồi khởi động dịch vụ:\n  sudo systemctl enable --now sansang-agent",
          "Fix the ✗ items above (the LAN item can wait), then start the service:\n  sudo systemctl enable --now sansang-agent")
    }
}
