import Accounts
import ArgumentParser
import Foundation

struct UserPasswdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Set a console user's password, read from standard input as `user add` reads it.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The user's name.") var name: String

    func run() throws {
        let config = try global.loadConfig()
        let users = UserDirectory(dataDir: global.paths(config).dataDir)
        try global.audited(config, "user passwd", target: [name]) {
            // Said before a password is asked for.
            guard try users.user(named: name) != nil else { throw AccountsError.unknownUser(name) }
            let password = try UserCommand.newPassword(for: name)
            try users.setPassword(name: name, password: password, at: try global.clock().now())
            print("password of \(name) changed")
        }
    }
}
