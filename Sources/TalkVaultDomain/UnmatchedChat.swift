/// The chat of a chat backup whose display name fits no captured chat, or more than one: its
/// messages wait under `unmatched:<name>`, out of the archives and exports, until
/// `import --map 'NAME=CHAT_ID'` settles it. (LINE's chat ids never hold a colon.)
public enum UnmatchedChat {
    public static let prefix = "unmatched:"

    /// The chat id that holds the rows of `displayName`.
    public static func id(_ displayName: String) -> String { prefix + displayName }

    /// The display name an unmatched chat id stands for; nil for any other chat.
    public static func name(_ chatId: String) -> String? {
        chatId.hasPrefix(prefix) ? String(chatId.dropFirst(prefix.count)) : nil
    }
}

/// The `line_type` of a message that holds an imported backup file's own bytes (chain of
/// custody). It lives in the chat it backs up, and is never a row of an export.
public enum BackupFileMessage {
    public static let lineType = "oaChatBackup"
}

/// The event that stands for an imported backup row in the ledger and the archive record.
public enum ImportedRowEvent {
    public static let type = "oaBackupRow"
}
