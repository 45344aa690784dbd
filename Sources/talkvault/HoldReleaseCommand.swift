import ArgumentParser
import Foundation
import TalkVaultDomain

struct HoldReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release a hold; what it covered is subject to the keep rules again.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The hold's name.") var name: String
    @Option(help: "Why: recorded with the hold and in the audit trail.") var reason: String

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason is empty: say why") }
    }

    func run() throws {
        let config = try global.loadConfig()
        try global.audited(config, "hold release", target: [name], reason: reason) {
            let ledger = try global.openLedgerForWriting(config, create: false)
            let release = LegalHold.Release(at: try global.clock().now(), by: GlobalOptions.actor, reason: reason)
            guard try ledger.retentionStore.releaseHold(named: name, release: release) else {
                throw Failure(.noInput, "no active hold named \(name)")
            }
            print("hold \(name) released")
        }
    }
}
