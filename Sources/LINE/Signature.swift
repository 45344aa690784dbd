import Crypto
import Foundation

/// LINE's webhook signature: base64 of HMAC-SHA256 over the raw body, keyed by the channel secret,
/// sent in the `x-line-signature` header.
public struct WebhookSignature: Sendable {
    private let key: SymmetricKey
    /// An HMAC already keyed: copying it skips hashing the key pads for every body.
    private let keyed: HMAC<SHA256>

    public init(channelSecret: String) {
        key = SymmetricKey(data: Data(channelSecret.utf8))
        keyed = HMAC<SHA256>(key: key)
    }

    /// The header value for `body`.
    public func sign<D: DataProtocol>(_ body: D) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: key)).base64EncodedString()
    }

    /// True when `header` is the signature of `body`. The comparison takes the same time
    /// wherever the first difference is.
    public func isValid<D: DataProtocol>(_ header: String?, for body: D) -> Bool {
        guard let header, let given = Data(base64Encoded: header) else { return false }
        var mac = keyed
        mac.update(data: body)
        // The library's == on a MAC is its constant-time comparison.
        return mac.finalize() == given
    }
}
