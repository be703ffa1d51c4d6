import ChatHTTP

/// Building client-server API URLs.
enum MatrixPath {
    /// Percent-encodes everything outside RFC 3986 "unreserved" (`A-Z a-z 0-9 - . _ ~`), so room ids
    /// (`!a:b`), event ids (`$x`), user ids (`@u:hs`) and transaction ids are safe as one path segment
    /// or as a query value.
    static func encode(_ text: String) -> String { HTTPPath.encode(text) }

    static let clientAPI = "/_matrix/client/v3"
    static let mediaAPI = "/_matrix/media/v3"

    /// `base` + the API prefix (`/_matrix/client/v3` unless given) + `path` + the encoded query.
    static func url(base: String, path: String, query: [(String, String)], api: String = clientAPI) -> String {
        HTTPPath.url(base: base, api: api, path: path, query: query)
    }
}
