import HummingbirdBcrypt

/// bcrypt, as the users file uses it: hashes made at a cost, checked, and a dummy hash to
/// check against when there is no user, so that an unknown name costs as long as a wrong password.
enum BcryptHash {
    /// The costs bcrypt accepts (log2 of its rounds).
    static let costs: ClosedRange<UInt8> = 4...31

    /// A hash of `password` at `cost`, with a fresh salt.
    static func make(_ password: String, cost: UInt8) -> String {
        Bcrypt.hash(password, cost: cost)
    }

    /// Whether `password` is the one `hash` was made from.
    static func check(_ password: String, against hash: String) -> Bool {
        Bcrypt.verify(password, hash: hash)
    }

    /// A fixed, well-formed hash at `cost` that no password is known to match: checking a
    /// password against it takes as long as against a real hash of that cost.
    static func dummy(cost: UInt8) -> String {
        let twoDigits = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$2b$" + twoDigits + "$" + "TalkVaultConsoleDummySa" + "ltNoPasswordMatchesThisHash..."
    }

    /// The cost written in a hash (`$2b$12$…` is 12), or nil.
    static func cost(of hash: String) -> UInt8? {
        let bytes = Array(hash.utf8)
        guard bytes.count >= 7, bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$") else { return nil }
        return UInt8(String(decoding: bytes[4..<6], as: UTF8.self)).flatMap { costs.contains($0) ? $0 : nil }
    }

    /// `$2a$` or `$2b$` (the versions this bcrypt checks), a two-digit cost from 04 to 31, `$`, and 53 characters of
    /// bcrypt's base64: 60 in all.
    static func isWellFormed(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$"),
              cost(of: hash) != nil else { return false }
        return bytes[7...].allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "/"): return true
            default: return false
            }
        }
    }
}
