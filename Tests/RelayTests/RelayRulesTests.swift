import Relay
import TalkVaultDomain
import Testing

/// What each answer means, and how long a retry waits.
@Suite struct RelayRulesTests {
    @Test(arguments: [
        (RelayAnswer.status(200), RelayRules.Verdict.delivered),
        (.status(204), .delivered),
        (.status(400), .refused("HTTP 400")),
        (.status(401), .refused("HTTP 401")),
        (.status(404), .refused("HTTP 404")),
        (.status(408), .retry("HTTP 408")),
        (.status(429), .retry("HTTP 429")),
        (.status(301), .retry("HTTP 301 (redirects are not followed)")),
        (.status(500), .retry("HTTP 500")),
        (.status(503), .retry("HTTP 503")),
        (.failed("timed out"), .retry("timed out")),
    ])
    func eachAnswerHasItsVerdict(_ answer: RelayAnswer, _ verdict: RelayRules.Verdict) {
        #expect(RelayRules.verdict(answer) == verdict)
    }

    @Test func retriesBackOffWithJitterAndNeverWaitPastMaxAge() {
        #expect(RelayRules.wait(attempt: 1, jitter: 0, remainingMilliseconds: .max) == 500)
        #expect(RelayRules.wait(attempt: 1, jitter: 0.999, remainingMilliseconds: .max) == 999)
        #expect(RelayRules.wait(attempt: 4, jitter: 0, remainingMilliseconds: .max) == 4_000)
        #expect(RelayRules.wait(attempt: 30, jitter: 0.999, remainingMilliseconds: .max) <= 60_000)
        #expect(RelayRules.wait(attempt: 30, jitter: 0, remainingMilliseconds: .max) >= 30_000)
        #expect(RelayRules.wait(attempt: 30, jitter: 0.5, remainingMilliseconds: 1_234) == 1_234)
    }

    @Test func aRelayedBodyCarriesLINEsHeadersAndSaysItWasRelayed() {
        let headers = RelayRules.headers(signature: "c2ln", receivedAt: Instant(milliseconds: 0), secretHeader: ("X-Api-Key", "k"))
        let names = headers.map { $0.0.lowercased() }
        #expect(names == ["content-type", "user-agent", "x-line-signature", "x-talkvault-relayed", "x-talkvault-received-at", "x-api-key"])
        #expect(headers[2].1 == "c2ln" && headers[4].1 == "1970-01-01T00:00:00.000Z")
    }
}
