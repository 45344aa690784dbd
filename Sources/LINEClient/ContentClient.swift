import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import TalkVaultDomain

/// What one content request came to.
public enum ContentOutcome: Sendable, Equatable {
    /// The bytes are in the file, complete, with this size and SHA-256.
    case saved(size: Int64, sha256: String, contentType: String?)
    /// 202: a video or audio is still being transcoded.
    case processing
    /// 404.
    case notFound
    /// 410: gone. LINE documents it after an unsend; expired content may answer it too.
    case gone
    /// 429, with the `Retry-After` seconds when LINE gave them.
    case rateLimited(retryAfter: Double?)
    /// A 5xx, a timeout, a cut body, a connection error: worth another try.
    case failed(String)
    /// The local disk is full (ENOSPC, EDQUOT) after this many bytes: another request to LINE cannot help.
    case diskFull(afterBytes: Int64)
    /// The body was not written: `admit` said the disk has no room for its `Content-Length`.
    case noRoom(Int64?)
    /// Another local write failure (permissions, I/O): not LINE's, so not retried against it.
    case writeFailed(String)
    /// An answer that retrying will not change (401, 403, 400): the run stops trying.
    case refused(Int)
}

/// LINE's content API (and `external` content URLs), streamed to disk: the body never sits in
/// memory, `Content-Length` is checked, and SHA-256 is computed as the bytes arrive.
public struct ContentClient: Sendable {
    public let dataAPIBaseURL: String
    let accessToken: Secret
    let client: HTTPClient
    let timeout: TimeAmount
    let files: any DownloadFiles

    /// `files` is where bodies are written: the local disk, or a test's stand-in.
    public init(dataAPIBaseURL: String, accessToken: String, timeout: Duration = .seconds(120), client: HTTPClient = .shared,
                files: any DownloadFiles = LocalDownloadFiles()) {
        self.dataAPIBaseURL = dataAPIBaseURL
        self.accessToken = Secret(accessToken)
        self.client = client
        self.files = files
        // Saturating: no configured timeout is allowed to trap.
        let (nanoseconds, overflow) = timeout.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self.timeout = .nanoseconds(overflow ? .max : nanoseconds &+ timeout.components.attoseconds / 1_000_000_000)
    }

    /// Downloads message `id`'s content into `file` (replaced). For external content pass its
    /// URL; LINE's own content needs the access token, an external host must not get it.
    /// `admit` is asked, with the body's `Content-Length` (nil when not given), before a byte is
    /// written: false leaves the body unread (`.noRoom`).
    public func download(id: String, externalURL: String?, to file: String,
                         admit: @Sendable (Int64?) async -> Bool = { _ in true }) async -> ContentOutcome {
        let url = externalURL ?? "\(dataAPIBaseURL)/v2/bot/message/\(Self.escape(id))/content"
        var request = HTTPClientRequest(url: url)
        if externalURL == nil { request.headers.add(name: "Authorization", value: "Bearer \(accessToken.revealed)") }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            return .failed("request failed: \(Self.describe(error))")
        }
        switch response.status.code {
        case 200: break
        case 202: return .processing
        case 404: return .notFound
        case 410: return .gone
        case 429: return .rateLimited(retryAfter: response.headers.first(name: "Retry-After").flatMap(Double.init))
        case 500...599: return .failed("HTTP \(response.status.code)")
        default: return .refused(Int(response.status.code))
        }
        let expected = response.headers.first(name: "Content-Length").flatMap(Int64.init)
        guard await admit(expected) else { return .noRoom(expected) }
        let output: any DownloadFile
        do throws(DownloadWriteError) { output = try files.create(file) } catch { return Self.local(error, after: 0, file: file) }
        defer { output.close() }
        var hash = SHA256()
        var size: Int64 = 0
        // A failed write is the local disk's fault, told apart from a body LINE cut short.
        var writeError: DownloadWriteError?
        do {
            for try await buffer in response.body {
                buffer.withUnsafeReadableBytes { bytes in
                    hash.update(bufferPointer: bytes)
                    do throws(DownloadWriteError) { try output.write(bytes) } catch { writeError = error }
                }
                if let writeError { return Self.local(writeError, after: size, file: file) }
                size += Int64(buffer.readableBytes)
            }
        } catch {
            return .failed("body cut after \(size) bytes: \(Self.describe(error))")
        }
        do throws(DownloadWriteError) { try output.sync() } catch { return Self.local(error, after: size, file: file) }
        if let expected, expected != size { return .failed("body has \(size) of \(expected) bytes") }
        return .saved(size: size, sha256: hash.finalize().map { String(format: "%02x", $0) }.joined(),
                      contentType: response.headers.first(name: "Content-Type"))
    }

    private static func local(_ error: DownloadWriteError, after bytes: Int64, file: String) -> ContentOutcome {
        error.isDiskFull ? .diskFull(afterBytes: bytes) : .writeFailed("cannot write \(file): \(error)")
    }

    /// `GET …/content/transcoding`: "processing", "succeeded" or "failed"; nil when unknown.
    public func transcodingStatus(id: String) async -> String? {
        var request = HTTPClientRequest(url: "\(dataAPIBaseURL)/v2/bot/message/\(Self.escape(id))/content/transcoding")
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken.revealed)")
        guard let response = try? await client.execute(request, timeout: .seconds(30)), response.status == .ok,
              let body = try? await response.body.collect(upTo: 64 * 1024),
              let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else { return nil }
        return json["status"] as? String
    }

    /// RFC 3986 unreserved characters pass; everything else (a `/` above all) is encoded.
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: unreserved) ?? id
    }

    /// An error's kind, never a URL with secrets or any body.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: type(of: error))
    }
}
