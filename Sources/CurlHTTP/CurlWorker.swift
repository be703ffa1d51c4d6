import Foundation
import Logging
private import CCurl

/// The worker thread of one client: owns the multi handle and the easy handles, and runs up to the
/// engine's `concurrency` transfers at once on them, all driven by one `curl_multi_poll` loop (one thread
/// for a pool of 32 sends, not 32 threads each woken for its own). Nothing here is shared with other
/// threads except through `CurlEngine.state`.
enum CurlWorker {
    static func run(engine: CurlEngine) {
        // Whatever way the worker ends, tasks queued to run on it run elsewhere.
        defer { engine.handOffJobs() }
        let pollSliceMs = Int32(clamping: timeoutMilliseconds(engine.pollSlice))
        guard CurlGlobal.ready, let multi = curl_multi_init() else {
            failAll(engine, HTTPError(.transport, "libcurl could not be initialised"))
            return
        }
        engine.state.withLock {
            $0.waker = CurlEngine.Waker(multi: multi)
            $0.workerThread = CurlEngine.currentThread()
        }
        engine.logger?.debug("curl worker started", metadata: ["http.client": "\(engine.name)"])

        var active: [Transfer] = []
        var spare: [Handle] = []
        defer {
            for handle in spare { handle.free() }
        }

        /// Ends a transfer: its handle leaves the multi handle and waits for the next request.
        func end(_ transfer: Transfer, _ result: Result<HTTPResponse, HTTPError>) {
            var connects = 0
            _ = skav_curl_get_long(transfer.handle.easy, CURLINFO_NUM_CONNECTS, &connects)
            _ = curl_multi_remove_handle(multi, transfer.handle.easy)
            transfer.release()
            spare.append(transfer.handle)
            engine.state.withLock { s in
                s.running.remove(transfer.job.id)
                s.cancelled.remove(transfer.job.id)
                s.connectionsOpened += connects
                s.transfersCompleted += 1
            }
            transfer.job.finish(result)
            log(transfer.job.request, result, elapsed: ContinuousClock.now - transfer.started, engine: engine)
        }

        /// True when the loop has more to do before it may sleep: a stop, a cancellation to carry out, or a
        /// queued request and a free slot (a slot a transfer just freed is filled before any poll).
        func moreToDo() -> Bool {
            engine.state.withLock { s in
                s.stopRequested || !s.cancelled.isEmpty || !s.jobs.isEmpty
                    || (!s.queue.isEmpty && s.running.count < engine.concurrency)
            }
        }

        /// Whether the open transfers must be driven on this turn: after a poll or a new transfer; not when the
        /// loop came back only for jobs.
        var mustPerform = true
        var lastPerform = ContinuousClock.now
        loop: while true {
            // Tasks waiting to run here (resumed by transfers that ended, or sent here by their preference).
            engine.runJobs()
            // Cancellations first (they free slots), then new requests up to the free slots.
            let (stop, cancelled): (Bool, Set<UInt64>) = engine.state.withLock { ($0.stopRequested, $0.cancelled) }
            if stop { break loop }
            if !cancelled.isEmpty {
                for transfer in active where cancelled.contains(transfer.job.id) { end(transfer, .failure(.cancelled)) }
                active.removeAll { cancelled.contains($0.job.id) }
                // Whatever was not open any more (it ended meanwhile) is not asked again.
                engine.state.withLock { $0.cancelled.subtract(cancelled) }
            }
            while true {
                let starting: [CurlEngine.Job] = engine.state.withLock { s in
                    var starting: [CurlEngine.Job] = []
                    while s.running.count < engine.concurrency, !s.queue.isEmpty {
                        let job = s.queue.removeFirst()
                        s.running.insert(job.id)
                        starting.append(job)
                    }
                    return starting
                }
                if starting.isEmpty { break }
                for job in starting {
                    guard let handle = spare.popLast() ?? Handle.make() else {
                        engine.notStarted(job.id)
                        job.finish(.failure(HTTPError(.transport, "libcurl could not create an easy handle")))
                        continue
                    }
                    switch start(job, on: handle, multi: multi, engine: engine) {
                    case .success(let transfer):
                        active.append(transfer)
                        mustPerform = true
                    case .failure(let error):
                        spare.append(handle)
                        engine.notStarted(job.id)
                        job.finish(.failure(error))
                    }
                }
            }
            if active.isEmpty {
                if !moreToDo() { _ = curl_multi_poll(multi, nil, 0, pollSliceMs, nil) }
                continue
            }
            if !mustPerform {
                // Back only to run tasks' jobs: the transfers are driven again only if one of their sockets is
                // ready (asked without sleeping) or libcurl's own timer may be due. Driving every open transfer
                // on every turn tried a read on each socket for nothing, most of the sender's CPU under load.
                var ready: Int32 = 0
                _ = curl_multi_poll(multi, nil, 0, 0, &ready)
                mustPerform = ready > 0 || ContinuousClock.now - lastPerform > .milliseconds(5)
            }
            if mustPerform {
                mustPerform = false
                lastPerform = ContinuousClock.now
                var running: Int32 = 0
                let performCode = curl_multi_perform(multi, &running)
                guard performCode == CURLM_OK else {
                    let error = HTTPError(.transport, String(cString: curl_multi_strerror(performCode)))
                    for transfer in active { end(transfer, .failure(error)) }
                    active.removeAll()
                    continue
                }
                var queued: Int32 = 0
                while let message = curl_multi_info_read(multi, &queued) {
                    guard message.pointee.msg == CURLMSG_DONE,
                        let index = active.firstIndex(where: { $0.handle.easy == message.pointee.easy_handle })
                    else { continue }
                    let transfer = active.remove(at: index)
                    end(transfer, outcome(of: transfer, code: message.pointee.data.result, engine: engine))
                }
            }
            if !active.isEmpty && !moreToDo() {
                mustPerform = true
                let pollCode = curl_multi_poll(multi, nil, 0, pollSliceMs, nil)
                if pollCode != CURLM_OK {
                    let error = HTTPError(.transport, String(cString: curl_multi_strerror(pollCode)))
                    for transfer in active { end(transfer, .failure(error)) }
                    active.removeAll()
                }
            }
        }

        // Shut down: open transfers end, queued requests fail.
        for transfer in active { end(transfer, .failure(engine.shutdownError)) }
        active.removeAll()
        // A wake-up may still be on its way to the multi handle (it is sent after the lock is released):
        // the handle is left to the engine, which frees it when nothing can wake it any more.
        let leftovers: [CurlEngine.Job] = engine.state.withLock { s in
            s.retired = s.waker
            s.waker = nil
            let queued = s.queue
            s.queue = []
            return queued
        }
        for job in leftovers { job.finish(.failure(engine.shutdownError)) }
        engine.logger?.debug("curl worker stopped", metadata: ["http.client": "\(engine.name)"])
    }

    private static func failAll(_ engine: CurlEngine, _ error: HTTPError) {
        engine.logger?.error("curl worker failed to start", metadata: ["http.client": "\(engine.name)", "http.error": "\(error)"])
        let jobs: [CurlEngine.Job] = engine.state.withLock { s in
            s.stopRequested = true
            let queued = s.queue
            s.queue = []
            return queued
        }
        for job in jobs { job.finish(.failure(error)) }
    }

    private static func log(_ request: HTTPRequest, _ result: Result<HTTPResponse, HTTPError>, elapsed: Duration, engine: CurlEngine) {
        // Built only when it is written: every request passes here.
        guard let logger = engine.logger, logger.logLevel <= .debug else { return }
        // The query string may carry tokens or sync positions: log the URL without it.
        let url = request.url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        var metadata: Logger.Metadata = [
            "http.client": "\(engine.name)",
            "http.method": "\(request.method)",
            "http.url": "\(url)",
            "http.duration_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ]
        switch result {
        case .success(let response):
            metadata["http.status"] = "\(response.status)"
            logger.debug("http request done", metadata: metadata)
        case .failure(let error):
            metadata["http.error"] = "\(error.label)"
            metadata["http.error_message"] = "\(error.message)"
            logger.debug("http request failed", metadata: metadata)
        }
    }
}

/// An easy handle with its error buffer; used on the worker thread only, reused request after request.
private struct Handle {
    let easy: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>

    static func make() -> Handle? {
        guard let easy = curl_easy_init() else { return nil }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return Handle(easy: easy, errorBuffer: errorBuffer)
    }

    func free() {
        curl_easy_cleanup(easy)
        errorBuffer.deallocate()
    }
}

/// An open transfer: its request, its handle and what must live until it ends (the context curl's
/// callbacks write into, the header list and the body, which curl does not copy).
private struct Transfer {
    let job: CurlEngine.Job
    let handle: Handle
    let context: TransferContext
    let headerList: UnsafeMutablePointer<curl_slist>?
    let bodyBuffer: UnsafeMutableRawBufferPointer?
    let started: ContinuousClock.Instant

    /// Frees what the transfer held, once its handle has left the multi handle.
    func release() {
        curl_slist_free_all(headerList)
        bodyBuffer?.deallocate()
    }
}

/// Per-transfer state that curl's callbacks write into (through their user-data pointer).
private final class TransferContext {
    let maxBytes: Int
    var body = Data()
    /// The response head's field lines as received, each ending in LF (`HTTPResponse.header` reads them
    /// when asked).
    var head: [UInt8] = []
    var headTooLarge = false
    /// The most bytes of a response head kept: far more than any server sends (curl refuses a head of
    /// more than a few hundred kilobytes itself).
    static let maxHeadBytes = 1 << 20
    var tooLarge = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }
}

extension CurlWorker {
    /// Sets the handle up for the job's request and adds it to the multi handle.
    fileprivate static func start(
        _ job: CurlEngine.Job, on handle: Handle, multi: UnsafeMutableRawPointer, engine: CurlEngine
    ) -> Result<Transfer, HTTPError> {
        let request = job.request
        if let problem = validate(request) { return .failure(problem) }
        let easy = handle.easy

        curl_easy_reset(easy)
        handle.errorBuffer[0] = 0
        let context = TransferContext(maxBytes: engine.maxResponseBytes)
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()

        // Request headers: the caller's, an empty Expect (no 100-continue round trip), and no
        // Content-Type of curl's own choosing.
        var headerList: UnsafeMutablePointer<curl_slist>?
        func addHeader(_ line: String) { headerList = curl_slist_append(headerList, line) }
        for (name, value) in request.headers {
            // "Name:" would make curl drop the header; "Name;" sends it with an empty value.
            addHeader(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        addHeader("Expect:")
        let hasContentType = request.headers.contains { $0.name.lowercased() == "content-type" }

        // The body is not copied by curl (CURLOPT_POSTFIELDS): it lives with the transfer, until the handle
        // has left the multi handle (`Transfer.release`).
        var bodyBuffer: UnsafeMutableRawBufferPointer?

        var setupFailure: CURLcode = CURLE_OK
        func set(_ code: CURLcode) { if setupFailure == CURLE_OK { setupFailure = code } }

        set(skav_curl_set_ptr(easy, CURLOPT_ERRORBUFFER, handle.errorBuffer))
        // Not idempotent: a fresh connection, so curl never silently re-sends it on a reused one that died.
        if !request.idempotent { set(skav_curl_set_long(easy, CURLOPT_FRESH_CONNECT, 1)) }
        set(skav_curl_set_string(easy, CURLOPT_URL, request.url))
        set(skav_curl_set_long(easy, CURLOPT_NOSIGNAL, 1))
        // Removing a handle whose threaded DNS lookup is still running otherwise blocks until
        // getaddrinfo returns (seconds, on a bad resolver), which would break prompt cancellation;
        // with QUICK_EXIT curl detaches that resolver thread instead (its small state may leak).
        set(skav_curl_set_long(easy, CURLOPT_QUICK_EXIT, 1))
        set(skav_curl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(skav_curl_set_long(easy, CURLOPT_TIMEOUT_MS, timeoutMilliseconds(request.timeout)))
        // Compressed answers for reads (a first `/sync` can be megabytes); a write's answer is a few bytes,
        // and the header cost libcurl a formatted line each time.
        if request.method == "GET" { set(skav_curl_set_string(easy, CURLOPT_ACCEPT_ENCODING, "")) }
        set(skav_curl_set_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(engine.maxResponseBytes)))
        set(skav_curl_set_data_cb(easy, CURLOPT_WRITEFUNCTION, { data, size, count, user in
            guard let user else { return 0 }
            let context = Unmanaged<TransferContext>.fromOpaque(user).takeUnretainedValue()
            // curl's sizes, checked: an overflow aborts the transfer instead of trapping.
            let (length, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { return 0 }
            guard length > 0, let data else { return length }
            if length > context.maxBytes - min(context.body.count, context.maxBytes) {
                context.tooLarge = true
                return 0  // curl aborts the transfer with CURLE_WRITE_ERROR
            }
            data.withMemoryRebound(to: UInt8.self, capacity: length) { context.body.append($0, count: length) }
            return length
        }))
        set(skav_curl_set_ptr(easy, CURLOPT_WRITEDATA, contextPointer))
        set(skav_curl_set_data_cb(easy, CURLOPT_HEADERFUNCTION, { data, size, count, user in
            guard let user else { return 0 }
            let context = Unmanaged<TransferContext>.fromOpaque(user).takeUnretainedValue()
            // curl's sizes, checked: an overflow aborts the transfer instead of trapping.
            let (length, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { return 0 }
            guard length > 0, let data else { return length }
            let line = UnsafeRawBufferPointer(start: data, count: length)
            if HeaderLine.isStatus(line) {
                context.head.removeAll(keepingCapacity: true)  // a new response head (after a 1xx, say) replaces the last
                return length
            }
            // Bounded apart from the body (curl's own limit on a head is lower still): past it, curl aborts.
            if length > TransferContext.maxHeadBytes - min(context.head.count, TransferContext.maxHeadBytes) {
                context.headTooLarge = true
                return 0
            }
            context.head.append(contentsOf: line)
            // curl hands over whole lines; one without its line feed still ends here.
            if line.last != UInt8(ascii: "\n") { context.head.append(UInt8(ascii: "\n")) }
            return length
        }))
        set(skav_curl_set_ptr(easy, CURLOPT_HEADERDATA, contextPointer))

        let method = request.method
        if method == "GET" && request.body == nil {
            set(skav_curl_set_long(easy, CURLOPT_HTTPGET, 1))
        } else if method == "HEAD" && request.body == nil {
            set(skav_curl_set_long(easy, CURLOPT_NOBODY, 1))
        } else {
            if request.body != nil || ["POST", "PUT", "PATCH"].contains(method) {
                if let body = request.body, !body.isEmpty {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: body.count, alignment: 1)
                    bodyBuffer = buffer
                    body.withUnsafeBytes { buffer.copyMemory(from: $0) }  // (Data's generic `copyBytes(to:)` went byte by byte)
                    set(skav_curl_set_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                    set(skav_curl_set_ptr(easy, CURLOPT_POSTFIELDS, buffer.baseAddress))
                } else {
                    // An empty body: NULL POSTFIELDS would make curl read stdin.
                    set(skav_curl_set_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
                }
                if !hasContentType { addHeader("Content-Type:") }
            }
            if method != "POST" {
                set(skav_curl_set_string(easy, CURLOPT_CUSTOMREQUEST, method))
            }
        }
        set(skav_curl_set_slist(easy, CURLOPT_HTTPHEADER, headerList))

        let transfer = Transfer(
            job: job, handle: handle, context: context, headerList: headerList, bodyBuffer: bodyBuffer, started: .now)
        if setupFailure != CURLE_OK {
            transfer.release()
            return .failure(HTTPError(.invalidRequest, message(setupFailure, handle)))
        }
        let addCode = curl_multi_add_handle(multi, easy)
        guard addCode == CURLM_OK else {
            transfer.release()
            return .failure(HTTPError(.transport, String(cString: curl_multi_strerror(addCode))))
        }
        return .success(transfer)
    }

    /// The outcome of a transfer curl has finished with `code`.
    fileprivate static func outcome(of transfer: Transfer, code: CURLcode, engine: CurlEngine) -> Result<HTTPResponse, HTTPError> {
        guard code == CURLE_OK else {
            return .failure(error(for: code, context: transfer.context, handle: transfer.handle, engine: engine))
        }
        var status = 0
        _ = skav_curl_get_long(transfer.handle.easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, head: transfer.context.head, body: transfer.context.body))
    }

    private static func error(for code: CURLcode, context: TransferContext, handle: Handle, engine: CurlEngine) -> HTTPError {
        let text = message(code, handle)
        switch code {
        case CURLE_WRITE_ERROR where context.headTooLarge:
            return HTTPError(.responseTooLarge, "the response head exceeds \(TransferContext.maxHeadBytes) bytes (\(text))")
        case CURLE_WRITE_ERROR where context.tooLarge, CURLE_FILESIZE_EXCEEDED:
            return HTTPError(.responseTooLarge, "the response body exceeds \(engine.maxResponseBytes) bytes (\(text))")
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(text)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectionFailed(text)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return HTTPError(.invalidRequest, text)
        default:
            return HTTPError(.transport, text)
        }
    }

    /// curl's detailed message from the error buffer, or its generic text for the code.
    private static func message(_ code: CURLcode, _ handle: Handle) -> String {
        let detail = String(cString: handle.errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    private static func validate(_ request: HTTPRequest) -> HTTPError? {
        // Bytes, not Characters: "\r\n" is one Character and would slip past a Character test; a byte of
        // a multi-byte scalar is never one of these. Read from the string's own UTF-8 storage (its UTF-8 view,
        // a byte at a time through its indexes, was about 13,000 instructions a request).
        func contains(_ text: String, _ test: (UInt8) -> Bool) -> Bool {
            var text = text
            return text.withUTF8 { $0.contains(where: test) }
        }
        func breaksLine(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") || byte == 0 }
        let tokenBytes = Self.tokenBytes
        func isToken(_ text: String) -> Bool {
            !text.isEmpty && !contains(text) { !tokenBytes[Int($0)] }
        }
        if request.url.isEmpty || contains(request.url, { breaksLine($0) || $0 == UInt8(ascii: " ") }) {
            return HTTPError(.invalidRequest, "invalid URL")
        }
        if !isToken(request.method) {
            return HTTPError(.invalidRequest, "invalid method '\(request.method)'")
        }
        for (name, value) in request.headers {
            if !isToken(name) || contains(value, breaksLine) {
                return HTTPError(.invalidRequest, "invalid header '\(name)'")
            }
        }
        return nil
    }

    /// The bytes of an HTTP token (RFC 9110 `tchar`): ASCII letters, digits and ``!#$%&'*+-.^_`|~``.
    private static let tokenBytes: [Bool] = (0..<256).map { byte in
        guard let scalar = Unicode.Scalar(UInt32(byte)), scalar.isASCII else { return false }
        return scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
            || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
    }

    private static func timeoutMilliseconds(_ timeout: Duration) -> Int {
        let (seconds, attoseconds) = timeout.components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        guard !ms.overflow else { return Int.max }
        // Round up, and never 0, which curl reads as "no timeout".
        let total = ms.partialValue.addingReportingOverflow((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        guard !total.overflow else { return Int.max }
        return Int(max(1, total.partialValue))
    }
}
