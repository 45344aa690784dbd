import Logging

/// swift-log's stderr handler, with the logger's own metadata formatted only when a line is
/// written. Hummingbird sets a request id on every request's logger, and `StreamLogHandler`
/// formats all of its metadata on every set: at info level that work is never printed, and
/// it was a measurable share of each webhook's CPU. The lines written are the same.
public struct DeferredMetadataLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata = Logger.Metadata()

    public init(label: String) {
        stream = .standardError(label: label)
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        let merged = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        event.metadata = merged.isEmpty ? nil : merged
        stream.log(event: event)
    }
}
