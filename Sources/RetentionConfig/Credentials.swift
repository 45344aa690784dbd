import Foundation

/// Secrets come from the environment or from systemd credentials, never from `retention.yaml`.
public enum Credentials {
    /// Why a secret could not be had.
    public struct Missing: Error, CustomStringConvertible {
        public let name: String
        public let environment: String
        public var description: String {
            "no \(name): set \(environment), or provide the systemd credential '\(name)' (LoadCredential=\(name):FILE)"
        }
    }

    /// The value of `environment`, else the file `$CREDENTIALS_DIRECTORY/<name>` with trailing
    /// whitespace removed, else nil.
    public static func value(named name: String, environment: String,
                             from env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let value = env[environment], !value.isEmpty { return value }
        guard let directory = env["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
              let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(name)) else {
            return nil
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text.isEmpty ? nil : text
    }

    /// Like `value`, but a missing secret is an error that says where to put it.
    public static func require(named name: String, environment: String,
                               from env: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard let value = value(named: name, environment: environment, from: env) else {
            throw Missing(name: name, environment: environment)
        }
        return value
    }
}
