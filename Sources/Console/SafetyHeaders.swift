import HTTPTypes
import Hummingbird

/// Headers every response carries: a strict Content-Security-Policy (no script, nothing from
/// elsewhere, no framing), nosniff, and no caching of pages that show chats.
struct SafetyHeaders: RouterMiddleware {
    typealias Context = ConsoleContext

    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = Response(status: error.status)
        } catch {
            // Any other failure (an audit trail that cannot be written, a ledger busy past its
            // timeout) is a 500 with these headers too; what failed goes to the log, not the page.
            context.logger.error("console: \(request.method) \(request.uri.path): \(error)")
            response = Response(status: .internalServerError)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xForwardedFor = Self("X-Forwarded-For")!
}
