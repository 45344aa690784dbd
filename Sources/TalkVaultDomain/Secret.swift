/// A secret: the channel secret, an access token, an API token. Its value appears in no
/// description, debug description, dump or reflection, so a type holding one can be printed or
/// logged (ServiceLifecycle logs each service it runs) without leaking it.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret itself, for the one place that must send or use it.
    public var revealed: String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
