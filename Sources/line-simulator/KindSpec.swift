import ArgumentParser
import LINESimulator
import TalkVaultDomain

/// `KIND=VALUE` options (`--window`, `--size`), shared by `serve` and `send`, whose plan decides
/// each message's size. A bad spec is a usage error naming the option and the spec.
enum KindSpec {
    /// `KIND=DURATION` specs: how long content of a kind is served.
    static func windows(_ specs: [String]) throws -> [(MessageKind, RetentionDuration)] {
        try specs.map { spec in
            let (kind, value) = try split(spec, option: "--window")
            guard let duration = try? RetentionDuration(parsing: value), duration.seconds > 0 else {
                throw ValidationError("--window \(spec): bad duration (write it like 14d or 36h)")
            }
            return (kind, duration)
        }
    }

    /// `KIND=MIN-MAX` specs: content sizes in bytes.
    static func sizes(_ specs: [String]) throws -> [(MessageKind, SizeRange)] {
        try specs.map { spec in
            let (kind, value) = try split(spec, option: "--size")
            let bounds = value.split(separator: "-").compactMap { Int64($0) }
            guard bounds.count == 2, bounds[0] > 0, bounds[1] >= bounds[0] else {
                throw ValidationError("--size \(spec): expected MIN-MAX in bytes")
            }
            return (kind, SizeRange(min: bounds[0], max: bounds[1]))
        }
    }

    private static func split(_ spec: String, option: String) throws -> (MessageKind, String) {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = MessageKind(rawValue: parts[0]) else {
            throw ValidationError("\(option) \(spec): expected KIND=VALUE with KIND one of \(MessageKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return (kind, parts[1])
    }
}
