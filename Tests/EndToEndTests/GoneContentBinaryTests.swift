import AsyncHTTPClient
import Foundation
import Intake
@testable import Ledger
@testable import LINESimulator
import SQLiteDB
@testable import Sweep
import Store
import TalkVaultDomain
import Testing
import TestSupport

extension SimulatorBinaryTests {
    @Test func theSimulatorBinaryAnswersExpiredContent410WhenTold() async throws {
        #expect(try run(SimulatorBinaryTests.binary, ["serve", "--expired-status", "403"]).status == 64)
        let expired = SimulatedMessage(id: "old-image", kind: .image, chatType: .user, chatId: "U1", userId: "U1",
                                       timestamp: SystemClock().now().milliseconds - 15 * 86_400_000, size: 900)
        for (arguments, status) in [([String](), 404), (["--expired-status", "410"], 410)] {
            let (process, url) = try SimulatorBinaryTests.start(arguments)
            defer { process.terminate() }
            try await RemoteRegistry(baseURL: url).register(messages: [expired], unsends: [])
            var request = HTTPClientRequest(url: url + "/v2/bot/message/old-image/content")
            request.headers.add(name: "Authorization", value: "Bearer \(SimulatorConfig.defaultAccessToken)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(Int(response.status.code) == status)
        }
    }
}
