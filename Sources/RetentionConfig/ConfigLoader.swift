import Foundation
import TalkVaultDomain
import Yams

/// Reads and strictly validates `retention.yaml`. Every problem is reported at `file:line:col`
/// with its key; nothing is silently ignored.
public enum ConfigLoader {
    /// The default search order when no `--config` is given.
    public static let defaultLocations = ["retention.yaml", "/etc/talkvault/retention.yaml"]

    /// Loads `explicitPath`, else the first default location that exists, else the built-in
    /// defaults. An explicit path that does not exist is an error.
    public static func locateAndLoad(explicitPath: String?,
                                     workingDirectory: String = FileManager.default.currentDirectoryPath) throws(ConfigError) -> TalkVaultConfig {
        if let explicitPath {
            return try load(path: TalkVaultConfig.absolute(explicitPath, base: workingDirectory))
        }
        for candidate in defaultLocations {
            let path = TalkVaultConfig.absolute(candidate, base: workingDirectory)
            if FileManager.default.fileExists(atPath: path) { return try load(path: path) }
        }
        var config = try parse(yaml: embeddedDefaultYAML, file: "<built-in retention.yaml>", source: .embedded,
                               baseDirectory: workingDirectory)
        config.sourceBytes = Data(embeddedDefaultYAML.utf8)
        return config
    }

    /// The largest config file read: the shipped one, fully commented, is about 5 KB. A larger
    /// file is refused before it is parsed, so a huge one cannot cost memory or time.
    public static let maxFileBytes = 1 << 20

    /// Loads and validates the file at `path`.
    public static func load(path: String) throws(ConfigError) -> TalkVaultConfig {
        let data: Data
        do { data = try read(path, limit: maxFileBytes) } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or unreadable" : "no such file"
            throw .unreadable(file: path, reason: reason)
        }
        guard data.count <= maxFileBytes else {
            throw .invalid([ConfigIssue(file: path, line: 0, column: 0, key: "",
                                        message: "the file is larger than \(maxFileBytes) bytes (1 MiB), the most a config may be")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalid([ConfigIssue(file: path, line: 1, column: 1, key: "", message: "the file is not valid UTF-8")])
        }
        var config = try parse(yaml: text, file: path, source: .file(path),
                               baseDirectory: (path as NSString).deletingLastPathComponent)
        config.sourceBytes = data
        return config
    }

    /// Parses and validates YAML text; `file` names it in errors.
    public static func parse(yaml: String, file: String, source: TalkVaultConfig.Source,
                             baseDirectory: String) throws(ConfigError) -> TalkVaultConfig {
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw .invalid([issue(fromYAMLError: error, file: file, yaml: yaml)])
        }
        var validator = Validator(file: file, baseDirectory: baseDirectory)
        let config = validator.validate(root, source: source)
        guard validator.issues.isEmpty, let config else {
            var issues = validator.issues
            if validator.unlisted > 0 {
                issues.append(ConfigIssue(file: file, line: 0, column: 0, key: "",
                                          message: "\(validator.unlisted) more problems not listed (only the first \(Validator.maxIssues) are)"))
            }
            throw .invalid(issues)
        }
        return config
    }

    /// At most `limit + 1` bytes of the file: enough to tell that it is too large.
    static func read(_ path: String, limit: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var data = Data()
        while data.count <= limit, let chunk = try handle.read(upToCount: limit + 1 - data.count), !chunk.isEmpty {
            data.append(chunk)
        }
        return data
    }

    static func issue(fromYAMLError error: any Error, file: String, yaml: String) -> ConfigIssue {
        guard let yamlError = error as? YamlError else {
            return ConfigIssue(file: file, line: 1, column: 1, key: "", message: "invalid YAML")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return ConfigIssue(file: file, line: mark.line, column: mark.column, key: "", message: "invalid YAML: \(what)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // The context's text is the whole document: only its mark is used.
            return ConfigIssue(file: file, line: context.mark.line, column: context.mark.column,
                               key: duplicates.prefix(3).map { ConfigIssue.clip($0) }.joined(separator: ", "),
                               message: "duplicate key: each key may appear once per mapping")
        case .reader(let problem, let offset, _, _):
            let (line, column) = TextPosition.lineAndColumn(ofUTF8Offset: offset ?? 0, in: yaml.utf8)
            return ConfigIssue(file: file, line: line, column: column, key: "", message: "invalid YAML: \(problem)")
        default:
            return ConfigIssue(file: file, line: 1, column: 1, key: "", message: "invalid YAML")
        }
    }
}
