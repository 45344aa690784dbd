/// What LINE's 410 ("gone") means for one message. LINE documents 410 after an unsend and says
/// nothing of what expired content answers; 410 is plausible there too. A 410 is an unsend when
/// the unsend event was seen, or while the message's window is still open; after the deadline
/// with no unsend seen, it is expiry.
public enum GoneContent {
    /// The transition a 410 makes: `.unsent` or `.lost(.expired)`.
    public static func transition(unsendSeen: Bool, deadline: Instant, now: Instant) -> Transition {
        if unsendSeen || now < deadline { return .unsent }
        return .lost(.expired)
    }
}
