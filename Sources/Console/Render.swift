import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Console {
    /// `?lang=` (remembered in a cookie), then the cookie, then Accept-Language; Japanese otherwise.
    func language(_ request: Request) -> ConsoleLanguage {
        let asked = request.uri.queryParameters.get("lang") ?? request.cookies["tv_lang"]?.value
        return ConsoleLanguage.choose(query: asked, acceptLanguage: request.headers[.acceptLanguage])
    }

    /// A page: `template` rendered into the layout, in the request's language.
    func html(_ template: String, title: String, view: [String: Any], identity: Identity?, request: Request,
              status: HTTPResponse.Status = .ok, notice: String? = nil) -> Response {
        let lang = language(request)
        var view = view
        view["t"] = lang.strings
        if let identity { view["csrf"] = identity.csrf }
        for (key, value) in view { if let list = value as? [Any] { view["has_" + key] = !list.isEmpty } }
        let body = templates.render(Self.pruned(view), withTemplate: template) ?? ""
        var page: [String: Any] = ["lang": lang.rawValue, "title": lang.text(title), "t": lang.strings, "body": body,
                                   "langLink": Self.link(request, setting: "lang", to: lang.text("language_param"))]
        if let notice { page["notice"] = notice }
        if let identity {
            page["user"] = ["name": identity.name, "role": lang.text("role_" + identity.role.rawValue)]
            page["csrf"] = identity.csrf
            page["nav"] = ["exports": identity.role.canReadAudit, "holds": identity.role.canReadAudit, "audit": identity.role.canReadAudit]
        }
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: templates.render(page, withTemplate: "layout") ?? "")))
        response.headers[.contentType] = "text/html; charset=utf-8"
        if let asked = request.uri.queryParameters.get("lang"), let chosen = ConsoleLanguage(rawValue: asked) {
            response.setCookie(Cookie(name: "tv_lang", value: chosen.rawValue, maxAge: 365 * 86_400, path: "/", secure: secure(request),
                                      httpOnly: true, sameSite: .strict))
        }
        return response
    }

    /// `value` without its empty strings: mustache renders a section for "" (a link with nowhere
    /// to go), and none for a missing key.
    static func pruned(_ value: Any) -> Any {
        if let dictionary = value as? [String: Any] {
            return dictionary.filter { ($0.value as? String) != "" }.mapValues(pruned)
        }
        if let list = value as? [[String: Any]] { return list.map { pruned($0) } }
        return value
    }

    /// A page that says what went wrong, with `status`.
    func problem(_ status: HTTPResponse.Status, _ key: String, identity: Identity?, request: Request) -> Response {
        let lang = language(request)
        return html("problem", title: key, view: ["heading": "\(status.code)", "message": lang.text(key)], identity: identity,
                    request: request, status: status)
    }

    /// The request's own path and query with `name` set to `value`.
    static func link(_ request: Request, setting name: String, to value: String) -> String {
        // Kept percent-encoded as they came: decoded and encoded again, a `+` (a space) and a
        // `%2B` (a plus) would become the same.
        var items = URLComponents(string: request.uri.description)?.percentEncodedQueryItems ?? []
        items.removeAll { $0.name == name }
        items.append(URLQueryItem(name: name, value: value))
        // One leading slash: `//chats` routes like `/chats`, but as a link it names a host.
        let path = "/" + request.uri.path.drop { $0 == "/" }
        var components = URLComponents()
        components.path = path
        components.percentEncodedQueryItems = items
        return components.url?.absoluteString ?? path
    }

    /// `path` with `items` as its query (nil values left out).
    static func link(_ path: String, _ items: [(String, String?)]) -> String {
        var components = URLComponents()
        components.path = path
        let kept = items.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        components.queryItems = kept.isEmpty ? nil : kept
        // A value's own `+` as %2B: in a query `+` reads as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.url?.absoluteString ?? path
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Whether cookies get `Secure`: the proxy in front says the browser used TLS.
    func secure(_ request: Request) -> Bool {
        settings.behindProxy && request.headers[.xForwardedProto]?.lowercased() == "https"
    }

    /// The browser's address: the proxy's last `X-Forwarded-For` entry behind a proxy, else the peer.
    func address(_ request: Request, _ context: ConsoleContext) -> String {
        if settings.behindProxy, let forwarded = request.headers[.xForwardedFor]?.split(separator: ",").last {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return context.peer
    }
}
