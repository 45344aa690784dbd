import TalkVaultDomain

/// Failed sign-ins counted per user name and per address over a sliding window: past the limit
/// either key is refused until its oldest failure leaves the window. Guessing one user's
/// password, or many users' from one address, stays slow.
actor SignInLimiter {
    private var failures: [String: [Int64]] = [:]
    private let clock: any WallClock
    private let window: Int64
    private let perUser: Int
    private let perAddress: Int
    /// Keys kept at most; the stalest go first, so a flood of made-up names cannot grow memory.
    private let maxKeys = 50_000

    init(clock: any WallClock, window: RetentionDuration, perUser: Int, perAddress: Int) {
        self.clock = clock
        self.window = window.seconds * 1000
        self.perUser = perUser
        self.perAddress = perAddress
    }

    /// Seconds to wait before `user` may try again from `address`; nil when a try is allowed.
    func retryAfter(user: String, address: String) -> Int? {
        let now = clock.now().milliseconds
        let waits = [(Self.userKey(user), perUser), (Self.addressKey(address), perAddress)].compactMap { key, limit -> Int64? in
            let recent = prune(key, now: now)
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return oldest + window - now
        }
        return waits.max().map { Int(max(1, ($0 + 999) / 1000)) }
    }

    func failed(user: String, address: String) {
        let now = clock.now().milliseconds
        if failures.count >= maxKeys { trim(now: now) }
        for key in [Self.userKey(user), Self.addressKey(address)] {
            failures[key, default: []].append(now)
        }
    }

    /// A successful sign-in clears the user's count (not the address's: one good password
    /// must not reset guessing at others).
    func succeeded(user: String) { failures[Self.userKey(user)] = nil }

    private func prune(_ key: String, now: Int64) -> [Int64] {
        let recent = (failures[key] ?? []).filter { now - $0 < window && $0 <= now }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }

    private func trim(now: Int64) {
        for key in Array(failures.keys) { _ = prune(key, now: now) }
        while failures.count >= maxKeys, let stalest = failures.min(by: { ($0.value.last ?? 0) < ($1.value.last ?? 0) }) {
            failures[stalest.key] = nil
        }
    }

    private static func userKey(_ user: String) -> String { "u:" + user.lowercased() }
    private static func addressKey(_ address: String) -> String { "a:" + address }
}
