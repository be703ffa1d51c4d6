#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
private import CCurl

/// Process-wide libcurl set-up, done once before the first client's worker uses curl.
enum CurlGlobal {
    /// Swift initialises a static `let` exactly once and thread-safely, which is what
    /// `curl_global_init` (not thread-safe in older libcurl) needs.
    static let ready: Bool = {
        // Every handle sets CURLOPT_NOSIGNAL (we run curl on our own threads), so curl no longer
        // shields us from SIGPIPE when a peer closes a socket: ignore it for the process.
        _ = signal(SIGPIPE, SIG_IGN)
        return curl_global_init(skav_curl_global_default()) == CURLE_OK
    }()
}
