"""A human in a Mattermost direct channel with the bot, played by `mattermostautodriver` (the PyPI client
generated from Mattermost's OpenAPI specification), with the interface of person.Person so that the same
scenario code drives both servers:

    anna = server.person(server.fresh_user("anna"), watchdog=skav.ensure_alive)
    await anna.start()                             # log in with username and password
    await anna.open_dm()                           # POST /channels/direct [me, bot]; waits for the greeting
    greeting, draft = await anna.say("Det tar för lång tid …", expect=2)
    await anna.wait_quiet(1.0)
    await anna.close()

How it reads: like a polling client (channels that exist when it starts are read from their latest post
on, as a client that just opened would), it lists its channels (`GET /users/{me}/channels`) every 50 ms and reads
the change feed (`GET /channels/{id}/posts?since=`) of each channel whose `last_post_at` moved (and of every
channel that moved in the last 3 s, for posts that become visible late), with the cursor overlapped by 3 s
and the post ids already taken remembered, so nothing is missed and nothing is taken twice. New posts of a
poll are taken in `create_at` order. When the feed answers with its cap of 1,000 rows, the channel is also
read page by page back to the cursor. Edit-history rows, deleted posts and the person's own posts are not
messages. A post by the bot in the DM lands in `transcript`, elsewhere in `elsewhere`; every post by
someone else in `received`; a post with files is a file message (as Matrix's m.file): their infos go to
`files` (with the post's message as `body`), not to the transcript.

Differences from Matrix, kept small: a DM exists for both members at once (no invite to accept; `joined`
holds both; the bot greets when it finds the new channel, as it does on Matrix when it joins), `send(msgtype="m.notice")` posts with `props.from_bot = "true"` (what a bot's post carries,
the Mattermost counterpart of a notice that bots must not answer), `send(reply_to=…)` replies in the post's
thread (`root_id`), and a BotMessage's `body` is the message as read (Markdown's backslash escapes
resolved, like Matrix's plain body), its `formatted_body` the raw Markdown, its `content` the whole post
and its `msgtype` the post's `type` ("" for a normal post).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Callable

from mattermostautodriver import AsyncTypedDriver

from person import DEFAULT_REPLY_TIMEOUT, BotMessage, Person

OVERLAP_MS = 3_000
_MARKUP = re.compile(r"\\([!-/:-@\[-`{-~])|[*`]")


def plain(markdown: str) -> str:
    """The message as a reader sees it: Markdown's backslash escapes resolved (`\\#1` reads `#1`, `1\\)`
    reads `1)`) and the emphasis and code marks (`**`, `` ` ``) gone, the counterpart of a Matrix message's
    plain `body`. The raw Markdown stays in `formatted_body`."""
    return _MARKUP.sub(lambda m: m.group(1) or "", markdown)

POLL_S = 0.05
_DEFAULT_BOT = object()


class MattermostPerson(Person):
    # Person's waiting, say/expect/_take/wait_quiet/drain/wait_elsewhere/bodies/latencies are inherited
    # unchanged; only talking to the server differs.

    def __init__(
        self,
        server,
        user,
        bot=_DEFAULT_BOT,
        device_id: str | None = None,
        watchdog: Callable[[], None] | None = None,
        display_name: str | None = None,
    ):
        self._start_state(server, user, server.bot_user.user_id if bot is _DEFAULT_BOT else bot, watchdog, display_name)
        self.server = server
        options = {"scheme": "http", "url": "127.0.0.1", "port": server.fake.port, "max_retries": 3, "timeout": 60}
        if getattr(user, "token", None):
            options["token"] = user.token
        else:
            options.update(login_id=user.name, password=user.password)
        self.driver = AsyncTypedDriver(options)
        self.sent_post_ids: list[str] = []
        self._greeting_due = False
        self._channels: dict[str, dict] = {}  # id -> {"last_post_at", "cursor", "moved_at", "mine"}
        self._taken: set[str] = set()
        self._own_channels: set[str] = set()

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, timeout: float = 20.0) -> "MattermostPerson":
        await asyncio.wait_for(self.driver.login(), timeout)
        if self.display_name:
            first, _, last = self.display_name.partition(" ")
            await self.driver.client.put(f"/api/v4/users/{self.user_id}/patch", options={"first_name": first, "last_name": last})
        # Channels that exist already are read from now on, as a client that just opened would.
        for ch in await self._list_channels():
            self._channels[ch["id"]] = {"last_post_at": ch["last_post_at"], "cursor": ch["last_post_at"], "moved_at": 0.0,
                                        "floor": ch["last_post_at"]}
        await self._start_sync(self._poll_loop(), f"poll {self.user_id}", timeout, "first poll")
        return self

    async def close(self) -> None:
        await self._stop_sync()
        try:
            await self.driver.client.close()
        except Exception:
            pass

    async def _list_channels(self) -> list[dict]:
        return await self.driver.channels.get_channels_for_user(self.user_id)

    async def _poll_loop(self) -> None:
        while True:
            try:
                await self._poll_once()
                self._synced.set()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a blip (or a 429 the test switched on): retry, remember for diagnostics
                self._sync_error = e
            await asyncio.sleep(POLL_S)

    async def _poll_once(self) -> None:
        now = time.monotonic()
        for ch in await self._list_channels():
            cid = ch["id"]
            state = self._channels.get(cid)
            if state is None:  # a new channel: read it from its creation
                state = {"last_post_at": -1, "cursor": max(1, ch["create_at"] - 1), "moved_at": now, "floor": 0}
                self._channels[cid] = state
                self.joined.setdefault(cid, set()).add(self.user_id)
                if cid not in self._own_channels and ch["type"] != "D" and cid not in self.invites:
                    self.invites.append(cid)
            if ch["last_post_at"] != state["last_post_at"]:
                state["last_post_at"] = ch["last_post_at"]
                state["moved_at"] = now
            elif now - state["moved_at"] > OVERLAP_MS / 1000:
                continue
            await self._read(cid, state)

    async def _read(self, cid: str, state: dict) -> None:
        since = max(1, state["cursor"] - OVERLAP_MS)
        feed = await self.driver.posts.get_posts_for_channel(cid, since=since)
        found = dict(feed.get("posts", {}))
        if len(feed.get("order", [])) >= 1000:  # the feed's cap: which 1,000 is not defined, so page back too
            page = 0
            while True:
                got = await self.driver.posts.get_posts_for_channel(cid, page=page, per_page=200)
                rows = [got["posts"][i] for i in got.get("order", [])]
                found.update({p["id"]: p for p in rows})
                if not rows or min(p["create_at"] for p in rows) <= since:
                    break
                page += 1
        posts = sorted(found.values(), key=lambda p: (p["create_at"], p["id"]))
        for post in posts:
            state["cursor"] = max(state["cursor"], post["update_at"])
            if post["id"] in self._taken or post.get("original_id") or post.get("delete_at"):
                continue
            if post["create_at"] <= state["floor"]:  # there before this client started (another test's)
                continue
            self._taken.add(post["id"])
            if post["user_id"] == self.user_id or post.get("type"):
                continue
            self._on_post(cid, post)

    def _on_post(self, cid: str, post: dict) -> None:
        if post["message"] in self.ignore_bodies:
            return
        msg = BotMessage(
            body=plain(post["message"]),
            msgtype=post.get("type") or "",
            event_id=post["id"],
            room_id=cid,
            sender=post["user_id"],
            at=time.perf_counter(),
            formatted_body=post["message"],
            content=post,
        )
        if post.get("file_ids"):  # a file message (Matrix: m.file), not a line of the transcript
            for info in (post.get("metadata") or {}).get("files") or [{"id": f} for f in post["file_ids"]]:
                self.files.append({**info, "body": post["message"], "post": post})
            return
        self.received.append(msg)
        if self.bot and post["user_id"] == self.bot:
            (self.transcript if cid == self.room_id else self.elsewhere).append(msg)

    async def download(self, file_id: str) -> bytes:
        resp = await self.driver.client.make_request("get", f"/api/v4/files/{file_id}")
        return resp.content

    # ---- rooms -----------------------------------------------------------------------------

    async def open_dm(
        self, wait_join: bool = True, timeout: float = DEFAULT_REPLY_TIMEOUT, greeting: bool = True
    ) -> str:
        """POST /channels/direct [me, bot] (the same channel when it exists); with `greeting`, wait for the
        greeting the bot sends when it finds the new DM, before the person's first word, as on Matrix when it
        joins (the next say() hands it out first). Skav greets once per person: for someone greeted before,
        open the DM with greeting=False."""
        assert self.bot, "no bot to open a DM with"
        before_ms = int(time.time() * 1000) - 1000
        ch = await self.driver.channels.create_direct_channel([self.user_id, self.bot])
        self.room_id = ch["id"]
        self._own_channels.add(ch["id"])
        self.joined.setdefault(ch["id"], set()).update({self.user_id, self.bot})
        # A DM is one channel per pair for good: the bot greets when it finds a *new* one (as on Matrix when
        # it joins). A DM that existed before this bot started (a person of the session's earlier tests) is
        # history to it: then the greeting comes with its first answer, and the next say() hands it out first.
        is_new = int(ch.get("create_at") or 0) >= before_ms
        if wait_join and greeting and is_new:
            await self.wait_greeting(timeout=timeout)
        else:
            self._greeting_due = bool(wait_join and greeting)
        return self.room_id

    def _set_greeting_aside(self) -> None:
        if not self._greeting_due:
            return
        pending = self.transcript[self._consumed :]
        if pending and ("allmän handling" in pending[0].body or "public record" in pending[0].body):
            self._greeting = [pending[0]]
            self._consumed += 1
            self._greeting_due = False

    async def say(self, text: str, expect: int = 1, **kw) -> list[str]:
        self._set_greeting_aside()
        self._greeting_due = False
        return await super().say(text, expect=expect, **kw)

    async def expect(self, n: int = 1, timeout: float = DEFAULT_REPLY_TIMEOUT) -> list[str]:
        self._set_greeting_aside()
        return await super().expect(n, timeout=timeout)

    async def wait_quiet(self, seconds: float = 1.5) -> None:
        self._set_greeting_aside()
        await super().wait_quiet(seconds)

    async def create_room(self, invite: list[str], is_direct: bool, encrypted: bool = False) -> str:
        """A private channel of the person's own in the team, the invited added as members (Mattermost has
        no end-to-end encryption: `encrypted` cannot be honoured)."""
        assert not encrypted, "Mattermost has no end-to-end encrypted channels"
        team = self.server.team["id"]
        name = f"rum-{int(time.time() * 1000)}-{len(self._own_channels)}"
        ch = await self.driver.channels.create_channel(team_id=team, name=name, display_name=name, type="P")
        self._own_channels.add(ch["id"])
        for uid in invite:
            await self.driver.channels.add_channel_member(ch["id"], user_id=uid)
        return ch["id"]

    async def _members(self, room_id: str) -> set[str]:
        rows = await self.driver.client.get(f"/api/v4/channels/{room_id}/members")
        return {r["user_id"] for r in rows}

    async def wait_joined(self, user_id: str, room_id: str | None = None, timeout: float = DEFAULT_REPLY_TIMEOUT) -> None:
        room_id = room_id or self.room_id

        async def joined() -> bool:
            members = await self._members(room_id)
            self.joined.setdefault(room_id, set()).update(members)
            return user_id in members

        await self._wait(joined, timeout, f"{user_id} to be in {room_id}", interval=0.05)

    async def wait_left(self, user_id: str, room_id: str, timeout: float = DEFAULT_REPLY_TIMEOUT) -> None:
        async def left() -> bool:
            if user_id in await self._members(room_id):
                return False
            self.left.setdefault(room_id, set()).add(user_id)
            self.joined.get(room_id, set()).discard(user_id)
            return True

        await self._wait(left, timeout, f"{user_id} to leave {room_id}", interval=0.05)

    async def join(self, room_id: str) -> None:
        """Mattermost adds members directly: being added is being in."""
        if self.user_id not in await self._members(room_id):
            await self.driver.channels.add_channel_member(room_id, user_id=self.user_id)

    async def invite(self, room_id: str, user_id: str) -> None:
        await self.driver.channels.add_channel_member(room_id, user_id=user_id)

    # ---- talking ---------------------------------------------------------------------------

    async def send(
        self, text: str, msgtype: str = "m.text", room_id: str | None = None, reply_to: str | None = None
    ) -> str:
        room_id = room_id or self.room_id
        assert room_id, "no channel: call open_dm() first"
        props = {"from_bot": "true"} if msgtype == "m.notice" else None
        post = await self.driver.posts.create_post(channel_id=room_id, message=text, root_id=reply_to, props=props)
        self.sent_post_ids.append(post["id"])
        return post["id"]

    async def edit(self, post_id: str, text: str) -> dict:
        return await self.driver.posts.patch_post(post_id, message=text)

    async def delete(self, post_id: str) -> None:
        await self.driver.posts.delete_post(post_id)

    async def react(self, post_id: str, emoji: str = "raised_hands") -> dict:
        return await self.driver.reactions.save_reaction({"user_id": self.user_id, "post_id": post_id, "emoji_name": emoji})
