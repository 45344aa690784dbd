import Foundation
import HTTPTypes
import Hummingbird
import Store

/// How the store's errors answer over HTTP: the one place they become responses. The answer
/// names what the client can do, never a path or the backend's own message.
struct StoreHTTPError: HTTPResponseError {
    let error: LedgerError

    init(_ error: LedgerError) { self.error = error }

    var status: HTTPResponse.Status {
        switch error {
        // Another process holds the ledger past the busy timeout: worth a retry soon.
        case .busy: return .serviceUnavailable
        case .diskFull: return HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        default: return .internalServerError
        }
    }

    var message: String {
        switch error {
        case .busy: return "the ledger is busy; retry shortly"
        case .diskFull: return "the disk is full; nothing was changed"
        default: return "the ledger could not be read or written; nothing was changed"
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if case .busy = error { headers[.retryAfter] = "5" }
        let body = try JSONEncoder().encode(["message": message])
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
