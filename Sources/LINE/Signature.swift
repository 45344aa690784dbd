import Crypto
import Foundation

/// LINE's webhook signature: base64 of HMAC-SHA256 over the raw body, keyed by the channel secret,
/// sent in the `x-line-signature` header.
///
/// HMAC is computed from its definition (RFC 2104) with the key's two pads built once: keying
/// swift-crypto's `HMAC` for every body cost about a third of the check. Each body gets fresh
/// hashers rather than a copy of a keyed one, so no hash state is shared between threads.
public struct WebhookSignature: Sendable {
    private let innerPad: [UInt8]
    private let outerPad: [UInt8]

    public init(channelSecret: String) {
        var key = Array(channelSecret.utf8)
        if key.count > SHA256.blockByteCount { key = Array(SHA256.hash(data: key)) }
        key += [UInt8](repeating: 0, count: SHA256.blockByteCount - key.count)
        innerPad = key.map { $0 ^ 0x36 }
        outerPad = key.map { $0 ^ 0x5c }
    }

    /// The header value for `body`.
    public func sign<D: DataProtocol>(_ body: D) -> String {
        Data(mac(ContiguousArray(body))).base64EncodedString()
    }

    /// True when `header` is the signature of `body`. The comparison takes the same time
    /// wherever the first difference is.
    public func isValid(_ header: String?, for body: Data) -> Bool {
        guard let header, let given = Data(base64Encoded: header), given.count == SHA256.byteCount else { return false }
        let expected = mac(body)
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }

    /// True when `header` is the signature of `body`.
    public func isValid<D: DataProtocol>(_ header: String?, for body: D) -> Bool {
        isValid(header, for: Data(body))
    }

    private func mac<C: ContiguousBytes>(_ body: C) -> SHA256.Digest {
        var inner = SHA256()
        innerPad.withUnsafeBytes { inner.update(bufferPointer: $0) }
        body.withUnsafeBytes { inner.update(bufferPointer: $0) }
        var outer = SHA256()
        outerPad.withUnsafeBytes { outer.update(bufferPointer: $0) }
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}

extension WebhookSignature: CustomStringConvertible, CustomReflectable {
    /// The key pads are the channel secret in another form: never printed.
    public var description: String { "WebhookSignature(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
