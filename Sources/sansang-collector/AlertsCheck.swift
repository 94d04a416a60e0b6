import Alerting
import ArgumentParser
import CommandLineSupport
import Foundation
import Presentation

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Check alert rule, route and receiver files.",
        subcommands: [AlertsCheck.self]
    )
}

struct AlertsCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate alert files (alerts/*.yaml) and list their rules, routes and receivers.",
        discussion: """
            Reads one file, or every *.yaml / *.yml file of a directory (in name order), and checks them together \
            (unique rule and receiver names, routes naming known receivers, valid conditions and templates).

            Exit status: 0 when valid; 2 when not, with every problem on standard error as
            file:line:column: field: message

            Examples:
              sansang-collector alerts check alerts/
              sansang-collector alerts check /etc/sansang/alerts --lang en
            """
    )

    @Argument(help: "An alert file or a directory of them.")
    var path: String = "alerts"

    @Option(help: "Language of the listing: vi or en.")
    var lang: Language = .vi

    func run() throws {
        let configuration: AlertConfiguration
        do {
            configuration = try AlertConfiguration.load(path: path)
        } catch {
            error.errors.forEach { printError($0.description) }
            printError(lang.pick("Tệp cảnh báo không hợp lệ: \(error.errors.count) lỗi.", "Alert files invalid: \(error.errors.count) error(s)."))
            throw ExitCode(2)
        }
        let t = lang.pick
        print(t("Quy tắc (\(configuration.rules.count)):", "Rules (\(configuration.rules.count)):"))
        for rule in configuration.rules {
            var when: [String] = []
            if let verdicts = rule.condition.verdicts { when.append("verdict ∈ {\(verdicts.map(\.rawValue).sorted().joined(separator: ", "))}") }
            if let reasons = rule.condition.reasons { when.append("reason ∈ {\(reasons.map(\.description).joined(separator: ", "))}") }
            if let metric = rule.condition.metric {
                when.append("\(metric.series)" + (metric.below.map { " < \($0)" } ?? "") + (metric.above.map { " > \($0)" } ?? ""))
            }
            if let silent = rule.condition.silentForSeconds { when.append("silent ≥ \(silent) s") }
            var holds: [String] = []
            if rule.forSeconds > 0 { holds.append(t("trong \(rule.forSeconds) s", "for \(rule.forSeconds) s")) }
            if rule.forChecks > 1 { holds.append(t("\(rule.forChecks) lần đo", "\(rule.forChecks) checks")) }
            print("  \(rule.name) [\(rule.severity.rawValue)]: \(when.joined(separator: " ∧ "))"
                  + (holds.isEmpty ? "" : " (\(holds.joined(separator: ", ")))"))
        }
        print(t("Tuyến (\(configuration.routes.count)):", "Routes (\(configuration.routes.count)):"))
        for route in configuration.routes {
            let match = route.match.isEmpty ? "*" : route.match.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            print("  \(match) → \(route.receivers.joined(separator: ", ")); group_by \(route.groupBy.joined(separator: ",")), "
                  + "group_wait \(route.groupWaitSeconds) s" + (route.continueMatching ? ", continue" : ""))
        }
        print(t("Nơi nhận (\(configuration.receivers.count)):", "Receivers (\(configuration.receivers.count)):"))
        for (name, receiver) in configuration.receivers.sorted(by: { $0.key < $1.key }) {
            let kind = switch receiver.kind {
            case .email(let to, let language): "email \(to.joined(separator: ", ")) (\(language.rawValue))"
            case .webhook(let url, _, _): "webhook \(url)"
            case .alertmanager(let url): "alertmanager \(url)"
            case .snmp(let target): "snmp \(target.name)"
            }
            print("  \(name): \(kind)")
        }
        let unrouted = configuration.routes.isEmpty
        if unrouted { printError(t("Chú ý: không có tuyến nào, cảnh báo sẽ không được gửi.", "Note: no routes; alerts will not be sent.")) }
    }
}
