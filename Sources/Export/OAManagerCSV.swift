import ChatBackup

/// The export profiles.
public enum ExportProfile: String, Sendable, CaseIterable {
    /// Every column TalkVault knows.
    case full
    /// LINE Official Account Manager's chat backup layout, so existing scripts keep working.
    case line
}

/// LINE Official Account Manager's chat backup CSV, as the `line` profile writes it: three
/// preamble lines (アカウント名, タイムゾーン, ダウンロード日時), this header, then rows.
/// `ChatBackup` defines the layout and reads it, LINE's own files and this export alike.
public enum OAManagerCSV {
    public static let header = ChatBackupReader.header
}
