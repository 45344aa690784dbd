import Foundation
import Ledger
import Store
import TalkVaultDomain

extension Ledger {
    /// The error for a message a purge or an erasure removed ("purged on DATE under RULE"),
    /// or nil when `id` was never purged: `show` and `restore` say why it is gone.
    func purgedFailure(_ id: String, zone: TimeZone) throws -> Failure? {
        guard let tombstone = try purgeStore.tombstone(id: id) else { return nil }
        let day = PurgedMessages.day(tombstone.purgedAt, zone: zone)
        let sent = "a \(tombstone.kind.rawValue) message sent \(PurgedMessages.day(tombstone.sentAt, zone: zone))"
        switch tombstone.action {
        case .purge:
            return Failure(.noInput, "message \(id) (\(sent)) was purged on \(day) under \(tombstone.rule)")
        case .redact:
            let by = tombstone.senderId.map { " by \($0)" } ?? ""
            let when = tombstone.unsentAt.map { " at \(PurgedMessages.day($0, zone: zone))" } ?? ""
            return Failure(.noInput, "message \(id) (\(sent)) was unsent\(when)\(by); its text and content were redacted on \(day) under \(tombstone.rule)")
        case .erase:
            return Failure(.noInput, "message \(id) (\(sent)) was erased on \(day) at a person's request (see `talkvault audit --action erase`)")
        }
    }
}

enum PurgedMessages {
    static func day(_ instant: Instant, zone: TimeZone) -> String { String(instant.rfc3339(in: zone).prefix(10)) }
}
