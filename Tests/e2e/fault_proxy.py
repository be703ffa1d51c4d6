"""A fault-injecting HTTP proxy between the bot and Synapse, on 127.0.0.1.

    proxy = FaultProxy(upstream=hs.url).start()
    proxy.inject("GET", "/sync", "drop")                 # close the connection without an answer
    proxy.inject("PUT", "/send/", "lose")                # forward (Synapse applies it), then drop the answer
    proxy.inject("PUT", "/send/", "status:503")
    proxy.inject("GET", "/sync", "429")                  # M_LIMIT_EXCEEDED, Retry-After: 1, retry_after_ms
    proxy.inject("PUT", "!room:hs/send/", "429:9223372036854775807")   # the same with this Retry-After (and ms)
    proxy.inject("GET", "/sync", "garbage")              # 200 with an HTML body
    proxy.inject("GET", "/sync", "truncate")             # forward, answer with half the JSON
    proxy.inject("PUT", "/send/", "stall:4")             # wait 4 s, then forward (the client has given up)
    proxy.inject("GET", "/sync", "deep_invite:600")      # forward, and add an invite whose content nests 600 deep
    proxy.inject("GET", "/sync", "pad:9000000")          # forward; an answer asked with a timeline limit over 10
                                                         # gets 9 MB of padding (too large at the full limit)
    ...
    proxy.stop()

Faults are taken in the order injected, each by the first request whose method matches and whose path
(URL-decoded, so a room id reads as itself) contains the given text. Everything else passes through untouched, long polls included.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from dataclasses import dataclass

import aiohttp
from aiohttp import web

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding"}


@dataclass
class Fault:
    method: str
    path_part: str
    kind: str


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.port: int | None = None
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, method: str, path_part: str, kind: str, times: int = 1) -> None:
        with self._lock:
            self._faults.extend(Fault(method.upper(), path_part, kind) for _ in range(times))

    @property
    def pending(self) -> list[str]:
        with self._lock:
            return [f"{f.method} {f.path_part} {f.kind}" for f in self._faults]

    def _take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method == method and fault.path_part in path:
                    return self._faults.pop(index)
        return None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.run_forever()

    async def _serve(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 (aiohttp has no public accessor)
        self._ready.set()

    def stop(self) -> None:
        if not self._loop:
            return

        async def shutdown() -> None:
            if self._runner:
                await self._runner.cleanup()
            if self._session:
                await self._session.close()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)
        self._loop = None

    # ---- proxying ----------------------------------------------------------------------------

    async def _forward(self, request: web.Request, body: bytes) -> tuple[int, dict, bytes]:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body or None
        ) as answer:
            data = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
            return answer.status, kept, data

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never reaches the client

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests += 1
        fault = self._take(request.method, request.path)
        if fault is None:
            status, headers, data = await self._forward(request, body)
            return web.Response(status=status, headers=headers, body=data)

        kind = fault.kind
        self.injected[kind.split(":")[0]] += 1
        if kind == "drop":
            return self._drop(request)
        if kind == "lose":
            await self._forward(request, body)
            return self._drop(request)
        if kind.startswith("status:"):
            code = int(kind.split(":")[1])
            return web.json_response({"errcode": "M_UNKNOWN", "error": f"injected {code}"}, status=code)
        if kind == "429":
            return web.json_response(
                {"errcode": "M_LIMIT_EXCEEDED", "error": "injected", "retry_after_ms": 1000},
                status=429,
                headers={"Retry-After": "1"},
            )
        if kind.startswith("429:"):
            # A server's absurd hint: the header as given, and retry_after_ms a thousand times that.
            wait = kind.split(":", 1)[1]
            return web.Response(
                status=429,
                text=f'{{"errcode":"M_LIMIT_EXCEEDED","error":"injected","retry_after_ms":{wait}000}}',
                content_type="application/json",
                headers={"Retry-After": wait},
            )
        if kind == "garbage":
            return web.Response(status=200, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if kind == "truncate":
            status, headers, data = await self._forward(request, body)
            headers.pop("Content-Type", None)
            return web.Response(status=status, body=data[: max(1, len(data) // 2)], content_type="application/json")
        if kind.startswith("pad:"):
            # As if many rooms had many large messages: the answer is too large at the full timeline limit;
            # asked again with 10 events per room or fewer, it passes (the fault is then not used up).
            query_filter = request.query.get("filter", "{}")
            if not query_filter.startswith("{"):
                limit = 50  # a stored filter's id: the bot stores only the filter of its configured (full) limit
            else:
                try:
                    limit = json.loads(query_filter).get("room", {}).get("timeline", {}).get("limit", 0)
                except ValueError:
                    limit = 0
            status, headers, data = await self._forward(request, body)
            if limit <= 10 or status != 200:
                with self._lock:
                    self._faults.insert(0, fault)
                self.injected[kind.split(":")[0]] -= 1
                return web.Response(status=status, headers=headers, body=data)
            padding = int(kind.split(":")[1])
            text = data.decode()
            text = '{"skav_padding":"' + "x" * padding + '",' + text.lstrip()[1:]
            return web.Response(status=200, body=text.encode(), content_type="application/json")
        if kind.startswith("deep_invite:"):
            # Anyone who invites the bot controls the invite's state content: here, nested 600 levels deep.
            status, headers, data = await self._forward(request, body)
            if status != 200:
                return web.Response(status=status, headers=headers, body=data)
            depth = int(kind.split(":")[1])
            nested = '"bottom"'
            for _ in range(depth):
                nested = '{"x":' + nested + "}"
            bot = request.query.get("user_id") or "@skav:localhost"
            invite = (
                '{"invite_state":{"events":[{"type":"m.room.member","state_key":"%s","sender":"@mallory:localhost",'
                '"content":{"membership":"invite","is_direct":true,"nested":%s}}]}}' % (bot, nested)
            )
            text = data.decode()
            marker = '"next_batch"'
            entry = '"!deep:localhost":%s' % invite
            if '"invite":{' in text:
                text = text.replace('"invite":{', '"invite":{' + entry + ",", 1)
            elif '"rooms":{' in text:
                text = text.replace('"rooms":{', '"rooms":{"invite":{' + entry + "},", 1)
            else:
                text = '{"rooms":{"invite":{' + entry + "}}," + text.lstrip()[1:]
            assert marker in text
            return web.Response(status=200, body=text.encode(), content_type="application/json")
        if kind.startswith("stall:"):
            await asyncio.sleep(float(kind.split(":")[1]))
            status, headers, data = await self._forward(request, body)
            return web.Response(status=status, headers=headers, body=data)
        raise ValueError(f"unknown fault {kind!r}")
