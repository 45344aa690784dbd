import Foundation
import Testing

/// Resumes a continuation once, from whichever side gets there first.
private final class FirstOnly: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.withLock {
            defer { claimed = true }
            return !claimed
        }
    }

    var isClaimed: Bool { lock.withLock { claimed } }
}

/// Runs `body`; if it has not finished after `seconds`, records an issue, cancels it and
/// returns nil. A guard against a hang, never a timing assertion: keep `seconds` generous.
public func withHangGuard<T: Sendable>(seconds: Int, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                                       _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    let result: T? = try await withCheckedThrowingContinuation { continuation in
        let first = FirstOnly()
        let work = Task {
            do {
                let value = try await body()
                if first.claim() { continuation.resume(returning: value) }
            } catch {
                if first.claim() { continuation.resume(throwing: error) }
            }
        }
        Task {
            // Polled in short steps so the timer ends soon after the work does.
            for _ in 0..<(seconds * 10) where !first.isClaimed {
                try? await Task.sleep(for: .milliseconds(100))
            }
            if first.claim() {
                work.cancel()
                continuation.resume(returning: nil)
            }
        }
    }
    if result == nil { Issue.record("\(what) did not finish within \(seconds) s", sourceLocation: sourceLocation) }
    return result
}

/// Runs a program with a deadline; on a hang it is killed with SIGKILL and the result is nil.
public func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                deadlineSeconds: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult? {
    let running = try RunningProgram(executable, arguments, environment: environment)
    var polls = 0
    while running.process.isRunning && polls < deadlineSeconds * 20 {
        usleep(50_000)
        polls += 1
    }
    return try running.finish(deadlineSeconds: deadlineSeconds, sourceLocation: sourceLocation)
}

/// `run(_:_:deadlineSeconds:)` for a test whose program talks to a server running in the test's
/// own process: it waits with `Task.sleep`, so the server keeps a thread of the cooperative pool
/// (a blocked wait on a 2-core machine can leave it none, and the program then waits on the test).
public func runAwaiting(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                        deadlineSeconds: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProcessResult? {
    let running = try RunningProgram(executable, arguments, environment: environment)
    var polls = 0
    while running.process.isRunning && polls < deadlineSeconds * 20 {
        try await Task.sleep(for: .milliseconds(50))
        polls += 1
    }
    return try running.finish(deadlineSeconds: deadlineSeconds, sourceLocation: sourceLocation)
}

/// A program started with its output in files, for the two waits above.
private struct RunningProgram {
    let process = Process()
    let dir = TempDir()
    let out: FileHandle
    let err: FileHandle

    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: dir.file("out"), contents: nil)
        _ = FileManager.default.createFile(atPath: dir.file("err"), contents: nil)
        out = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("out")))
        err = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("err")))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Kills a program still running (and records the hang), else collects its result.
    func finish(deadlineSeconds: Int, sourceLocation: SourceLocation) throws -> ProcessResult? {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("\(process.arguments?.first ?? "the program") did not finish within \(deadlineSeconds) s", sourceLocation: sourceLocation)
            return nil
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return ProcessResult(status: process.terminationStatus,
                             stdout: (try? String(contentsOfFile: dir.file("out"), encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: dir.file("err"), encoding: .utf8)) ?? "")
    }
}
