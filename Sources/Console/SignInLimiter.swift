import TalkVaultDomain

/// Failed sign-ins counted per user name and per address over a sliding window: past the limit
/// either key is refused until its oldest failure leaves the window. Guessing one user's
/// password, or many users' from one address, stays slow.
actor SignInLimiter {
    private var failures: [String: [Int64]] = [:]
    /// When a refusal by each key was last recorded: one audit entry per key and window, so a
    /// flood of refused attempts cannot flood the audit trail.
    private var recorded: [String: Int64] = [:]
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

    /// What `begin` decided about one sign-in attempt.
    enum Attempt: Equatable {
        /// Refused: this many seconds to wait; `record` for the first refusal of a key in its window.
        case refused(retryAfter: Int, record: Bool)
        /// Allowed, and already counted as a failure at `stamp` until `succeeded` takes it back.
        case counted(stamp: Int64)
    }

    /// Checks both limits and, when the attempt is allowed, counts it as failed at once, before
    /// the slow password check: attempts sent in parallel cannot all pass the check before any
    /// of them is counted.
    func begin(user: String, address: String) -> Attempt {
        let now = clock.now().milliseconds
        let waits = [(Self.userKey(user), perUser), (Self.addressKey(address), perAddress)].compactMap { key, limit -> (String, Int64)? in
            let recent = prune(key, now: now)
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return (key, oldest + window - now)
        }
        if let wait = waits.map(\.1).max() {
            var record = false
            for (key, _) in waits where recorded[key].map({ now - $0 >= window || $0 > now }) ?? true {
                recorded[key] = now
                record = true
            }
            if recorded.count > maxKeys { recorded = recorded.filter { now - $0.value < window } }
            return .refused(retryAfter: Int(max(1, (wait + 999) / 1000)), record: record)
        }
        if failures.count >= maxKeys { trim(now: now) }
        for key in [Self.userKey(user), Self.addressKey(address)] {
            failures[key, default: []].append(now)
        }
        return .counted(stamp: now)
    }

    /// A successful sign-in clears the user's count, and takes back the attempt `begin` counted
    /// for the address (not the address's earlier failures: one good password must not reset
    /// guessing at others).
    func succeeded(user: String, address: String, stamp: Int64) {
        failures[Self.userKey(user)] = nil
        let key = Self.addressKey(address)
        if var list = failures[key], let index = list.lastIndex(of: stamp) {
            list.remove(at: index)
            failures[key] = list.isEmpty ? nil : list
        }
    }

    /// Takes back the attempt `begin` counted, for both keys: it was never tried (the server was busy).
    func giveBack(user: String, address: String, stamp: Int64) {
        for key in [Self.userKey(user), Self.addressKey(address)] {
            guard var list = failures[key], let index = list.lastIndex(of: stamp) else { continue }
            list.remove(at: index)
            failures[key] = list.isEmpty ? nil : list
        }
    }

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
