import TalkVaultDomain

/// Who wrote a row of a chat backup: the user, or the account (staff, or the auto-reply).
public enum BackupSender: String, Sendable, Equatable {
    case user = "User"
    case account = "Account"
}

/// What a row's text stands for when LINE wrote a placeholder instead of the message.
public enum BackupPlaceholder: String, Sendable, Equatable, CaseIterable {
    case image, video, sticker, unsent, audio, file

    /// LINE's text for it, exactly as the backup has it.
    public var text: String {
        switch self {
        case .image: "写真を送信しました。"
        case .video: "動画を送信しました。"
        case .sticker: "スタンプを送信しました。"
        case .unsent: "送信が取り消されたメッセージです"
        case .audio: "ボイスメッセージを送信しました。"
        case .file: "ファイルを送信しました。"
        }
    }

    /// What TalkVault's own `line` export writes in its place once the content is archived:
    /// `[写真] <segment>:<entry>`.
    public var archivedPrefix: String? {
        switch self {
        case .image: "[写真] "
        case .video: "[動画] "
        case .audio: "[ボイスメッセージ] "
        case .file: "[ファイル] "
        case .sticker, .unsent: nil
        }
    }

    /// The placeholder a row's content is, or nil for a message's own text.
    public init?(content: String) {
        // Each is 30 to 48 bytes and starts with a CJK character: most texts fail the first test.
        if (30...48).contains(content.utf8.count), let match = Self.allCases.first(where: { $0.text == content }) {
            self = match
        } else if content.hasPrefix("["), content.contains(".tar.gz:"),
                  let match = Self.allCases.first(where: { $0.archivedPrefix.map(content.hasPrefix) ?? false }) {
            self = match
        } else {
            return nil
        }
    }

    /// The message kind it stands for; nil for an unsent message, whose kind LINE does not say.
    public var kind: MessageKind? {
        switch self {
        case .image: .image
        case .video: .video
        case .sticker: .sticker
        case .audio: .audio
        case .file: .file
        case .unsent: nil
        }
    }
}

/// The three lines before the header: アカウント名, タイムゾーン and ダウンロード日時.
public struct BackupPreamble: Sendable, Equatable {
    public var accountName: String
    /// The file's stated offset from UTC (`'+09:00`), in seconds; every time in it is in it.
    public var utcOffsetSeconds: Int64
    public var downloadedAt: Instant
}

/// One row of a chat backup.
public struct BackupRow: Sendable, Equatable {
    /// The line of the file the row starts on (1-based, the preamble counted).
    public var line: Int
    public var sender: BackupSender
    /// The user's display name, or the staff member's or `応答メッセージ` for the account.
    public var senderName: String
    /// To the second, as the file gives it.
    public var sentAt: Instant
    /// The body, `_x000D_` turned back into a carriage return.
    public var content: String
    public var placeholder: BackupPlaceholder?
}
