import Accounts
import ArgumentParser
import Foundation

extension ConsoleRole: ExpressibleByArgument {}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "The console's users: who may sign in to `talkvault console`, and as what.",
        discussion: """
        Roles: manager (everything: reads, restores, the audit trail, exports, marking read, \
        holds and tags), support (reads and restores; no audit trail, exports or holds; changes nothing), auditor \
        (reads, restores and reads the audit trail; changes nothing). Users are kept in \
        console/users.json in the data dir, with bcrypt hashes of their passwords, never the \
        passwords. A password is 12 characters or more, at most 72 bytes in UTF-8, with no \
        control characters; `add` and `passwd` read it from standard input: on a terminal they \
        ask twice without echo, otherwise they read one line (printf '%s\\n' "$PW" | talkvault \
        user add ana --role support). A running console sees changes at its next request.
        """,
        subcommands: [UserAddCommand.self, UserListCommand.self, UserPasswdCommand.self, UserRemoveCommand.self])

    /// The new password for `name`: on a terminal asked twice on standard error without echo
    /// (checked against the rules after the first, so a bad one is said before the second), else
    /// one line of standard input without its line end. Never echoed, printed or recorded.
    static func newPassword(for name: String) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = try PasswordInput.line() else {
                throw Failure(.usage, "no password on standard input: give it as one line (printf '%s\\n' \"$PASSWORD\" | talkvault user …)")
            }
            return line
        }
        let first = try PasswordInput.prompt("New password for \(name): ")
        try Password.validate(first)
        let second = try PasswordInput.prompt("The same password again: ")
        guard first == second else { throw Failure(.usage, "the two passwords differ; nothing was changed") }
        return first
    }
}

/// Reading a password from standard input: a line, or a prompt with echo off.
private enum PasswordInput {
    /// Longer lines are refused unread (a password is at most 72 bytes).
    static let maximumBytes = 4096

    /// One line of standard input without its line feed (or CR LF); nil at once at its end.
    static func line() throws -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(STDIN_FILENO, &byte, 1)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(.noInput, "cannot read the password from standard input (\(String(cString: strerror(errno))))")
            }
            if n == 0 {
                if bytes.isEmpty { return nil }
                break
            }
            if byte == 10 { break }
            bytes.append(byte)
            guard bytes.count <= maximumBytes else { throw AccountsError.passwordTooLong }
        }
        if bytes.last == 13 { bytes.removeLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure(.usage, "the password is not UTF-8 text") }
        return text
    }

    /// Asks on standard error and reads a line from the terminal with echo off; echo comes back
    /// afterwards, and also when a signal (Ctrl-C) ends the command while it waits.
    static func prompt(_ text: String) throws -> String {
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else {
            throw Failure(.noInput, "cannot read the terminal's settings (\(String(cString: strerror(errno))))")
        }
        FileHandle.standardError.write(Data(text.utf8))
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        savedTerminal = original
        let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
        let previous = signals.map { signal($0, restoreTerminalAndDie) }
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            for (number, handler) in zip(signals, previous) { signal(number, handler) }
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent) == 0 else {
            throw Failure(.noInput, "cannot turn the terminal's echo off (\(String(cString: strerror(errno))))")
        }
        guard let line = try line() else { throw Failure(.usage, "no password given; nothing was changed") }
        return line
    }
}

/// The terminal's settings before echo went off, for the signal handler to put back.
nonisolated(unsafe) private var savedTerminal = termios()

/// Puts the terminal's echo back, then dies of the signal as if it had no handler.
private func restoreTerminalAndDie(_ number: Int32) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &savedTerminal)
    signal(number, SIG_DFL)
    raise(number)
}
