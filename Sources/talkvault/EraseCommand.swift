import ArgumentParser
import Foundation
import Ledger
import Packing
import Purging

struct EraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Remove one person's messages and content from every copy, on their request (APPI).",
        discussion: """
        It takes what --user sent and both sides of their 1:1 chat, the way purge removes what \
        is due, and their profile and display names. When an active hold covers any of it, \
        nothing is erased: it exits 77 and names the hold. Each message leaves a tombstone that \
        show and restore name. --dry-run counts what would go.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The LINE user id.") var user: String
    @Option(help: "Why (the request's reference): recorded in the audit trail.") var reason: String
    @Flag(help: "Count what would go; change nothing.") var dryRun = false
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason is empty: say why") }
        guard !user.isEmpty else { throw ValidationError("--user is empty") }
    }

    func run() throws {
        let config = try global.loadConfig()
        let (lock, ledger, purger) = try global.openPurger(config, dryRun: dryRun)
        defer { lock?.release() }
        let now = try global.clock().now()
        let plan = try purger.planErasure(user: user, holds: try ledger.retentionStore.holds(), now: now)
        let known = try ledger.retentionStore.userExists(user)
        guard plan.messages > 0 || !plan.heldBack.isEmpty || known else {
            throw Failure(.noInput, "no user \(user) in the ledger: nothing to erase")
        }
        if dryRun {
            try PurgeSummary(plan: plan, unfinished: 0, report: nil).print(json: json)
            return
        }
        let report = try global.audited(config, "erase", target: ["user:" + user], reason: reason) { () throws -> PurgeReport in
            // Holds win: a hold over any of their messages stops the whole erasure.
            if let hold = plan.heldBack.keys.sorted().first {
                throw Failure(.held, "the active hold \(hold) covers \(plan.heldBack[hold]!.messages) of \(user)'s messages: nothing was erased; "
                              + "release the hold first (hold release, with a reason)")
            }
            _ = try Packer(stores: ledger.stores, settings: global.packSettings(config), clock: try global.clock()).recover()
            // Their profile and names go once their last message has (`scrubErasedPeople`).
            return try purger.execute(plan, holds: try ledger.retentionStore.holds(), now: now)
        }
        try PurgeSummary(plan: plan, unfinished: 0, report: report).print(json: json)
    }
}
