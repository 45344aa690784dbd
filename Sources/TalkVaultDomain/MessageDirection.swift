/// Which side of a conversation a message is from: the customer's (`incoming`, what webhooks
/// carry) or the account's (`outgoing`: replies by staff or the auto-reply, known only from the
/// OA Manager's chat backup).
public enum MessageDirection: String, CaseIterable, Sendable, Codable {
    case incoming, outgoing
}

/// Where TalkVault learned of a message.
public enum MessageSource: String, CaseIterable, Sendable, Codable {
    /// A signed webhook event.
    case webhook
    /// Only an OA Manager chat backup: no webhook ever carried it.
    case oaImport = "oa-import"
}
