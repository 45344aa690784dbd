import Crypto
import Foundation

/// LINE's webhook signature: base64 of HMAC-SHA256 over the raw body, keyed by the channel secret,
/// sent in the `x-line-signature` header.
public struct WebhookSignature: Sendable {
    private let key: SymmetricKey

    public init(channelSecret: String) {
        key = SymmetricKey(data: Data(channelSecret.utf8))
    }

    /// The header value for `body`.
    public func sign<D: DataProtocol>(_ body: D) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: key)).base64EncodedString()
    }

    /// True when `header` is the signature of `body`. The comparison takes the same time
    /// wherever the first difference is.
    public func isValid<D: DataProtocol>(_ header: String?, for body: D) -> Bool {
        guard let header, let given = Data(base64Encoded: header) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: key)
    }
}
