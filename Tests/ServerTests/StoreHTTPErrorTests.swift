import Foundation
import HTTPTypes
@testable import Server
import Store
import Testing

/// The store's errors become HTTP answers in one place, and an answer never carries a path or
/// the backend's own message.
@Suite struct StoreHTTPErrorTests {
    @Test(arguments: [
        (LedgerError.busy(path: "/var/lib/talkvault/ledger.sqlite3"), HTTPResponse.Status.serviceUnavailable),
        (.diskFull(path: "/var/lib/talkvault/ledger.sqlite3"), HTTPResponse.Status(code: 507)),
        (.database("SQLite error 11: database disk image is malformed"), .internalServerError),
        (.io(path: "/var/lib/talkvault", reason: "Permission denied"), .internalServerError),
    ])
    func eachErrorHasItsStatusAndNamesNoPath(_ error: LedgerError, _ status: HTTPResponse.Status) {
        let answer = StoreHTTPError(error)
        #expect(answer.status == status)
        #expect(!answer.message.contains("/var/lib") && !answer.message.contains("SQLite"))
    }
}
