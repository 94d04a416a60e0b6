import AgentDaemon
import ArgumentParser
import ReadinessModel
import CommandLineSupport
import FieldCheck

@main
struct SansangAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sansang-agent",
        abstract: "The sansang agent of a commune or ward office: speed evidence, throughput, services, reports.",
        discussion: """
            Examples, on the office server:
              sudo sansang-agent enroll --collector https://collector.tinh.example:8470 --site 20242 --code 7KQ4-M2XD-9PHA
              sansang-agent check --inventory /etc/sansang/inventory --site 20242
              sansang-agent run --config /etc/sansang/agent.yaml
              sansang-agent spool status
            """,
        version: SansangVersion.current,
        subcommands: [Check.self, Probe.self, Run.self, Enroll.self, SpoolCommand.self])

    static func main() async {
        ProcessFootprint.apply()
        await CommandLineMain.run(Self.self)
    }
}
