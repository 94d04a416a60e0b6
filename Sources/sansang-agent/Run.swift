import AgentDaemon
import ArgumentParser
import CommandLineSupport
import Logging

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent daemon: fetch the plan, report every interval through the durable spool.",
        discussion: """
            Runs until SIGTERM or SIGINT (then flushes and exits 0). Under systemd (Type=notify) it sends \
            READY=1 once it has its configuration, its spool and a plan, and feeds the watchdog.
            A configuration error exits 2 and names file:line:column and the key.

            Example:
              sansang-agent run --config /etc/sansang/agent.yaml
            """)

    @Option(help: "The agent's configuration file.")
    var config = AgentConfiguration.defaultPath

    func run() async throws {
        let configuration = try loadConfiguration(config)
        LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
        do {
            try await AgentDaemon.run(configuration: configuration)
        } catch let error as AgentDaemon.StartError {
            throw ConfigurationError("sansang-agent: \(error)")
        }
    }
}

/// The agent configuration, or a ConfigurationError (exit 2) listing every problem as file:line:column: field: message.
func loadConfiguration(_ path: String) throws -> AgentConfiguration {
    do {
        return try AgentConfiguration.load(path: path)
    } catch {
        throw ConfigurationError(error.description)
    }
}
