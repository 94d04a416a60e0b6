import ArgumentParser
import CollectorCore
import CollectorDashboard
import CollectorStore
import CommandLineSupport
import Foundation

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Dashboard users: add, list, disable, set a password (docs/dashboard.md).",
        subcommands: [UserAdd.self, UserList.self, UserDisable.self, UserPassword.self]
    )
}

/// The password in a file (first line, without its line break): never on the command line, where `ps` shows it.
struct PasswordFileOption: ParsableArguments {
    @Option(name: .customLong("password-file"), help: "A file whose first line is the password (at least 10 characters).")
    var passwordFile: String

    func read() throws -> String {
        guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
            throw ConfigurationError("\(passwordFile): cannot read the password file")
        }
        let password = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return password.hasSuffix("\r") ? String(password.dropLast()) : password
    }
}

/// A user command's failure (no such user, a short password) as a configuration error naming it.
private func userError(_ error: any Error) -> any Error {
    if let error = error as? CollectorError { return ConfigurationError(error.message) }
    return error
}

struct UserAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a dashboard user with a role: read (sees everything, changes nothing) or admin (adds and expires silences).",
        discussion: """
            Example:
              sansang-collector user add tuan --role admin --password-file /root/tuan.pw
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: "The user name (no spaces or colons).") var name: String
    @Option(help: "read or admin.") var role: String = "read"
    @OptionGroup var password: PasswordFileOption

    func validate() throws {
        guard TokenRecord.Role(rawValue: role) != nil else { throw ValidationError("--role must be read or admin.") }
    }

    func run() async throws {
        let configuration = try options.load()
        let accounts = Accounts(store: try await options.store(configuration))
        do {
            _ = try await accounts.add(name: name, role: TokenRecord.Role(rawValue: role) ?? .read, password: try password.read())
        } catch {
            throw userError(error)
        }
        print("added user \(name) (\(role))")
    }
}

struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List dashboard users (names, roles, dates; never a password).",
        discussion: """
            Example:
              sansang-collector user list
            """
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try options.load()
        let users = try await Accounts(store: try await options.store(configuration)).list()
        print("name                  role   created               disabled")
        for user in users {
            print([user.name.padding(toLength: 21, withPad: " ", startingAt: 0),
                   user.role.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0),
                   user.createdAt.formatted(.iso8601).padding(toLength: 21, withPad: " ", startingAt: 0),
                   user.disabledAt?.formatted(.iso8601) ?? "-"].joined(separator: " "))
        }
    }
}

struct UserDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Disable a dashboard user and end their sessions (user passwd enables them again).",
        discussion: """
            Example:
              sansang-collector user disable tuan
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: "The user name.") var name: String

    func run() async throws {
        let configuration = try options.load()
        do {
            try await Accounts(store: try await options.store(configuration)).disable(name: name)
        } catch {
            throw userError(error)
        }
        print("disabled user \(name)")
    }
}

struct UserPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Set a dashboard user's password (and enable them); their sessions end.",
        discussion: """
            Example:
              sansang-collector user passwd tuan --password-file /root/tuan.pw
            """
    )

    @OptionGroup var options: ConfigOption
    @Argument(help: "The user name.") var name: String
    @OptionGroup var password: PasswordFileOption

    func run() async throws {
        let configuration = try options.load()
        do {
            try await Accounts(store: try await options.store(configuration)).setPassword(name: name, password: try password.read())
        } catch {
            throw userError(error)
        }
        print("new password set for \(name)")
    }
}
