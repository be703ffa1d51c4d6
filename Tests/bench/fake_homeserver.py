"""A fake Matrix homeserver for benchmarks: just enough of the client-server API for `skav run`.

Not Synapse, but faithful where the bot depends on Synapse's behaviour:
- `PUT /rooms/{room}/send/{type}/{txn}` is idempotent per device and transaction id (the same event id
  comes back; nothing new is stored); an error answer is not remembered, so a retry is served anew;
- `POST /user/{user}/filter` stores a filter and answers its `filter_id`, which `/sync` takes instead of
  the JSON (an unknown id is `M_INVALID_PARAM`, as on Synapse);
- `/sync` is a long poll (`since`, `timeout`, a `filter` (inline JSON or a stored id) whose `room.timeline.limit` is
  honoured: a room with more new events gets its last `limit` ones, `limited: true` and a `prev_batch` that
  `/rooms/{room}/messages?dir=b` pages back from); the bot's own sends come back in its sync, as on Synapse;
  the first sync carries each joined room's summary (`m.joined_member_count`, `m.heroes`);
- events have Synapse's client format (`event_id` `$…`, `sender`, `origin_server_ts`, `content`,
  `unsigned.age`; no `room_id` inside a sync timeline);
- a 429 is `M_LIMIT_EXCEEDED` with `retry_after_ms` and a `Retry-After` header.

Configurable: the latency of every send (sends are served concurrently), 429s for one room or the whole
account for N seconds. Every event a person writes records when a `/sync` answer first carried it to the
bot (`visible_at`), and every send of the bot is recorded with its arrival and completion times
(`sends`), so a benchmark can compute reply latencies. Times are `time.monotonic()`.

    server = FakeHomeserver(send_latency=0.02)
    await server.start()                       # 127.0.0.1, a free port; server.url
    bot = server.add_user("skav", password="pw")
    room = server.create_dm(server.add_user("p1"), bot)   # already joined by both
    event = server.post(room, "@p1:localhost", "hej")    # a person writes
    await server.wait_bot_messages(room, after=0, count=1)
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

SERVER_NAME = "localhost"


def event_id() -> str:
    return "$" + secrets.token_urlsafe(32)[:43]


@dataclass
class Event:
    pos: int  # stream position (the sync token counts these)
    room: str
    data: dict  # the client-format event, without room_id
    ts: float  # time.monotonic() when stored
    visible_at: float | None = None  # when a /sync answer first carried it to the bot
    unsigned: dict = field(default_factory=dict)  # besides `age` (a member event's `prev_content`)


@dataclass
class Room:
    room_id: str
    members: dict[str, str] = field(default_factory=dict)  # user → membership
    events: list[Event] = field(default_factory=list)
    state: dict[tuple[str, str], dict] = field(default_factory=dict)  # (type, state_key) → content
    bot_messages: int = 0  # m.room.message events sent by the bot
    changed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Send:
    room: str
    txn: str
    arrived: float
    done: float | None
    status: int
    event: Event | None
    body: str


def event_field_paths(value) -> list[list[str]] | None:
    """A filter's `event_fields` as paths (the spec's dot-separated fields, `\\.` a literal dot), or None for all."""
    if not isinstance(value, list):
        return None
    paths = []
    for field in value:
        if not isinstance(field, str):
            continue
        parts, current, escaped = [], "", False
        for char in field:
            if escaped:
                current += char
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == ".":
                parts.append(current)
                current = ""
            else:
                current += char
        parts.append(current)
        paths.append(parts)
    return paths


def _sorted_dumps(value) -> str:
    return json.dumps(value, sort_keys=True)


def only_fields(data: dict, paths: list[list[str]]) -> dict:
    """The event with only the fields the paths name (as Synapse's `event_fields` filter)."""
    result: dict = {}
    for path in paths:
        source, target = data, result
        for index, key in enumerate(path):
            if not isinstance(source, dict) or key not in source:
                break
            if index == len(path) - 1:
                target[key] = source[key]
            else:
                source = source[key]
                target = target.setdefault(key, {})
    return result


class FakeHomeserver:
    def __init__(self, send_latency: float = 0.02, server_name: str = SERVER_NAME):
        self.send_latency = send_latency
        self.server_name = server_name
        self.users: dict[str, str] = {}  # user id → password
        self.tokens: dict[str, tuple[str, str]] = {}  # access token → (user id, device id)
        self.rooms: dict[str, Room] = {}
        self.stream: list[Event] = []
        self.pos = 0
        self.bot: str | None = None
        self.txns: dict[tuple[str, str, str], dict] = {}  # (user, device, path) → answer
        self.filters: dict[str, dict] = {}  # stored filters by id
        self.sends: list[Send] = []
        self.requests: dict[str, int] = {}
        self.account_limited_until = 0.0
        self.room_limited_until: dict[str, float] = {}
        self._news = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- set-up ---------------------------------------------------------------------------------

    def add_user(self, localpart: str, password: str | None = None) -> str:
        user = f"@{localpart}:{self.server_name}"
        self.users[user] = password or secrets.token_hex(8)
        return user

    def set_bot(self, user: str) -> None:
        """The account whose sends, syncs and 429s the server models (one client: the bot)."""
        self.bot = user

    def _new_room(self) -> Room:
        room = Room("!" + secrets.token_urlsafe(12).replace("-", "a").replace("_", "b") + ":" + self.server_name)
        self.rooms[room.room_id] = room
        return room

    def _append(self, room: Room, sender: str, etype: str, content: dict, state_key: str | None = None) -> Event:
        self.pos += 1
        data = {
            "type": etype,
            "sender": sender,
            "content": content,
            "origin_server_ts": int(time.time() * 1000),
            "event_id": event_id(),
        }
        if state_key is not None:
            data["state_key"] = state_key
            room.state[(etype, state_key)] = content
        event = Event(self.pos, room.room_id, data, time.monotonic())
        room.events.append(event)
        self.stream.append(event)
        if etype == "m.room.message" and sender == self.bot:
            room.bot_messages += 1
            room.changed.set()
            room.changed = asyncio.Event()
        self._news.set()
        self._news = asyncio.Event()
        return event

    def _member(self, room: Room, sender: str, user: str, membership: str, **extra) -> Event:
        previous = room.state.get(("m.room.member", user))
        room.members[user] = membership
        event = self._append(room, sender, "m.room.member", {"membership": membership, **extra}, state_key=user)
        if previous is not None:
            event.unsigned["prev_content"] = previous
        return event

    def create_dm(self, person: str, bot: str) -> str:
        """A direct chat `person` created and `bot` joined (as after the invite was accepted)."""
        room = self._new_room()
        self._append(room, person, "m.room.create", {"creator": person, "room_version": "10"}, state_key="")
        self._member(room, person, person, "join")
        self._append(room, person, "m.room.join_rules", {"join_rule": "invite"}, state_key="")
        self._member(room, person, bot, "invite", is_direct=True)
        self._member(room, bot, bot, "join")
        return room.room_id

    def post(self, room_id: str, sender: str, text: str) -> Event:
        """A person writes `text` in a room."""
        return self._append(self.rooms[room_id], sender, "m.room.message", {"msgtype": "m.text", "body": text})

    def limit_room(self, room_id: str, seconds: float) -> None:
        self.room_limited_until[room_id] = time.monotonic() + seconds

    def limit_account(self, seconds: float) -> None:
        self.account_limited_until = time.monotonic() + seconds

    async def wait_bot_messages(self, room_id: str, count: int, timeout: float) -> bool:
        """Waits until the bot has sent `count` messages to the room in all; False on timeout."""
        room = self.rooms[room_id]
        deadline = time.monotonic() + timeout
        while room.bot_messages < count:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(room.changed.wait(), left)
            except asyncio.TimeoutError:
                return False
        return True

    # ---- HTTP -------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(middlewares=[self._count], client_max_size=64 * 1024 * 1024)
        c = "/_matrix/client/{v:(v3|r0)}"
        app.router.add_get("/_matrix/client/versions", self.versions)
        app.router.add_get(c + "/login", self.login_flows)
        app.router.add_post(c + "/login", self.login)
        app.router.add_get(c + "/account/whoami", self.whoami)
        app.router.add_get(c + "/sync", self.sync)
        app.router.add_post(c + "/user/{user}/filter", self.store_filter)
        app.router.add_put(c + "/rooms/{room}/send/{type}/{txn}", self.send)
        app.router.add_post(c + "/rooms/{room}/join", self.join)
        app.router.add_post(c + "/join/{room}", self.join)
        app.router.add_post(c + "/rooms/{room}/leave", self.leave)
        app.router.add_post(c + "/createRoom", self.create_room)
        app.router.add_get(c + "/joined_rooms", self.joined_rooms)
        app.router.add_get(c + "/rooms/{room}/joined_members", self.joined_members)
        app.router.add_get(c + "/rooms/{room}/state/{type}/{key:.*}", self.state_event)
        app.router.add_get(c + "/rooms/{room}/messages", self.messages)
        app.router.add_get(c + "/rooms/{room}/event/{event}", self.get_event)
        app.router.add_post("/_matrix/media/{v:(v3|r0)}/upload", self.upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @web.middleware
    async def _count(self, request: web.Request, handler):
        name = request.match_info.route.resource.canonical if request.match_info.route.resource else request.path
        key = f"{request.method} {name}"
        self.requests[key] = self.requests.get(key, 0) + 1
        return await handler(request)

    @staticmethod
    def error(status: int, errcode: str, message: str, **extra) -> web.Response:
        return web.json_response({"errcode": errcode, "error": message, **extra}, status=status)

    def requester(self, request: web.Request) -> tuple[str, str] | None:
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else request.query.get("access_token", "")
        return self.tokens.get(token)

    def unknown_token(self) -> web.Response:
        return self.error(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.", soft_logout=False)

    def rate_limited(self, room_id: str) -> web.Response | None:
        now = time.monotonic()
        until = max(self.account_limited_until, self.room_limited_until.get(room_id, 0.0))
        if until <= now:
            return None
        wait = until - now
        response = self.error(429, "M_LIMIT_EXCEEDED", "Too Many Requests", retry_after_ms=int(wait * 1000))
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response

    async def versions(self, request: web.Request) -> web.Response:
        return web.json_response({"versions": ["r0.6.1", "v1.1", "v1.5", "v1.11"], "unstable_features": {}})

    async def login_flows(self, request: web.Request) -> web.Response:
        return web.json_response({"flows": [{"type": "m.login.password"}]})

    async def login(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("type") != "m.login.password":
            return self.error(400, "M_UNKNOWN", "Unknown login type")
        ident = body.get("identifier") or {}
        user = ident.get("user") or body.get("user") or ""
        if not user.startswith("@"):
            user = f"@{user}:{self.server_name}"
        if self.users.get(user) != body.get("password"):
            return self.error(403, "M_FORBIDDEN", "Invalid username or password")
        device = body.get("device_id") or secrets.token_hex(5).upper()
        token = "syt_" + secrets.token_urlsafe(24)
        self.tokens[token] = (user, device)
        return web.json_response({"user_id": user, "access_token": token, "device_id": device, "home_server": self.server_name})

    async def whoami(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        return web.json_response({"user_id": who[0], "device_id": who[1], "is_guest": False})

    # ---- sync ---------------------------------------------------------------------------------------

    async def store_filter(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        if request.match_info["user"] != who[0]:
            return web.json_response({"errcode": "M_FORBIDDEN", "error": "Cannot create filters for other users"}, status=403)
        try:
            stored = json.loads(await request.text())
        except ValueError:
            return web.json_response({"errcode": "M_NOT_JSON", "error": "Content not JSON."}, status=400)
        if not isinstance(stored, dict):
            return web.json_response({"errcode": "M_BAD_JSON", "error": "not an object"}, status=400)
        filter_id = str(len(self.filters))
        self.filters[filter_id] = stored
        return web.json_response({"filter_id": filter_id})

    @staticmethod
    def token_pos(token: str | None) -> int | None:
        if not token:
            return None
        try:
            return int(token.lstrip("s"))
        except ValueError:
            return None

    def client_event(self, event: Event, now: float, fields: list[list[str]] | None = None) -> dict:
        data = dict(event.data)
        data["unsigned"] = {**event.unsigned, "age": int((now - event.ts) * 1000)}
        return only_fields(data, fields) if fields is not None else data

    async def sync(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        user = who[0]
        since = self.token_pos(request.query.get("since"))
        timeout = min(int(request.query.get("timeout", "0") or 0), 60_000) / 1000
        raw_filter = request.query.get("filter", "{}")
        if raw_filter.startswith("{"):
            try:
                flt = json.loads(raw_filter)
            except ValueError:
                flt = {}
        else:
            flt = self.filters.get(raw_filter)
            if flt is None:
                return web.json_response({"errcode": "M_INVALID_PARAM", "error": "Invalid filter ID"}, status=400)
        if not isinstance(flt, dict):
            flt = {}
        room_filter = flt.get("room") or {}
        fields = event_field_paths(flt.get("event_fields"))
        allowed_rooms = room_filter.get("rooms")
        limit = int(((room_filter.get("timeline") or {}).get("limit")) or 10)
        if since is not None and since >= self.pos and timeout > 0:
            news = self._news
            try:
                await asyncio.wait_for(news.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        now = time.monotonic()
        upto = self.pos
        join: dict[str, dict] = {}
        invite: dict[str, dict] = {}
        if since is None:
            for room in self.rooms.values():
                if allowed_rooms is not None and room.room_id not in allowed_rooms:
                    continue
                membership = room.members.get(user)
                if membership == "join":
                    join[room.room_id] = self.room_answer(room, room.events, limit, now, initial=True, user=user, fields=fields)
                elif membership == "invite":
                    invite[room.room_id] = self.invite_answer(room)
        else:
            by_room: dict[str, list[Event]] = {}
            # The stream is ordered by position: look at the new tail only.
            lo, hi = 0, len(self.stream)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.stream[mid].pos <= since:
                    lo = mid + 1
                else:
                    hi = mid
            for event in self.stream[lo:]:
                if event.pos > upto:
                    break
                by_room.setdefault(event.room, []).append(event)
            for room_id, events in by_room.items():
                if allowed_rooms is not None and room_id not in allowed_rooms:
                    continue
                room = self.rooms[room_id]
                membership = room.members.get(user)
                if membership == "join" or any(e.data.get("state_key") == user for e in events):
                    if membership == "invite":
                        invite[room_id] = self.invite_answer(room)
                    else:
                        join[room_id] = self.room_answer(room, events, limit, now, initial=False, user=user, fields=fields)
        rooms: dict = {}
        if join:
            rooms["join"] = join
        if invite:
            rooms["invite"] = invite
        # Keys sorted, as Synapse writes them (an event's `content` comes before its `sender` and `type`).
        return web.json_response({"next_batch": f"s{upto}", "rooms": rooms}, dumps=_sorted_dumps)

    def room_answer(
        self, room: Room, events: list[Event], limit: int, now: float, initial: bool, user: str,
        fields: list[list[str]] | None = None,
    ) -> dict:
        shown = events[-limit:] if limit > 0 else []
        limited = len(events) > len(shown) or (initial and len(room.events) > len(shown))
        for event in shown:
            if event.visible_at is None and event.data["sender"] != user:
                event.visible_at = now
        answer: dict = {
            "timeline": {
                "events": [self.client_event(e, now, fields) for e in shown],
                "limited": limited,
                "prev_batch": f"s{(shown[0].pos - 1) if shown else self.pos}",
            },
            "state": {"events": []},
            "ephemeral": {"events": []},
            "account_data": {"events": []},
            "unread_notifications": {"highlight_count": 0, "notification_count": 0},
        }
        members_changed = any(e.data["type"] == "m.room.member" for e in events)
        if initial or members_changed:
            joined = [u for u, m in room.members.items() if m == "join"]
            invited = [u for u, m in room.members.items() if m == "invite"]
            answer["summary"] = {
                "m.joined_member_count": len(joined),
                "m.invited_member_count": len(invited),
                "m.heroes": sorted(u for u in joined + invited if u != user)[:5],
            }
        return answer

    def invite_answer(self, room: Room) -> dict:
        stripped = []
        for (etype, key), content in room.state.items():
            if etype in ("m.room.create", "m.room.join_rules", "m.room.name", "m.room.encryption", "m.room.member"):
                sender = key if etype == "m.room.member" else next(iter(room.members), "")
                stripped.append({"type": etype, "state_key": key, "content": content, "sender": sender})
        # Synapse appends the full invite event last.
        for event in reversed(room.events):
            if event.data["type"] == "m.room.member" and event.data.get("content", {}).get("membership") == "invite":
                stripped.append(dict(event.data))
                break
        return {"invite_state": {"events": stripped}}

    # ---- rooms --------------------------------------------------------------------------------------

    async def send(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        room_id, etype, txn = request.match_info["room"], request.match_info["type"], request.match_info["txn"]
        arrived = time.monotonic()
        key = (who[0], who[1], request.path)
        body = await request.json()
        text = str(body.get("body", ""))[:200]
        if key in self.txns:
            self.sends.append(Send(room_id, txn, arrived, arrived, 200, None, text))
            return web.json_response(self.txns[key])
        room = self.rooms.get(room_id)
        if room is None or room.members.get(who[0]) != "join":
            return self.error(403, "M_FORBIDDEN", "User not in room")
        limited = self.rate_limited(room_id)
        if limited is not None:
            self.sends.append(Send(room_id, txn, arrived, None, 429, None, text))
            return limited
        await asyncio.sleep(self.send_latency)
        if key in self.txns:  # the same transaction, served concurrently
            self.sends.append(Send(room_id, txn, arrived, time.monotonic(), 200, None, text))
            return web.json_response(self.txns[key])
        event = self._append(room, who[0], etype, body)
        answer = {"event_id": event.data["event_id"]}
        self.txns[key] = answer
        self.sends.append(Send(room_id, txn, arrived, time.monotonic(), 200, event, text))
        return web.json_response(answer)

    async def join(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        room = self.rooms.get(request.match_info["room"])
        if room is None:
            return self.error(404, "M_NOT_FOUND", "No known servers")
        if room.members.get(who[0]) not in ("invite", "join"):
            return self.error(403, "M_FORBIDDEN", "You are not invited to this room.")
        if room.members.get(who[0]) != "join":
            self._member(room, who[0], who[0], "join")
        return web.json_response({"room_id": room.room_id})

    async def leave(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        room = self.rooms.get(request.match_info["room"])
        if room is not None and room.members.get(who[0]) in ("invite", "join"):
            self._member(room, who[0], who[0], "leave")
        return web.json_response({})

    async def create_room(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        body = await request.json()
        room = self._new_room()
        self._append(room, who[0], "m.room.create", {"creator": who[0], "room_version": "10"}, state_key="")
        self._member(room, who[0], who[0], "join")
        preset = body.get("preset", "private_chat")
        self._append(room, who[0], "m.room.join_rules",
                     {"join_rule": "public" if preset == "public_chat" else "invite"}, state_key="")
        for state in body.get("initial_state") or []:
            self._append(room, who[0], state["type"], state.get("content", {}), state_key=state.get("state_key", ""))
        for user in body.get("invite") or []:
            self._member(room, who[0], user, "invite", is_direct=bool(body.get("is_direct")))
        return web.json_response({"room_id": room.room_id})

    async def joined_rooms(self, request: web.Request) -> web.Response:
        who = self.requester(request)
        if not who:
            return self.unknown_token()
        rooms = [r.room_id for r in self.rooms.values() if r.members.get(who[0]) == "join"]
        return web.json_response({"joined_rooms": rooms})

    def readable_room(self, request: web.Request) -> tuple[Room | None, web.Response | None]:
        who = self.requester(request)
        if not who:
            return None, self.unknown_token()
        room = self.rooms.get(request.match_info["room"])
        if room is None or room.members.get(who[0]) != "join":
            return None, self.error(403, "M_FORBIDDEN", "User not in room")
        return room, None

    async def joined_members(self, request: web.Request) -> web.Response:
        room, failure = self.readable_room(request)
        if failure:
            return failure
        joined = {u: {"display_name": None, "avatar_url": None} for u, m in room.members.items() if m == "join"}
        return web.json_response({"joined": joined})

    async def state_event(self, request: web.Request) -> web.Response:
        room, failure = self.readable_room(request)
        if failure:
            return failure
        content = room.state.get((request.match_info["type"], request.match_info["key"]))
        if content is None:
            return self.error(404, "M_NOT_FOUND", "Event not found.")
        return web.json_response(content)

    async def messages(self, request: web.Request) -> web.Response:
        room, failure = self.readable_room(request)
        if failure:
            return failure
        backwards = request.query.get("dir", "b") == "b"
        start = self.token_pos(request.query.get("from"))
        to = self.token_pos(request.query.get("to"))
        limit = max(1, min(int(request.query.get("limit", "10")), 1000))
        try:
            types = (json.loads(request.query.get("filter", "{}")) or {}).get("types")
        except ValueError:
            types = None
        now = time.monotonic()
        if backwards:
            top = self.pos if start is None else start
            candidates = [e for e in reversed(room.events) if e.pos <= top and (to is None or e.pos > to)]
        else:
            bottom = 0 if start is None else start
            candidates = [e for e in room.events if e.pos > bottom and (to is None or e.pos <= to)]
        matching = [e for e in candidates if types is None or e.data["type"] in types]
        chunk = matching[:limit]
        for event in chunk:
            if event.visible_at is None and event.data["sender"] != self.bot:
                event.visible_at = now
        answer: dict = {"chunk": [self.client_event(e, now) for e in chunk], "start": request.query.get("from", "")}
        if chunk and len(matching) > len(chunk):
            answer["end"] = f"s{chunk[-1].pos - 1}" if backwards else f"s{chunk[-1].pos}"
        return web.json_response(answer)

    async def get_event(self, request: web.Request) -> web.Response:
        room, failure = self.readable_room(request)
        if failure:
            return failure
        for event in room.events:
            if event.data["event_id"] == request.match_info["event"]:
                return web.json_response({**self.client_event(event, time.monotonic()), "room_id": room.room_id})
        return self.error(404, "M_NOT_FOUND", "Event not found.")

    async def upload(self, request: web.Request) -> web.Response:
        if not self.requester(request):
            return self.unknown_token()
        await request.read()
        return web.json_response({"content_uri": f"mxc://{self.server_name}/{secrets.token_urlsafe(16)}"})
