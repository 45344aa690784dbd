import Crypto
import Foundation

/// SplitMix64: a small, fast generator whose whole state is one seed, so any stream of
/// content or traffic can be reproduced from it.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for one purpose, derived from a seed and any labels.
    init(seed: UInt64, _ labels: String...) {
        self.init(seed: Self.mix(seed, labels))
    }

    init(seed: UInt64, labels: [String]) {
        self.init(seed: Self.mix(seed, labels))
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { p > 0 && unit() < p }

    /// A stable 64-bit value for a seed and labels (FNV-1a, then mixed).
    static func mix(_ seed: UInt64, _ labels: [String]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for label in labels {
            for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            hash = (hash ^ 0xFF) &* 0x100_0000_01B3
        }
        var g = SeededGenerator(seed: hash)
        return g.next()
    }
}

/// Lower-case hex of a digest.
func hexString<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
}
