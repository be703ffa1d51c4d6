#!/usr/bin/env python3
"""A small HTTP/1.1 server for CurlHTTPTests (Python 3 stdlib only).

Listens on 127.0.0.1 at a free port and prints one line, "<port> <closed-port>", where
<closed-port> is a port that was free a moment ago and has nothing listening (for refused-
connection tests). Exits when its standard input closes, so it never outlives the test process.

Endpoints (any method):
  /echo             JSON: method, path, query, headers (lower-cased names), body, client_port
  /slow?ms=N        sleeps N ms, then answers "slept N"; with &key=K counted under K on arrival
  /status?code=N    answers with status N and a short body (no body for 204/304)
  /big?bytes=N      N bytes of "x"; with &chunked=1 sent chunked (no Content-Length)
  /headers          a few custom response headers
  /hangup?key=K     counts the request under K, then closes the connection without an answer
  /count?key=K      how many /hangup (or keyed /slow) requests arrived under K
"""
import gzip
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


HANGUPS: dict[str, int] = {}
HANGUPS_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse can be measured
    disable_nagle_algorithm = True  # TCP_NODELAY, or keep-alive timings lie

    def log_message(self, format, *args):  # quiet
        pass

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, body=b"", content_type="text/plain", extra=()):
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = self._read_body()
        if url.path == "/echo":
            payload = {
                "method": self.command,
                "path": url.path,
                "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "client_port": self.client_address[1],
            }
            self._send(200, json.dumps(payload).encode(), "application/json")
        elif url.path == "/slow":
            if "key" in query:  # counted on arrival, so a test can wait until the transfer is open
                with HANGUPS_LOCK:
                    HANGUPS[query["key"]] = HANGUPS.get(query["key"], 0) + 1
            ms = int(query.get("ms", "1000"))
            time.sleep(ms / 1000)
            self._send(200, f"slept {ms}".encode())
        elif url.path == "/status":
            code = int(query.get("code", "200"))
            self._send(code, f"status {code}".encode())
        elif url.path == "/big":
            n = int(query.get("bytes", "0"))
            if query.get("chunked") == "1":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 4096
                left = n
                while left > 0:
                    part = chunk[: min(left, len(chunk))]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    left -= len(part)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self._send(200, b"x" * n, "application/octet-stream")
        elif url.path == "/hangup":
            with HANGUPS_LOCK:
                HANGUPS[query.get("key", "")] = HANGUPS.get(query.get("key", ""), 0) + 1
            self.close_connection = True  # no answer at all: the client sees the connection die
        elif url.path == "/count":
            with HANGUPS_LOCK:
                count = HANGUPS.get(query.get("key", ""), 0)
            self._send(200, str(count).encode())
        elif url.path == "/gzip":
            # Compressed only when the client asks for it.
            body = b"compressed " * 100
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                self._send(200, gzip.compress(body), extra=[("Content-Encoding", "gzip")])
            else:
                self._send(200, body)
        elif url.path == "/early":
            # An informational 103 with a field of its own, then the answer: the answer's head alone counts.
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nX-Early: 1\r\nLink: </a>; rel=preload\r\n\r\n")
            self._send(200, b"ok", extra=[("X-Final", "yes")])
        elif url.path == "/bighead":
            # A head of `size` bytes of fields (each line under curl's limit of a field).
            size = int(query.get("size", "0"))
            lines = [("X-Pad-%d" % i, "p" * 1000) for i in range(max(0, size // 1012))]
            self._send(200, b"ok", extra=lines)
        elif url.path == "/headers":
            self._send(200, b"ok", extra=[("X-Skav-Test", "yes"), ("X-Multi", "first"), ("X-Multi", "second"),
                                          ("Retry-After", "7")])
        else:
            self._send(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that hang up (cancelled or timed-out requests) are expected; anything else is shown.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"{server.server_address[1]} {closed_port}", flush=True)
    sys.stdin.read()  # returns when the test closes our stdin or dies
    server.shutdown()


if __name__ == "__main__":
    main()
