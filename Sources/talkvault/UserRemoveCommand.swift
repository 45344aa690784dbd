import Accounts
import ArgumentParser
import Foundation

struct UserRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove a console user; a running console ends their sessions at their next request.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The user's name.") var name: String

    func run() throws {
        let config = try global.loadConfig()
        let users = UserDirectory(dataDir: global.paths(config).dataDir)
        try global.audited(config, "user remove", target: [name]) {
            let removed = try users.remove(name: name)
            print("user \(removed.name) (\(removed.role.rawValue)) removed")
        }
    }
}
