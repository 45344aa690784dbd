import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A fresh directory under the system temp dir, removed when the value is released.
public final class TempDir {
    public let path: String

    public init() {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/talkvault-test-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let target = file(name)
        try! FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }
}

public enum Fixtures {
    /// The package root, found from this file's location.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `../shared/conformance/line-sdk-webhook.json` beside the checkout.
    public static let conformanceWebhook = "\(packageRoot)/../shared/conformance/line-sdk-webhook.json"

    public static func conformanceData() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: conformanceWebhook))
    }

    /// The conformance body with every `webhookEventId` and message id made unique, and the
    /// unsend pointed at the group text message, so that every event type is exercised.
    public static func uniqueConformanceData() throws -> Data {
        var root = try JSONSerialization.jsonObject(with: try conformanceData()) as! [String: Any]
        var events = root["events"] as! [[String: Any]]
        var groupTextId: String?
        for index in events.indices {
            events[index]["webhookEventId"] = String(format: "01TESTEVENT%015d", index)
            if var message = events[index]["message"] as? [String: Any] {
                let id = "\(message["id"]!)-\(index)"
                message["id"] = id
                events[index]["message"] = message
                let source = events[index]["source"] as! [String: Any]
                if source["type"] as? String == "group", message["type"] as? String == "text" { groupTextId = id }
            }
        }
        for index in events.indices where events[index]["type"] as? String == "unsend" {
            events[index]["unsend"] = ["messageId": groupTextId!]
        }
        root["events"] = events
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
    }
}

/// Runs a program and captures its exit status and output.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

public func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                stdin: Data? = nil, cwd: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try input.fileHandleForWriting.close()
    // Read both pipes before waiting, so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// The path of a tool on PATH, or nil.
public func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// The first line a process writes to `pipe` (a server's URL, say), read as it comes; empty if
/// the process ends without one.
public func firstLine(of pipe: Pipe) -> String {
    var line = Data()
    while !line.contains(0x0A) {
        let chunk = pipe.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line.append(chunk)
    }
    return String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
}

/// A service (an application) run in a service group of its own, stopped as SIGTERM stops it.
public final class RunningGroup: Sendable {
    public let group: ServiceGroup
    public let task: Task<Void, any Error>

    public init(_ service: some Service) {
        group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test")))
        let group = self.group
        task = Task { try await group.run() }
    }

    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

