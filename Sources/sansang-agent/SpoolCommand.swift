import AgentDaemon
import ArgumentParser
import CommandLineSupport
import Foundation
import Presentation
import ReadinessModel
import Spool

struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool", abstract: "Look at the agent's report spool.", subcommands: [SpoolStatusCommand.self])
}

struct SpoolStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Reports waiting to be sent, the oldest, the last acknowledgement and error, losses.",
        discussion: """
            Reads the spool without locking or changing it, so it is safe while the agent runs.

            Examples:
              sansang-agent spool status
              sansang-agent spool status --config /etc/sansang/agent.yaml --json
            """)

    @Option(help: "The agent's configuration file (for state_directory).")
    var config = AgentConfiguration.defaultPath

    @Flag(help: "Print the status as JSON.")
    var json = false

    @Option(help: "Language: vi or en.")
    var lang: Language = .vi

    func run() async throws {
        let configuration = try loadConfiguration(config)
        let status: SpoolStatus
        do {
            status = try Spool.status(directory: configuration.spoolDirectory)
        } catch {
            throw ConfigurationError(error.description)
        }
        if json {
            print(String(decoding: try ReportCoding.encoder(pretty: true).encode(status), as: UTF8.self))
        } else {
            print(SpoolStatusText(language: lang).render(status), terminator: "")
        }
    }
}

/// `spool status` for people, in Vietnamese (default) or English.
struct SpoolStatusText {
    let language: Language

    func render(_ status: SpoolStatus) -> String {
        let vi = language == .vi
        let never = vi ? "chưa có" : "never"
        func time(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? never }
        var rows: [(String, String)] = [
            (vi ? "Thư mục" : "Directory", status.directory),
            (vi ? "Báo cáo chờ gửi" : "Reports waiting", "\(status.depth)"),
            (vi ? "Dung lượng" : "Size", "\(status.bytes) B"),
            (vi ? "Báo cáo cũ nhất" : "Oldest report", status.depth == 0 ? "—" : time(status.oldestGeneratedAt)),
            (vi ? "Xác nhận gần nhất" : "Last acknowledged", time(status.lastAcknowledgedAt)),
            (vi ? "Lỗi gần nhất" : "Last error", status.lastError.map { "\(time($0.at)) \($0.message)" } ?? "—"),
            (vi ? "Đã xác nhận" : "Acknowledged", "\(status.acknowledgedReports)"),
            (vi ? "Bản ghi hỏng" : "Corrupt records", "\(status.corruptRecords)"),
            (vi ? "Ghi dở dang" : "Interrupted writes", "\(status.interruptedWrites)"),
            (vi ? "Đã bỏ (giới hạn)" : "Dropped (bounds)", "\(status.droppedReports)"),
            (vi ? "Bị từ chối" : "Rejected", "\(status.rejectedReports)"),
            (vi ? "Không ghi được" : "Could not be stored", "\(status.unspooledReports)"),
        ]
        if let rebuild = status.lastStateRebuild {
            rows.append((vi ? "Dựng lại state.json" : "state.json rebuilt", "\(status.stateRebuilds)× — \(time(rebuild.at)) \(rebuild.message)"))
        }
        for pending in status.pendingGaps {
            let gap = pending.gap
            rows.append((vi ? "Khoảng trống chờ gửi" : "Pending gap",
                         "boot \(pending.boot.bootId): \(gap.count) (seq \(gap.firstSeq)…\(gap.lastSeq), \(time(gap.from)) … \(time(gap.to)))"))
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 + "\n" }.joined()
    }
}
