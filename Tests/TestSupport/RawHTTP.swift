import Foundation

/// A plain TCP client for requests that no HTTP library will send: broken chunking, a body
/// shorter than its Content-Length, headers that never end.
public final class RawConnection: @unchecked Sendable {
    public let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) { send(Data(text.utf8)) }

    public func send(_ data: Data) {
        data.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = Foundation.send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                done += n
            }
        }
    }

    /// Everything the server sends until it closes the connection or `seconds` pass.
    public func receive(seconds: Double = 10) -> (text: String, closed: Bool) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { received.append(contentsOf: buffer[0..<n]); continue }
            // A server that closes while the client still sends answers with a reset: closed too.
            return (String(decoding: received, as: UTF8.self), n == 0 || errno == ECONNRESET)
        }
    }

    /// `receive`, on a thread of its own: blocking a test's task would block the server under
    /// test, which runs on the same few cooperative threads.
    public func received(seconds: Double = 10) async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.receive(seconds: seconds)) }
        }
    }

    /// Sends `piece` every `interval` seconds, `times` times, on a thread of its own.
    public func trickle(_ piece: String, every interval: Double, times: Int) {
        Thread.detachNewThread {
            for _ in 0..<times {
                self.send(piece)
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }
}
