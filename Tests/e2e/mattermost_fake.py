"""A fake Mattermost server (REST API v4) on 127.0.0.1 for the end-to-end tests. Standard library only.

The real server cannot be installed here, so this one is written from Mattermost's API v4 reference
(https://developers.mattermost.com/api-documentation/) and from the server's behaviour as its code and issue
tracker describe it (mattermost/server: app/post.go, store/sqlstore/post_store.go, channel_store.go,
api4/post.go, app/ratelimit.go). It is checked by an independent client, the PyPI package
`mattermostautodriver` (generated from Mattermost's OpenAPI specification), in test_mattermost_fake.py.

    fake = MattermostFake.start()                  # free port on 127.0.0.1 (or MattermostFake.start(port=N))
    admin = fake.create_user("admin", admin=True)
    bot, token = fake.create_bot("skav")           # a bot account and its personal access token
    team = fake.create_team("kommun")
    fake.add_team_member(team["id"], bot["id"])
    ...
    fake.stop()

What it does, as the real server does it
- Users: `POST /users` (open sign-up, or a system admin), `POST /users/login` (`login_id` = username or
  e-mail, the session token comes back in the `Token` header), `POST /users/logout`, `GET /users/me`,
  `GET /users/{id}`, `PUT /users/{id}/patch`, `/users/username/{name}`, `/users/email/{email}`,
  `POST /users/ids`. Bots:
  `POST /bots`, personal access tokens `POST /users/{id}/tokens`. Every request but login, sign-up and
  ping needs `Authorization: Bearer <token>` (or the `MMAUTHTOKEN` cookie); a bad one is 401
  `api.context.session_expired.app_error`. E-mail addresses are sanitised (blank) for others unless
  `privacy_show_email` is on, as `PrivacySettings.ShowEmailAddress` does; on by default here, as the bot's
  domain check needs them.
- Teams and membership: `POST /teams`, `GET /teams/{id}`, `/teams/name/{name}`, `POST /teams/{id}/members`,
  `GET /teams/{id}/members`, `GET /teams/{id}/members/{user_id}` (404 when not a member),
  `GET /users/{id}/teams` (`me` too).
- Channels: `O` open, `P` private, `D` direct (name `<idA>__<idB>` with the ids sorted, empty `team_id`),
  `G` group. `POST /channels`, `POST /channels/direct` (the existing channel or a new one, 201 both times;
  403 `api.channel.create_direct_channel.direct_message_permission.app_error` when the two may not talk:
  `restrict_direct_message: team` and no team in common, or a deactivated user), `POST /channels/group`,
  `GET /channels/{id}`, `POST /channels/{id}/members`, `DELETE /channels/{id}/members/{user_id}`,
  `GET /channels/{id}/members`, `GET /users/{id}/teams/{team_id}/channels` (the team's channels the user is
  in, plus every DM and group channel: team_id '' matches any team), `GET /users/{id}/channels`.
  `last_post_at` (and `last_root_post_at`, `total_msg_count`) move with every new post or reply and with
  edits; not with deletes or reactions. A new channel has `last_post_at` 0 until its first post
  (model.Channel.PreSave sets only create_at/update_at), so an empty new DM does not look "moved".
- Posts: `POST /posts` → 201. Only channel members may post (403). `root_id` must name a root post of the
  same channel (400 `api.post.create_post.root_id.app_error`). `message` over `MaxPostSize` (16,383) is
  400 `model.post.is_valid.message_length.app_error`. Posts by bot accounts get `props.from_bot = "true"`.
  `pending_post_id` is de-duplicated per user for 30 s: a repeat after the first was saved returns the first
  post (201), a repeat while the first is still being saved is 500 `api.post.deduplicate_create_post.pending`
  (`/fake/save_delay` makes saving slow so that this can be seen). A reply bumps its root's `update_at`.
  `PUT /posts/{id}/patch` (author or admin): new `message`/`props`/`file_ids`, `edit_at` and `update_at` =
  now, plus an edit-history row: a copy of the old post with a new id, `original_id` = the post's id and
  `delete_at` = `update_at` = now (SqlPostStore.Update); the channel's `last_post_at` moves, and an edited
  reply bumps its root's `update_at`. `DELETE /posts/{id}`: `delete_at` and `update_at` = now, the message
  blanked and the thread's replies deleted too. `GET /posts/{id}`, `GET /posts/{id}/thread`.
- Reactions: `POST /reactions` (201) bumps the post's `update_at` and sets `has_reactions`;
  `DELETE /users/{uid}/posts/{pid}/reactions/{emoji}` too; `GET /posts/{id}/reactions`.
- The change feed `GET /channels/{id}/posts?since=MS`: every row with `update_at > since` (new posts,
  edited, deleted with blank message, history rows, posts whose reactions changed, thread roots that got a
  reply), at most 1,000 of them and which ones is not defined (the server's query has `LIMIT 1000` and no
  `ORDER BY`: the fake takes a random 1,000), plus the thread roots of the replies among them, in NO
  guaranteed order (the fake shuffles `order`); `since` overrides paging. Without `since`: `page`/`per_page` (default 60, at most 200) newest first, or the posts
  before/after a post id (`before`, `after`: `create_at` strictly before/after the anchor's, as the server's
  query compares, so posts sharing the anchor's millisecond are in neither), deleted posts and history
  rows left out.
  Answer: `{order, posts, next_post_id, prev_post_id, has_next}`.
- Files: `POST /files` (multipart: `channel_id` and one or more `files` parts; or the raw body with
  `?channel_id=&filename=`) → 201 `{file_infos, client_ids}`; `GET /files/{id}`, `GET /files/{id}/info`; a
  post's `file_ids` show up in `metadata.files`.
- `GET /config/client?format=old` → a map of strings with `MaxPostSize` "16383" (501 without format=old);
  `GET /system/ping`.
- Errors are JSON `{id, message, detailed_error, request_id, status_code}`, except 429: plain text
  `limit exceeded` with `X-Ratelimit-Limit`, `X-Ratelimit-Remaining`, `X-Ratelimit-Reset` (seconds until the
  bucket refills, as the server's throttled limiter sends it) and `Retry-After`. Rate limiting is off by
  default, as in Mattermost's default config.

Test controls (not Mattermost API), JSON bodies, under /fake/
- `POST /fake/ratelimit {on, per_second, burst, user_id?, channel_id?, reset?}` rate-limit a user's requests
  (every user when no user_id; only requests naming that channel when channel_id is given);
  `{"on": false}` switches it off. `reset` overrides the X-Ratelimit-Reset header's value (e.g. an epoch).
- `POST /fake/drop {count, method?, path?, user_id?}` handle the next `count` matching requests in full
  (commit), then close the connection without an answer.
- `POST /fake/fail {count, status, method?, path?, user_id?}` answer the next matching requests with an
  error status without doing anything (e.g. 500, 502, 503).
- `POST /fake/delay_visibility {count, delay_ms, channel_id?, user_id?}` the next `count` matching new
  posts are stamped (`create_at`/`update_at`) now but become visible to reads only after `delay_ms`, as
  when the server stamps a post before its commit or a read hits a replica; posts made meanwhile are seen
  first. The channel's `last_post_at`/`total_msg_count` and a root's `update_at` move when the post becomes
  visible (the server updates them after the insert), so `last_post_at` may not move at all (an older stamp)
  while `total_msg_count` does.
- `POST /fake/inject {channel_id, user_id, messages: [...], per_ms?}` creates many posts at once (per_ms
  posts share each millisecond stamp, default 10), as a burst between two polls would.
- `POST /fake/save_delay {ms}` every post save takes that long (the pending_post_id window).
- `POST /fake/config {max_post_size?, restrict_direct_message?, privacy_show_email?}`.
- `GET /fake/stats` request counts per route and per user.
Python helpers (same process) do the same: `fake.ratelimit(...)`, `fake.drop(...)`, `fake.inject(...)`, ...
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import random
import secrets
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

HOST = "127.0.0.1"
DEDUP_WINDOW_S = 30.0
SINCE_LIMIT = 1000
MAX_PER_PAGE = 200
PENDING = "__pending__"


def new_id() -> str:
    """26 characters of lowercase base32, like model.NewId()."""
    return base64.b32encode(uuid.uuid4().bytes).decode().lower().rstrip("=")[:26].replace("=", "a")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ApiError(Exception):
    def __init__(self, status: int, err_id: str, message: str, detailed: str = ""):
        super().__init__(message)
        self.status, self.err_id, self.message, self.detailed = status, err_id, message, detailed


class Dropped(Exception):
    """Close the connection without an answer."""


class _Clock:
    """Milliseconds, never going backwards. `tick()` (every saved post or change) is strictly increasing, so
    that posts made one after the other keep their order for every reader; that is kinder than a real
    server, where two posts in the same millisecond share the stamp: `inject(per_ms=…)` makes such bursts
    on purpose."""

    def __init__(self):
        self.last = 0

    def now(self) -> int:
        self.last = max(self.last, int(time.time() * 1000))
        return self.last

    def tick(self) -> int:
        self.last = max(self.last + 1, int(time.time() * 1000))
        return self.last


class _Server(ThreadingHTTPServer):
    """A client that goes away mid-request (the bot killed by a crash test, a connection the fake drops) is
    what a real server sees too: not worth a traceback in the test output. Anything else is printed."""

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class MattermostFake:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.lock = threading.RLock()
        self.clock = _Clock()
        self.users: dict[str, dict] = {}
        self.passwords: dict[str, str] = {}
        self.tokens: dict[str, str] = {}  # token -> user id
        self.teams: dict[str, dict] = {}
        self.team_members: dict[str, set[str]] = {}  # team id -> user ids
        self.channels: dict[str, dict] = {}
        self.channel_members: dict[str, set[str]] = {}
        self.posts: dict[str, dict] = {}
        self.channel_posts_index: dict[str, list[dict]] = {}  # channel id -> its posts (history rows too)
        self.visible_at: dict[str, float] = {}  # post id -> monotonic time it becomes visible
        self.late_commits: list[tuple[float, dict]] = []  # (visible at, post) whose channel effects wait
        self.reactions: dict[str, list[dict]] = {}
        self.files: dict[str, tuple[dict, bytes]] = {}
        self.pending_ids: dict[tuple[str, str], tuple[str, float]] = {}  # (user, pending id) -> (post id|PENDING, t)
        self.max_post_size = 16383
        self.restrict_direct_message = "any"
        self.privacy_show_email = True
        self.save_delay_s = 0.0
        self.rate: dict | None = None
        self.buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill]
        self.drops: list[dict] = []
        self.fails: list[dict] = []
        self.delays: list[dict] = []
        self.stats: Counter = Counter()
        self.user_stats: Counter = Counter()
        self.requests: list[tuple[float, str, str, str | None]] = []  # (t, method, path, user id)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    @classmethod
    def start(cls, port: int | None = None) -> "MattermostFake":
        fake = cls(port)
        handler = type("Handler", (_Handler,), {"fake": fake})
        fake._httpd = _Server((HOST, fake.port), handler)
        fake._httpd.daemon_threads = True
        fake._thread = threading.Thread(target=fake._httpd.serve_forever, name="mattermost-fake", daemon=True)
        fake._thread.start()
        return fake

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "MattermostFake":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- model helpers (also the Python API of the tests) -------------------------------------

    def create_user(
        self, username: str, password: str | None = None, email: str | None = None, admin: bool = False,
        first_name: str = "", last_name: str = "", is_bot: bool = False,
    ) -> dict:
        with self.lock:
            if any(u["username"] == username.lower() for u in self.users.values()):
                raise ApiError(400, "app.user.save.username_exists.app_error", "An account with that username already exists.")
            email = (email or f"{username.lower()}@kommun.example").lower()
            if not is_bot and any(u["email"] == email for u in self.users.values()):
                raise ApiError(400, "app.user.save.email_exists.app_error", "An account with that email already exists.")
            now = self.clock.now()
            uid = new_id()
            user = {
                "id": uid, "create_at": now, "update_at": now, "delete_at": 0, "username": username.lower(),
                "auth_data": "", "auth_service": "", "email": email, "email_verified": True, "nickname": "",
                "first_name": first_name, "last_name": last_name, "position": "",
                "roles": "system_user system_admin" if admin else "system_user", "locale": "en",
                "timezone": {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"},
                "is_bot": is_bot,
            }
            self.users[uid] = user
            self.passwords[uid] = password or f"pw-{username}"
            return dict(user)

    def create_bot(self, username: str, display_name: str = "") -> tuple[dict, str]:
        user = self.create_user(username, email=f"{username.lower()}@localhost", is_bot=True, first_name=display_name)
        return user, self.create_token(user["id"])

    def create_token(self, user_id: str) -> str:
        with self.lock:
            token = secrets.token_hex(13)
            self.tokens[token] = user_id
            return token

    def login(self, login_id: str, password: str) -> tuple[dict, str]:
        with self.lock:
            for uid, u in self.users.items():
                if login_id.lower() in (u["username"], u["email"]) and self.passwords.get(uid) == password and not u["is_bot"]:
                    if u["delete_at"]:
                        raise ApiError(401, "api.user.login.inactive.app_error", "Login failed because your account has been deactivated.")
                    return dict(u), self.create_token(uid)
            raise ApiError(401, "api.user.login.invalid_credentials_email_username", "Enter a valid email or username and/or password.")

    def create_team(self, name: str, display_name: str | None = None, team_type: str = "O") -> dict:
        with self.lock:
            if any(t["name"] == name for t in self.teams.values()):
                raise ApiError(400, "app.team.save.existing.app_error", "A team with that name already exists.")
            now = self.clock.now()
            team = {"id": new_id(), "create_at": now, "update_at": now, "delete_at": 0, "display_name": display_name or name,
                    "name": name, "description": "", "email": "", "type": team_type, "allowed_domains": "", "invite_id": new_id(),
                    "allow_open_invite": team_type == "O"}
            self.teams[team["id"]] = team
            self.team_members[team["id"]] = set()
            return dict(team)

    def add_team_member(self, team_id: str, user_id: str) -> dict:
        with self.lock:
            self._team(team_id)
            self._user(user_id)
            self.team_members[team_id].add(user_id)
            return {"team_id": team_id, "user_id": user_id, "roles": "team_user", "delete_at": 0}

    def create_channel(self, team_id: str, name: str, creator: str, channel_type: str = "O", display_name: str = "") -> dict:
        with self.lock:
            self._team(team_id)
            if any(c["team_id"] == team_id and c["name"] == name for c in self.channels.values()):
                raise ApiError(400, "store.sql_channel.save_channel.exists.app_error", "A channel with that name already exists on the same team.")
            ch = self._new_channel(team_id, name, channel_type, display_name or name, creator)
            self.channel_members[ch["id"]].add(creator)
            return dict(ch)

    def _new_channel(self, team_id: str, name: str, channel_type: str, display_name: str, creator: str) -> dict:
        now = self.clock.now()
        ch = {"id": new_id(), "create_at": now, "update_at": now, "delete_at": 0, "team_id": team_id, "type": channel_type,
              "display_name": display_name, "name": name, "header": "", "purpose": "", "last_post_at": 0,
              "last_root_post_at": 0, "total_msg_count": 0, "total_msg_count_root": 0, "extra_update_at": 0,
              "creator_id": creator, "shared": False}
        self.channels[ch["id"]] = ch
        self.channel_members[ch["id"]] = set()
        return ch

    def add_channel_member(self, channel_id: str, user_id: str) -> dict:
        with self.lock:
            ch = self._channel(channel_id)
            if ch["type"] == "D":
                raise ApiError(400, "api.channel.add_user.to.channel.failed.deleted.app_error", "Failed to add user to channel.")
            self._user(user_id)
            if ch["team_id"] and user_id not in self.team_members.get(ch["team_id"], set()):
                raise ApiError(403, "api.channel.add_user.to.channel.failed.app_error", "Failed to add user to channel: not on the team.")
            self.channel_members[channel_id].add(user_id)
            return {"channel_id": channel_id, "user_id": user_id, "roles": "channel_user"}

    def direct_channel(self, a: str, b: str) -> tuple[dict, bool]:
        """The DM of a and b (existing or new); True when it was made now."""
        with self.lock:
            ua, ub = self._user(a), self._user(b)
            if ua["delete_at"] or ub["delete_at"]:
                raise ApiError(403, "api.channel.create_direct_channel.direct_message_permission.app_error", "You do not have the appropriate permissions.")
            if self.restrict_direct_message == "team" and a != b:
                shared = [t for t, members in self.team_members.items() if a in members and b in members]
                if not shared:
                    raise ApiError(403, "api.channel.create_direct_channel.direct_message_permission.app_error", "You do not have the appropriate permissions.")
            name = "__".join(sorted((a, b)))
            for ch in self.channels.values():
                if ch["type"] == "D" and ch["name"] == name:
                    return dict(ch), False
            ch = self._new_channel("", name, "D", "", a)
            self.channel_members[ch["id"]] |= {a, b}
            return dict(ch), True

    # ---- posts -------------------------------------------------------------------------------

    def create_post(self, user_id: str, body: dict, visible_delay_s: float | None = None) -> dict:
        channel_id = body.get("channel_id") or ""
        message = body.get("message") or ""
        pending = body.get("pending_post_id") or ""
        key = (user_id, pending)
        with self.lock:
            ch = self._channel(channel_id)
            if user_id not in self.channel_members[channel_id]:
                raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
            if len(message) > self.max_post_size:
                raise ApiError(400, "model.post.is_valid.message_length.app_error", "Invalid Message property for post.",
                               f"id={channel_id}")
            root_id = body.get("root_id") or ""
            if root_id:
                root = self.posts.get(root_id)
                if not root or root["channel_id"] != channel_id or root["root_id"] or root["delete_at"]:
                    raise ApiError(400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
            if pending:
                seen = self.pending_ids.get(key)
                if seen and time.monotonic() - seen[1] < DEDUP_WINDOW_S:
                    if seen[0] == PENDING:
                        raise ApiError(500, "api.post.deduplicate_create_post.pending",
                                       "Post rejected by server: a post with the same pending id is still being saved.")
                    existing = self.posts.get(seen[0])
                    if existing:
                        return self._client_post(existing)
                self.pending_ids[key] = (PENDING, time.monotonic())
        if self.save_delay_s:
            time.sleep(self.save_delay_s)
        with self.lock:
            try:
                post = self._save_post(user_id, ch["id"], message, root_id, body, visible_delay_s)
            except BaseException:
                if pending:
                    self.pending_ids.pop(key, None)
                raise
            if pending:
                self.pending_ids[key] = (post["id"], time.monotonic())
            return self._client_post(post)

    def _save_post(self, user_id: str, channel_id: str, message: str, root_id: str, body: dict,
                   visible_delay_s: float | None, now: int | None = None) -> dict:
        if visible_delay_s is None:
            visible_delay_s = self._take_delay(channel_id, user_id)
        now = now or self.clock.tick()
        props = dict(body.get("props") or {})
        if self.users[user_id]["is_bot"]:
            props["from_bot"] = "true"
        file_ids = [f for f in (body.get("file_ids") or []) if f in self.files][:10]
        post = {
            "id": new_id(), "create_at": now, "update_at": now, "edit_at": 0, "delete_at": 0, "is_pinned": False,
            "user_id": user_id, "channel_id": channel_id, "root_id": root_id, "original_id": "", "message": message,
            "type": body.get("type") or "", "props": props, "hashtags": "", "file_ids": file_ids,
            "pending_post_id": body.get("pending_post_id") or "", "reply_count": 0, "last_reply_at": 0,
            "has_reactions": False, "metadata": {},
        }
        for fid in file_ids:
            self.files[fid][0]["post_id"] = post["id"]
        self.posts[post["id"]] = post
        self.channel_posts_index.setdefault(channel_id, []).append(post)
        self.visible_at[post["id"]] = time.monotonic() + visible_delay_s
        if visible_delay_s > 0:
            # Committed later: its channel's counters and its root move when it becomes visible, as the
            # server updates them after the insert (SaveMultiple: INSERT, then UPDATE Channels SET
            # LastPostAt = GREATEST(...), TotalMsgCount = TotalMsgCount + n; a replica shows both in commit order).
            self.late_commits.append((self.visible_at[post["id"]], post))
        else:
            self._commit_effects(post)
        return post

    def _commit_effects(self, post: dict) -> None:
        now = post["create_at"]
        if post["root_id"]:
            root = self.posts[post["root_id"]]
            root["update_at"] = max(root["update_at"], now)
            root["reply_count"] += 1
            root["last_reply_at"] = now
        ch = self.channels[post["channel_id"]]
        ch["last_post_at"] = max(ch["last_post_at"], now)
        ch["total_msg_count"] += 1
        if not post["root_id"]:
            ch["last_root_post_at"] = max(ch["last_root_post_at"], now)
            ch["total_msg_count_root"] += 1

    def commit_due(self) -> None:
        """Apply the channel and root effects of late posts that have become visible (every request)."""
        with self.lock:
            if not self.late_commits:
                return
            now_mono = time.monotonic()
            due = [item for item in self.late_commits if item[0] <= now_mono]
            if due:
                self.late_commits = [item for item in self.late_commits if item[0] > now_mono]
                for _, post in due:
                    self._commit_effects(post)

    def _take_delay(self, channel_id: str, user_id: str) -> float:
        for d in self.delays:
            if d["count"] > 0 and d.get("channel_id") in (None, channel_id) and d.get("user_id") in (None, user_id):
                d["count"] -= 1
                return d["delay_ms"] / 1000.0
        return 0.0

    def patch_post(self, user_id: str, post_id: str, patch: dict) -> dict:
        with self.lock:
            post = self._post(post_id)
            if post["user_id"] != user_id and not self._is_admin(user_id):
                raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
            if "message" in patch and len(patch["message"] or "") > self.max_post_size:
                raise ApiError(400, "model.post.is_valid.message_length.app_error", "Invalid Message property for post.")
            now = self.clock.tick()
            history = json.loads(json.dumps(post))
            history.update({"id": new_id(), "original_id": post_id, "delete_at": now, "update_at": now})
            self.posts[history["id"]] = history
            self.channel_posts_index.setdefault(history["channel_id"], []).append(history)
            self.visible_at[history["id"]] = time.monotonic()
            if patch.get("message") is not None:
                post["message"] = patch["message"]
            if patch.get("props") is not None:
                post["props"] = patch["props"] if isinstance(patch["props"], dict) else post["props"]
            if patch.get("file_ids") is not None:
                post["file_ids"] = list(patch["file_ids"])
            if patch.get("is_pinned") is not None:
                post["is_pinned"] = bool(patch["is_pinned"])
            post["edit_at"] = now
            post["update_at"] = now
            # SqlPostStore.Update: the channel's LastPostAt moves, and so does the UpdateAt of an edited reply's root
            ch = self.channels[post["channel_id"]]
            ch["last_post_at"] = max(ch["last_post_at"], now)
            if post["root_id"] and post["root_id"] in self.posts:
                root = self.posts[post["root_id"]]
                root["update_at"] = max(root["update_at"], now)
            return self._client_post(post)

    def delete_post(self, user_id: str, post_id: str) -> None:
        with self.lock:
            post = self._post(post_id)
            if post["user_id"] != user_id and not self._is_admin(user_id):
                raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
            now = self.clock.tick()
            doomed = [post] + ([p for p in self.channel_posts_index.get(post["channel_id"], ()) if p["root_id"] == post_id and not p["delete_at"]]
                               if not post["root_id"] else [])
            for p in doomed:
                p["delete_at"] = now
                p["update_at"] = now
                p["message"] = ""
                p["props"] = {**p["props"], "deleteBy": user_id}
            if post["root_id"] and post["root_id"] in self.posts:
                root = self.posts[post["root_id"]]
                root["update_at"] = max(root["update_at"], now)
                root["reply_count"] = max(0, root["reply_count"] - 1)

    def react(self, user_id: str, post_id: str, emoji: str, remove: bool = False) -> dict:
        with self.lock:
            post = self._post(post_id)
            if user_id not in self.channel_members[post["channel_id"]]:
                raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
            now = self.clock.tick()
            rows = self.reactions.setdefault(post_id, [])
            rows[:] = [r for r in rows if not (r["user_id"] == user_id and r["emoji_name"] == emoji)]
            reaction = {"user_id": user_id, "post_id": post_id, "emoji_name": emoji, "create_at": now, "update_at": now,
                        "delete_at": 0, "channel_id": post["channel_id"]}
            if not remove:
                rows.append(reaction)
            post["has_reactions"] = bool(rows)
            post["update_at"] = now
            return reaction

    def inject(self, channel_id: str, user_id: str, messages: list[str], per_ms: int = 10) -> list[str]:
        """Many posts at once, several to a millisecond, all visible together."""
        with self.lock:
            self._channel(channel_id)
            self._user(user_id)
            ids = []
            base = self.clock.now() + 1
            for i, text in enumerate(messages):
                stamp = base + i // max(1, per_ms)
                post = self._save_post(user_id, channel_id, text, "", {"message": text}, 0.0, now=stamp)
                ids.append(post["id"])
            self.clock.last = max(self.clock.last, base + len(messages) // max(1, per_ms))
            return ids

    def _visible(self, post: dict, now_mono: float) -> bool:
        return self.visible_at.get(post["id"], 0.0) <= now_mono

    def _client_post(self, post: dict) -> dict:
        out = json.loads(json.dumps(post))
        meta = {}
        if post["file_ids"]:
            meta["files"] = [dict(self.files[f][0]) for f in post["file_ids"] if f in self.files]
        if self.reactions.get(post["id"]):
            meta["reactions"] = [dict(r) for r in self.reactions[post["id"]]]
        out["metadata"] = meta
        return out

    def channel_posts(self, channel_id: str, q: dict) -> dict:
        with self.lock:
            self._channel(channel_id)
            now_mono = time.monotonic()
            rows = [p for p in self.channel_posts_index.get(channel_id, ()) if self._visible(p, now_mono)]
            since = int(q.get("since", ["0"])[0] or 0)
            if since > 0:
                # SqlPostStore.GetPostsSince: `UpdateAt > :Time AND ChannelId = :ChannelId LIMIT 1000` with no
                # ORDER BY (which 1,000 is not defined: a random 1,000 here), UNION the thread roots of those rows.
                picked = [p for p in rows if p["update_at"] > since]
                random.shuffle(picked)
                picked = picked[:SINCE_LIMIT]
                have = {p["id"] for p in picked}
                for root_id in {p["root_id"] for p in picked if p["root_id"]} - have:
                    root = self.posts.get(root_id)
                    if root and self._visible(root, now_mono):
                        picked.append(root)
                random.shuffle(picked)
                return {"order": [p["id"] for p in picked], "posts": {p["id"]: self._client_post(p) for p in picked},
                        "next_post_id": "", "prev_post_id": "", "has_next": False}
            live = sorted((p for p in rows if not p["delete_at"]), key=lambda p: (p["create_at"], p["id"]), reverse=True)
            page = max(0, int(q.get("page", ["0"])[0] or 0))
            per_page = min(MAX_PER_PAGE, max(1, int(q.get("per_page", ["60"])[0] or 60)))
            before, after = q.get("before", [""])[0], q.get("after", [""])[0]
            if before or after:
                anchor = self.posts.get(before or after)
                if not anchor:
                    return {"order": [], "posts": {}, "next_post_id": "", "prev_post_id": "", "has_next": False}
                if before:
                    pool = [p for p in live if p["create_at"] < anchor["create_at"]]  # strictly, as the server's SQL
                    picked = pool[page * per_page:(page + 1) * per_page]
                else:
                    pool = [p for p in live if p["create_at"] > anchor["create_at"]]
                    pool.reverse()  # oldest first, then the page is returned newest first
                    picked = list(reversed(pool[page * per_page:(page + 1) * per_page]))
                has_next = len(pool) > (page + 1) * per_page
            else:
                picked = live[page * per_page:(page + 1) * per_page]
                has_next = len(live) > (page + 1) * per_page
            return {"order": [p["id"] for p in picked], "posts": {p["id"]: self._client_post(p) for p in picked},
                    "next_post_id": "", "prev_post_id": "", "has_next": has_next}

    # ---- test controls -----------------------------------------------------------------------

    def ratelimit(self, on: bool = True, per_second: float = 1.0, burst: int = 1, user_id: str | None = None,
                  channel_id: str | None = None, reset: str | None = None) -> None:
        with self.lock:
            self.rate = {"per_second": per_second, "burst": burst, "user_id": user_id, "channel_id": channel_id,
                         "reset": reset} if on else None
            self.buckets.clear()

    def drop(self, count: int = 1, method: str | None = None, path: str | None = None, user_id: str | None = None) -> None:
        with self.lock:
            self.drops.append({"count": count, "method": method, "path": path, "user_id": user_id})

    def fail(self, count: int = 1, status: int = 500, method: str | None = None, path: str | None = None,
             user_id: str | None = None) -> None:
        with self.lock:
            self.fails.append({"count": count, "status": status, "method": method, "path": path, "user_id": user_id})

    def delay_visibility(self, count: int = 1, delay_ms: int = 1000, channel_id: str | None = None,
                         user_id: str | None = None) -> None:
        with self.lock:
            self.delays.append({"count": count, "delay_ms": delay_ms, "channel_id": channel_id, "user_id": user_id})

    def configure(self, **kw) -> None:
        with self.lock:
            if kw.get("max_post_size") is not None:
                self.max_post_size = int(kw["max_post_size"])
            if kw.get("restrict_direct_message") is not None:
                self.restrict_direct_message = kw["restrict_direct_message"]
            if kw.get("privacy_show_email") is not None:
                self.privacy_show_email = bool(kw["privacy_show_email"])
            if kw.get("save_delay_ms") is not None:
                self.save_delay_s = float(kw["save_delay_ms"]) / 1000.0

    def requests_since(self, t: float, user_id: str | None = None) -> list[tuple[float, str, str, str | None]]:
        with self.lock:
            return [r for r in self.requests if r[0] >= t and (user_id is None or r[3] == user_id)]

    # ---- lookups ---------------------------------------------------------------------------------

    @staticmethod
    def _found(table: dict, key: str, error_id: str, message: str) -> dict:
        """The row, or the server's 404 with its error id."""
        row = table.get(key)
        if not row:
            raise ApiError(404, error_id, message)
        return row

    def _user(self, uid: str) -> dict:
        return self._found(self.users, uid, "app.user.missing_account.const", "Unable to find the user.")

    def _team(self, tid: str) -> dict:
        return self._found(self.teams, tid, "app.team.get.find.app_error", "Unable to find the existing team.")

    def _channel(self, cid: str) -> dict:
        return self._found(self.channels, cid, "app.channel.get.existing.app_error", "Unable to find the existing channel.")

    def _post(self, pid: str) -> dict:
        p = self.posts.get(pid)
        if not p or p["delete_at"] or not self._visible(p, time.monotonic()):
            raise ApiError(404, "app.post.get.app_error", "Unable to get the post.")
        return p

    def _is_admin(self, uid: str) -> bool:
        return "system_admin" in self.users.get(uid, {}).get("roles", "")

    def _user_out(self, u: dict, viewer: str | None) -> dict:
        out = dict(u)
        if viewer != u["id"] and not self.privacy_show_email and not self._is_admin(viewer or ""):
            out["email"] = ""
        return out

    def _rate_check(self, user_id: str | None, path: str, body: dict | None, query: dict) -> tuple[bool, dict]:
        r = self.rate
        if not r or (r["user_id"] and r["user_id"] != user_id):
            return True, {}
        if r["channel_id"]:
            named = r["channel_id"] in path or (body or {}).get("channel_id") == r["channel_id"]
            if not named:
                return True, {}
        key = f"{user_id}|{r['channel_id']}"
        now = time.monotonic()
        tokens, last = self.buckets.get(key, [float(r["burst"]), now])
        tokens = min(float(r["burst"]), tokens + (now - last) * r["per_second"])
        wait = max(1, int((1 - tokens) / r["per_second"] + 0.999)) if tokens < 1 else 0
        headers = {"X-Ratelimit-Limit": str(int(r["per_second"]) if r["per_second"] >= 1 else 1),
                   "X-Ratelimit-Remaining": str(max(0, int(tokens) - 1)),
                   "X-Ratelimit-Reset": r["reset"] or str(max(1, wait))}
        if tokens < 1:
            self.buckets[key] = [tokens, now]
            headers["Retry-After"] = str(max(1, wait))
            headers["X-Ratelimit-Remaining"] = "0"
            return False, headers
        self.buckets[key] = [tokens - 1, now]
        return True, headers


def _match(rule: dict, method: str, path: str, user_id: str | None) -> bool:
    return (rule["count"] > 0 and (rule.get("method") in (None, method)) and (not rule.get("path") or rule["path"] in path)
            and (rule.get("user_id") in (None, user_id)))


class _Handler(BaseHTTPRequestHandler):
    fake: MattermostFake
    protocol_version = "HTTP/1.1"
    server_version = "MattermostFake/1.0"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    # ---- plumbing -------------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        fake = self.fake
        self.request_id = new_id()
        split = urlsplit(self.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        user_id = self._auth_user()
        fake.commit_due()
        with fake.lock:
            fake.stats[f"{method} {_route(path)}"] += 1
            if user_id:
                fake.user_stats[user_id] += 1
            fake.requests.append((time.monotonic(), method, path, user_id))
        try:
            body = None
            if raw and (self.headers.get("Content-Type") or "").startswith("application/json"):
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise ApiError(400, "api.context.invalid_body_param.app_error", "Invalid or missing body in request body.")
            if not path.startswith("/fake/") and path.startswith("/api/v4/"):
                with fake.lock:
                    ok, rate_headers = fake._rate_check(user_id, path, body if isinstance(body, dict) else None, query)
                    fail = next((f for f in fake.fails if _match(f, method, path, user_id)), None)
                    if fail:
                        fail["count"] -= 1
                    drop = next((d for d in fake.drops if _match(d, method, path, user_id)), None)
                    if drop and ok and not fail:
                        drop["count"] -= 1
                if not ok:
                    return self._send_raw(429, b"limit exceeded\n", "text/plain; charset=utf-8", rate_headers)
                if fail:
                    raise ApiError(fail["status"], "fake.injected_failure", "Injected failure.")
                status, out, headers = self._route(method, path, query, body, raw, user_id)
                if drop:
                    raise Dropped()
                headers = {**rate_headers, **headers}
            else:
                status, out, headers = self._route(method, path, query, body, raw, user_id)
            if isinstance(out, (bytes, bytearray)):
                self._send_raw(status, bytes(out), headers.pop("Content-Type", "application/octet-stream"), headers)
            else:
                self._send_raw(status, json.dumps(out).encode(), "application/json", headers)
        except Dropped:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug in the fake: answer like the server would, and keep serving
            self._error(ApiError(500, "fake.internal", "Internal error in the fake.", repr(e)))

    def _error(self, e: ApiError) -> None:
        body = {"id": e.err_id, "message": e.message, "detailed_error": e.detailed, "request_id": self.request_id,
                "status_code": e.status}
        self._send_raw(e.status, json.dumps(body).encode(), "application/json", {})

    def _send_raw(self, status: int, data: bytes, ctype: str, headers: dict) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Request-Id", self.request_id)
            self.send_header("X-Version-Id", "10.5.0.fake")
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _auth_user(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        token = ""
        if auth.lower().startswith("bearer ") or auth.lower().startswith("token "):
            token = auth.split(" ", 1)[1].strip()
        if not token:
            for part in (self.headers.get("Cookie") or "").split(";"):
                k, _, v = part.strip().partition("=")
                if k == "MMAUTHTOKEN":
                    token = v
        if not token:
            return None
        with self.fake.lock:
            uid = self.fake.tokens.get(token)
            if uid and self.fake.users.get(uid, {}).get("delete_at"):
                return None
            return uid

    # ---- routes ---------------------------------------------------------------------------------

    def _route(self, method: str, path: str, q: dict, body, raw: bytes, me: str | None):
        f = self.fake
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] == ["fake"]:
            return self._fake_route(method, parts[1:], body or {})
        if parts[:2] != ["api", "v4"]:
            raise ApiError(404, "api.context.404.app_error", "Sorry, we could not find the page.")
        p = parts[2:]
        # unauthenticated
        if method == "GET" and p == ["system", "ping"]:
            return 200, {"status": "OK", "ActiveSearchBackend": "database"}, {}
        if method == "POST" and p == ["users", "login"]:
            body = body or {}
            user, token = f.login(body.get("login_id") or "", body.get("password") or "")
            return 200, f._user_out(user, user["id"]), {"Token": token, "Set-Cookie": f"MMAUTHTOKEN={token}; Path=/; HttpOnly"}
        if method == "POST" and p == ["users"] and not me:
            return self._create_user(body or {})
        if method == "GET" and p == ["config", "client"]:
            if (q.get("format") or [""])[0] != "old":
                raise ApiError(501, "api.config.client.old_format.app_error", "New format for the client configuration is not supported yet. Please specify format=old in the query string.")
            return 200, {"Version": "10.5.0", "BuildNumber": "fake", "SiteName": "Mattermost (fake)",
                         "MaxPostSize": str(f.max_post_size), "EnableBotAccountCreation": "true",
                         "RestrictDirectMessage": f.restrict_direct_message.upper() if f.restrict_direct_message != "any" else "any",
                         "ShowEmailAddress": "true" if f.privacy_show_email else "false"}, {}
        if not me:
            raise ApiError(401, "api.context.session_expired.app_error", "Invalid or expired session, please login again.",
                           "token not valid")
        with f.lock:
            return self._authed(method, p, q, body, raw, me)

    def _create_user(self, body: dict):
        if not body.get("username") or not body.get("email"):
            raise ApiError(400, "model.user.is_valid.username.app_error", "Invalid username.")
        if len(body.get("password") or "") < 5:
            raise ApiError(400, "model.user.is_valid.pwd_min_length.app_error", "Your password must contain at least 5 characters.")
        u = self.fake.create_user(body["username"], body["password"], body["email"], first_name=body.get("first_name") or "",
                                  last_name=body.get("last_name") or "")
        return 201, u, {}

    def _authed(self, method: str, p: list[str], q: dict, body, raw: bytes, me: str):
        f = self.fake
        body = body if body is not None else {}

        def uid(x: str) -> str:
            return me if x == "me" else x

        n = len(p)
        # users
        if p[:1] == ["users"]:
            if method == "POST" and n == 1:
                if not f._is_admin(me):
                    raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                return self._create_user(body)
            if method == "POST" and p[1:] == ["logout"]:
                return 200, {"status": "OK"}, {}
            if method == "POST" and p[1:] == ["ids"]:
                return 200, [f._user_out(f.users[i], me) for i in body if i in f.users], {}
            if method == "GET" and n == 2:
                return 200, f._user_out(f._user(uid(p[1])), me), {}
            if method == "GET" and n == 3 and p[1] == "username":
                u = next((u for u in f.users.values() if u["username"] == p[2].lower()), None)
                if not u:
                    raise ApiError(404, "app.user.missing_account.const", "Unable to find the user.")
                return 200, f._user_out(u, me), {}
            if method == "GET" and n == 3 and p[1] == "email":
                u = next((u for u in f.users.values() if u["email"] == p[2].lower()), None)
                if not u:
                    raise ApiError(404, "app.user.missing_account.const", "Unable to find the user.")
                return 200, f._user_out(u, me), {}
            if method == "PUT" and n == 3 and p[2] == "patch":
                target = uid(p[1])
                self._self_or_admin(me, target)
                u = f._user(target)
                for k in ("first_name", "last_name", "nickname", "position", "locale"):
                    if isinstance(body.get(k), str):
                        u[k] = body[k]
                u["update_at"] = f.clock.now()
                return 200, f._user_out(u, me), {}
            if method == "POST" and n == 3 and p[2] == "tokens":
                target = uid(p[1])
                if target != me and not f._is_admin(me):
                    raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                f._user(target)
                token = f.create_token(target)
                return 200, {"id": new_id(), "token": token, "user_id": target, "description": body.get("description", ""),
                             "is_active": True}, {}
            if method == "GET" and n == 3 and p[2] == "teams":
                target = uid(p[1])
                self._self_or_admin(me, target)
                return 200, [dict(f.teams[t]) for t, m in f.team_members.items() if target in m], {}
            if method == "GET" and n == 5 and p[2] == "teams" and p[4] == "channels":
                target = uid(p[1])
                self._self_or_admin(me, target)
                team_id = p[3]
                f._team(team_id)
                if target not in f.team_members[team_id]:
                    raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                return 200, [dict(c) for c in f.channels.values()
                             if target in f.channel_members[c["id"]] and c["team_id"] in (team_id, "")], {}
            if method == "GET" and n == 3 and p[2] == "channels":
                target = uid(p[1])
                self._self_or_admin(me, target)
                return 200, [dict(c) for c in f.channels.values() if target in f.channel_members[c["id"]]], {}
            if method == "DELETE" and n == 6 and p[2] == "posts" and p[4] == "reactions":
                if uid(p[1]) != me:
                    raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                f.react(me, p[3], p[5], remove=True)
                return 200, {"status": "OK"}, {}
        # bots
        if p == ["bots"] and method == "POST":
            if not f._is_admin(me):
                raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
            u = f.create_user(body.get("username") or "", email=f"{body.get('username')}@localhost", is_bot=True,
                              first_name=body.get("display_name") or "")
            return 201, {"user_id": u["id"], "username": u["username"], "display_name": body.get("display_name") or "",
                         "description": body.get("description") or "", "owner_id": me, "create_at": u["create_at"],
                         "update_at": u["update_at"], "delete_at": 0}, {}
        # teams
        if p[:1] == ["teams"]:
            if method == "POST" and n == 1:
                t = f.create_team(body.get("name") or "", body.get("display_name"), body.get("type") or "O")
                f.add_team_member(t["id"], me)
                return 201, t, {}
            if method == "GET" and n == 2:
                t = f._team(p[1])
                self._team_member_or_admin(me, p[1])
                return 200, dict(t), {}
            if method == "GET" and n == 3 and p[1] == "name":
                t = next((t for t in f.teams.values() if t["name"] == p[2]), None)
                if not t:
                    raise ApiError(404, "app.team.get_by_name.missing.app_error", "Unable to find the existing team.")
                self._team_member_or_admin(me, t["id"])
                return 200, dict(t), {}
            if method == "POST" and n == 3 and p[2] == "members":
                if not f._is_admin(me) and me not in f.team_members.get(p[1], set()):
                    raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                return 201, f.add_team_member(p[1], body.get("user_id") or ""), {}
            if method == "GET" and n == 4 and p[2] == "members":
                self._team_member_or_admin(me, p[1])
                f._user(p[3])
                if p[3] not in f.team_members.get(p[1], set()):
                    raise ApiError(404, "app.team.get_member.missing.app_error", "No team member found for that user ID and team ID.")
                return 200, {"team_id": p[1], "user_id": p[3], "roles": "team_user", "delete_at": 0,
                             "scheme_user": True, "scheme_admin": False, "scheme_guest": False}, {}
            if method == "GET" and n == 3 and p[2] == "members":
                self._team_member_or_admin(me, p[1])
                return 200, [{"team_id": p[1], "user_id": u, "roles": "team_user", "delete_at": 0}
                             for u in sorted(f.team_members.get(p[1], ()))], {}
        # channels
        if p[:1] == ["channels"]:
            if method == "POST" and n == 1:
                team_id = body.get("team_id") or ""
                if me not in f.team_members.get(team_id, set()):
                    raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                if body.get("type") not in ("O", "P"):
                    raise ApiError(400, "model.channel.is_valid.type.app_error", "Invalid type.")
                return 201, f.create_channel(team_id, body.get("name") or "", me, body["type"], body.get("display_name") or ""), {}
            if method == "POST" and p[1:] == ["direct"]:
                if not isinstance(body, list) or len(body) != 2:
                    raise ApiError(400, "api.context.invalid_body_param.app_error", "Invalid or missing user_ids in request body.")
                if me not in body and not f._is_admin(me):
                    raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                ch, _created = f.direct_channel(body[0], body[1])
                return 201, ch, {}
            if method == "POST" and p[1:] == ["group"]:
                ids = sorted(set(body) | {me})
                if len(ids) < 3:
                    raise ApiError(400, "api.context.invalid_body_param.app_error", "Invalid user ids.")
                for i in ids:
                    f._user(i)
                ch = f._new_channel("", new_id(), "G", ", ".join(f.users[i]["username"] for i in ids), me)
                f.channel_members[ch["id"]] |= set(ids)
                return 201, dict(ch), {}
            if n >= 2:
                ch = f._channel(p[1])
                member = me in f.channel_members[ch["id"]]
                if method == "GET" and n == 2:
                    if not member and not f._is_admin(me) and not (ch["type"] == "O" and me in f.team_members.get(ch["team_id"], ())):
                        raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                    return 200, dict(ch), {}
                if method == "GET" and n == 3 and p[2] == "posts":
                    if not member and not f._is_admin(me):
                        raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                    return 200, f.channel_posts(p[1], q), {}
                if method == "GET" and n == 3 and p[2] == "members":
                    if not member and not f._is_admin(me):
                        raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                    return 200, [{"channel_id": p[1], "user_id": u, "roles": "channel_user"}
                                 for u in sorted(f.channel_members[p[1]])], {}
                if method == "POST" and n == 3 and p[2] == "members":
                    if not member and not f._is_admin(me) and body.get("user_id") != me:
                        raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                    return 201, f.add_channel_member(p[1], body.get("user_id") or ""), {}
                if method == "DELETE" and n == 4 and p[2] == "members":
                    if uid(p[3]) != me and not f._is_admin(me):
                        raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
                    if ch["type"] == "D":
                        raise ApiError(400, "api.channel.remove_user_from_channel.direct.app_error", "Cannot leave a direct message channel.")
                    f.channel_members[p[1]].discard(uid(p[3]))
                    return 200, {"status": "OK"}, {}
        # posts
        if p[:1] == ["posts"]:
            if method == "POST" and n == 1:
                if not isinstance(body, dict):
                    raise ApiError(400, "api.context.invalid_body_param.app_error", "Invalid or missing post in request body.")
        if p == ["posts"] and method == "POST":
            f.lock.release()  # create_post takes the lock itself (and may sleep in save_delay)
            try:
                return 201, f.create_post(me, body), {}
            finally:
                f.lock.acquire()
        if p[:1] == ["posts"] and n >= 2:
            if method == "GET" and n == 2:
                post = f._post(p[1])
                self._channel_member(me, post["channel_id"])
                return 200, f._client_post(post), {}
            if method == "PUT" and n == 3 and p[2] == "patch":
                return 200, f.patch_post(me, p[1], body), {}
            if method == "PUT" and n == 2:
                return 200, f.patch_post(me, p[1], {"message": body.get("message"), "props": body.get("props"),
                                                   "file_ids": body.get("file_ids")}), {}
            if method == "DELETE" and n == 2:
                f.delete_post(me, p[1])
                return 200, {"status": "OK"}, {}
            if method == "GET" and n == 3 and p[2] == "thread":
                post = f._post(p[1])
                self._channel_member(me, post["channel_id"])
                root = post["root_id"] or post["id"]
                rows = [x for x in f.posts.values() if (x["id"] == root or x["root_id"] == root) and not x["delete_at"]
                        and f._visible(x, time.monotonic())]
                rows.sort(key=lambda x: x["create_at"], reverse=True)
                return 200, {"order": [x["id"] for x in rows], "posts": {x["id"]: f._client_post(x) for x in rows},
                             "next_post_id": "", "prev_post_id": "", "has_next": False}, {}
            if method == "GET" and n == 3 and p[2] == "reactions":
                f._post(p[1])
                return 200, [dict(r) for r in f.reactions.get(p[1], [])], {}
        if p == ["reactions"] and method == "POST":
            if body.get("user_id") != me:
                raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
            if not body.get("emoji_name"):
                raise ApiError(400, "model.reaction.is_valid.emoji_name.app_error", "Invalid emoji name.")
            return 201, f.react(me, body.get("post_id") or "", body["emoji_name"]), {}
        # files
        if p == ["files"] and method == "POST":
            return self._upload(q, raw, me)
        if p[:1] == ["files"] and n >= 2 and method == "GET":
            info, data = f.files.get(p[1], (None, None))
            if info is None:
                raise ApiError(404, "app.file_info.get.app_error", "Unable to get the file info.")
            self._channel_member(me, info["channel_id"])
            if n == 3 and p[2] == "info":
                return 200, dict(info), {}
            return 200, data, {"Content-Type": info["mime_type"] or "application/octet-stream",
                               "Content-Disposition": f'attachment;filename="{info["name"]}"'}
        raise ApiError(404, "api.context.404.app_error", "Sorry, we could not find the page.", "/" + "/".join(p))

    def _upload(self, q: dict, raw: bytes, me: str):
        f = self.fake
        ctype = self.headers.get("Content-Type") or ""
        parts: list[tuple[str, bytes, str]] = []
        channel_id = (q.get("channel_id") or [""])[0]
        client_ids: list[str] = []
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if name == "channel_id":
                    channel_id = channel_id or payload.decode()
                elif name == "client_ids":
                    client_ids.append(payload.decode())
                elif name == "files":
                    parts.append((part.get_filename() or "file", payload, part.get_content_type()))
        else:
            parts.append(((q.get("filename") or ["file"])[0], raw, ctype or "application/octet-stream"))
        if not channel_id:
            raise ApiError(400, "api.file.upload_file.incorrect_channelId.app_error", "Unable to upload the file. Incorrect channel ID.")
        self._channel_member(me, channel_id)
        if not parts:
            raise ApiError(400, "api.file.upload_file.incorrect_number_of_files.app_error", "Unable to upload files. Incorrect number of files specified.")
        infos = []
        for name, data, mime in parts:
            info = {"id": new_id(), "user_id": me, "channel_id": channel_id, "post_id": "", "create_at": f.clock.now(),
                    "update_at": 0, "delete_at": 0, "name": name, "extension": name.rsplit(".", 1)[-1] if "." in name else "",
                    "size": len(data), "mime_type": mime}
            f.files[info["id"]] = (info, data)
            infos.append(dict(info))
        return 201, {"file_infos": infos, "client_ids": client_ids}, {}

    def _fake_route(self, method: str, p: list[str], body: dict):
        f = self.fake
        if method == "GET" and p == ["stats"]:
            with f.lock:
                return 200, {"routes": dict(f.stats), "users": dict(f.user_stats), "requests": len(f.requests)}, {}
        if method != "POST" or len(p) != 1:
            raise ApiError(404, "fake.404", "No such control.")
        name = p[0]
        if name == "ratelimit":
            f.ratelimit(on=body.get("on", True), per_second=float(body.get("per_second", 1)), burst=int(body.get("burst", 1)),
                        user_id=body.get("user_id"), channel_id=body.get("channel_id"), reset=body.get("reset"))
        elif name == "drop":
            f.drop(int(body.get("count", 1)), body.get("method"), body.get("path"), body.get("user_id"))
        elif name == "fail":
            f.fail(int(body.get("count", 1)), int(body.get("status", 500)), body.get("method"), body.get("path"), body.get("user_id"))
        elif name == "delay_visibility":
            f.delay_visibility(int(body.get("count", 1)), int(body.get("delay_ms", 1000)), body.get("channel_id"), body.get("user_id"))
        elif name == "inject":
            ids = f.inject(body["channel_id"], body["user_id"], list(body["messages"]), int(body.get("per_ms", 10)))
            return 200, {"ids": ids}, {}
        elif name == "save_delay":
            f.configure(save_delay_ms=body.get("ms", 0))
        elif name == "config":
            f.configure(**body)
        else:
            raise ApiError(404, "fake.404", "No such control.")
        return 200, {"status": "OK"}, {}

    def _self_or_admin(self, me: str, target: str) -> None:
        if me != target and not self.fake._is_admin(me):
            raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")

    def _team_member_or_admin(self, me: str, team_id: str) -> None:
        if me not in self.fake.team_members.get(team_id, set()) and not self.fake._is_admin(me):
            raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")

    def _channel_member(self, me: str, channel_id: str) -> None:
        self.fake._channel(channel_id)
        if me not in self.fake.channel_members[channel_id] and not self.fake._is_admin(me):
            raise ApiError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")


def _route(path: str) -> str:
    """A path with its ids replaced, for the request statistics."""
    out = []
    for seg in path.strip("/").split("/"):
        out.append("{id}" if len(seg) == 26 and seg.isalnum() else seg)
    return "/" + "/".join(out)


if __name__ == "__main__":  # python mattermost_fake.py [port]: a standalone fake with an admin and a bot
    import sys

    fake = MattermostFake.start(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    admin = fake.create_user("admin", "admin-password", admin=True)
    bot, token = fake.create_bot("skav")
    team = fake.create_team("kommun")
    for u in (admin, bot):
        fake.add_team_member(team["id"], u["id"])
    print(f"fake Mattermost at {fake.url}; admin/admin-password; bot token {token}; team kommun", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
