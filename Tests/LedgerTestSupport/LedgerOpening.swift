import Intake
import Ledger
import Store
import TalkVaultDomain

extension Ledger {
    /// Opens the ledger as a command that writes does: migrated, then (unless `applyingInbox`
    /// is false) every acknowledged webhook body applied.
    public static func opened(path: String, policy: RetentionPolicy, create: Bool = true, applyingInbox: Bool = true) throws -> Ledger {
        let ledger = try Ledger(path: path, policy: policy, access: .readWrite(create: create))
        try ledger.migrate()
        if applyingInbox { try InboxApplier(ledger).applyAll() }
        return ledger
    }
}
