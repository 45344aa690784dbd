import Accounts
import ArgumentParser
import Foundation

struct UserAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a console user; the password is read from standard input.",
        discussion: """
        On a terminal the password is asked twice, without echo; otherwise one line of standard \
        input is read. A name taken (ignoring case) exits 64 before any password is asked.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The name they sign in with: 1 to 64 of A-Z a-z 0-9 . _ @ -, not starting with - or .") var name: String
    @Option(help: "What they may do.") var role: ConsoleRole

    func validate() throws {
        do { try UserName.validate(name) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let config = try global.loadConfig()
        let users = UserDirectory(dataDir: global.paths(config).dataDir)
        try global.audited(config, "user add", target: [name, "--role \(role.rawValue)"]) {
            try users.checkAvailable(name)
            let password = try UserCommand.newPassword(for: name)
            let user = try users.add(name: name, role: role, password: password, at: try global.clock().now())
            print("user \(user.name) added as \(user.role.rawValue)")
        }
    }
}
