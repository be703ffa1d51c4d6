"""A human in a Matrix direct chat with the bot, played by a plain matrix-nio client (no E2EE).

    anna = Person(hs, hs.register("anna"), bot="@skav:localhost")
    await anna.start()
    await anna.open_dm()                          # createRoom is_direct + invite, waits for the bot's join
                                                  # and for the greeting it sends on joining
    greeting, first = await anna.say("Det tar för lång tid …", expect=2)
    await anna.wait_quiet(1.0)                     # asserts that nothing more arrives
    await anna.close()

Every message the bot sends into the DM (m.text and m.notice) lands in `transcript` in arrival order;
`say()` hands out the next N of them. The greeting Skav sends when it joins a DM (before the person writes)
is awaited by `open_dm()` / `wait_greeting()`, set aside, and handed out as the first reply of the next
`say()` (not of `expect()`, which waits for what comes unprompted later), so dialog scripts keep listing it
first. Send→first-reply latency of every `say()` is kept in `latencies_ms`.
All waits are bounded; `watchdog` (if given) is called while waiting and may raise (e.g. "the bot died")
or act (e.g. restart a killed bot).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    JoinError,
    LoginResponse,
    MatrixRoom,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessageFile,
    RoomMessageNotice,
    RoomMessageText,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from synapse_harness import Synapse, User

TIMEOUT_SCALE = float(os.environ.get("SKAV_E2E_TIMEOUT_SCALE", "1"))
DEFAULT_REPLY_TIMEOUT = 15.0 * TIMEOUT_SCALE


@dataclass
class BotMessage:
    body: str
    msgtype: str
    event_id: str
    room_id: str
    sender: str
    at: float  # time.perf_counter() when our sync delivered it
    formatted_body: str | None = None
    content: dict | None = None  # the whole event content, as the server delivered it


@dataclass
class Exchange:
    """One say(): what was sent, what came back, and how long the first reply took."""

    text: str
    sent_at: float
    replies: list[BotMessage] = field(default_factory=list)

    @property
    def latency_ms(self) -> float | None:
        return (self.replies[0].at - self.sent_at) * 1000 if self.replies else None


@asynccontextmanager
async def together(*people) -> AsyncIterator[tuple]:
    """Starts each person (or anything with `start` and `close`) in turn, and closes them all at the end."""
    for p in people:
        await p.start()
    try:
        yield people
    finally:
        for p in people:
            await p.close()


async def _answer(value: bool | Awaitable[bool]) -> bool:
    return await value if inspect.isawaitable(value) else value


class Person:
    def __init__(
        self,
        hs: Synapse,
        user: User,
        bot: str | None = "@skav:localhost",
        device_id: str | None = None,
        watchdog: Callable[[], None] | None = None,
        display_name: str | None = None,
    ):
        self._start_state(hs, user, bot, watchdog, display_name)
        self.client = AsyncClient(
            hs.url,
            user.user_id,
            device_id=device_id,
            config=AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False, request_timeout=60),
        )
        self.client.add_event_callback(self._on_message, (RoomMessageText, RoomMessageNotice))
        self.client.add_event_callback(self._on_file, RoomMessageFile)
        self.client.add_event_callback(self._on_member, RoomMemberEvent)
        self.client.add_event_callback(self._on_invite, InviteMemberEvent)

    def _start_state(self, hs, user, bot: str | None, watchdog: Callable[[], None] | None, display_name: str | None) -> None:
        """What a person keeps of the conversation, the same on every server."""
        self.hs = hs
        self.user = user
        self.bot = bot
        self.watchdog = watchdog
        self.display_name = display_name
        self.room_id: str | None = None
        self.transcript: list[BotMessage] = []  # bot messages in self.room_id, in arrival order
        self.elsewhere: list[BotMessage] = []  # bot messages in other rooms
        self.received: list[BotMessage] = []  # every m.text/m.notice from anyone but me, any room
        self.exchanges: list[Exchange] = []
        self.joined: dict[str, set[str]] = {}  # room id -> users seen joining (membership join)
        self.left: dict[str, set[str]] = {}  # room id -> users seen leaving (membership leave)
        self.invites: list[str] = []  # room ids I was invited to
        self.files: list[dict] = []  # contents of m.file messages sent to me
        self.ignore_bodies: set[str] = set()  # bodies never to treat as bot messages (e.g. sent by a helper as the bot)
        self._consumed = 0
        self._greeting: list[BotMessage] = []  # the greeting on joining, set aside for the next say()
        self._sync_task: asyncio.Task | None = None
        self._synced = asyncio.Event()
        self._sync_error: BaseException | None = None

    @property
    def user_id(self) -> str:
        return self.user.user_id

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, timeout: float = 20.0) -> "Person":
        resp = await asyncio.wait_for(self.client.login(self.user.password, device_name="e2e"), timeout)
        if not isinstance(resp, LoginResponse):
            raise AssertionError(f"{self.user_id}: login failed: {resp}")
        if self.display_name:
            await self.client.set_displayname(self.display_name)
        await self._start_sync(self._sync_loop(), f"sync {self.user_id}", timeout, "first sync")
        return self

    async def close(self) -> None:
        await self._stop_sync()
        await self.client.close()

    async def _start_sync(self, loop: Awaitable[None], name: str, timeout: float, what: str) -> None:
        """Runs the person's sync (or poll) loop as a task and waits until its first round is done."""
        self._sync_task = asyncio.create_task(loop, name=name)
        await self._wait(self._synced.is_set, timeout, what)

    async def _stop_sync(self) -> None:
        if self._sync_task:
            self._sync_task.cancel()
            try:
                await self._sync_task
            except (asyncio.CancelledError, Exception):
                pass
            self._sync_task = None

    async def __aenter__(self) -> "Person":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _sync_loop(self) -> None:
        while True:
            try:
                resp = await self.client.sync(timeout=30000, set_presence="offline")
            except asyncio.CancelledError:
                raise
            except Exception as e:  # network blip: retry, but remember for diagnostics
                self._sync_error = e
                await asyncio.sleep(0.2)
                continue
            if isinstance(resp, SyncResponse):
                self._synced.set()
            else:
                self._sync_error = RuntimeError(str(resp))
                await asyncio.sleep(0.2)

    # ---- callbacks -------------------------------------------------------------------------

    def _on_message(self, room: MatrixRoom, event) -> None:
        if event.sender == self.user_id or event.body in self.ignore_bodies:
            return
        content = event.source.get("content", {})
        msg = BotMessage(
            body=event.body,
            msgtype=content.get("msgtype", ""),
            event_id=event.event_id,
            room_id=room.room_id,
            sender=event.sender,
            at=time.perf_counter(),
            formatted_body=content.get("formatted_body"),
            content=content,
        )
        self.received.append(msg)
        if self.bot and event.sender == self.bot:
            (self.transcript if room.room_id == self.room_id else self.elsewhere).append(msg)

    def _on_file(self, room: MatrixRoom, event) -> None:
        if event.sender != self.user_id:
            self.files.append(event.source.get("content", {}))

    async def download(self, mxc: str) -> bytes:
        """The bytes of a file the bot sent (authenticated media download)."""
        resp = await self.client.download(mxc=mxc)
        body = getattr(resp, "body", None)
        if body is None:
            raise AssertionError(f"{self.user_id}: download {mxc} failed: {resp}")
        return body

    def _on_member(self, room: MatrixRoom, event: RoomMemberEvent) -> None:
        if event.membership == "join":
            self.joined.setdefault(room.room_id, set()).add(event.state_key)
        elif event.membership == "leave":
            self.joined.get(room.room_id, set()).discard(event.state_key)
            self.left.setdefault(room.room_id, set()).add(event.state_key)

    def _on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.membership == "invite" and event.state_key == self.user_id and room.room_id not in self.invites:
            self.invites.append(room.room_id)

    # ---- waiting ---------------------------------------------------------------------------

    async def _wait(
        self, done: Callable[[], bool | Awaitable[bool]], timeout: float, what: str, interval: float = 0.01
    ) -> None:
        """Until `done()` (a check, or a coroutine that asks the server) is true, watching the bot."""
        deadline = time.perf_counter() + timeout
        while not await _answer(done()):
            if self.watchdog:
                self.watchdog()
            if time.perf_counter() > deadline:
                raise AssertionError(
                    f"{self.user_id}: timed out after {timeout:.1f} s waiting for {what}"
                    + (f" (last sync error: {self._sync_error})" if self._sync_error else "")
                    + f"\ntranscript so far: {self.bodies()}"
                )
            await asyncio.sleep(interval)

    # ---- rooms -----------------------------------------------------------------------------

    async def open_dm(
        self, wait_join: bool = True, timeout: float = DEFAULT_REPLY_TIMEOUT, greeting: bool = True
    ) -> str:
        """createRoom(is_direct, invite=[bot], preset=trusted_private_chat); then wait for the bot to join
        and (with `greeting`) for the greeting it sends on joining."""
        assert self.bot, "no bot to open a DM with"
        resp = await self.client.room_create(is_direct=True, invite=[self.bot], preset=RoomPreset.trusted_private_chat)
        if not isinstance(resp, RoomCreateResponse):
            raise AssertionError(f"{self.user_id}: createRoom failed: {resp}")
        self.room_id = resp.room_id
        if wait_join:
            await self.wait_joined(self.bot, timeout=timeout)
            if greeting:
                await self.wait_greeting(timeout=timeout)
        return self.room_id

    async def wait_greeting(self, timeout: float = DEFAULT_REPLY_TIMEOUT) -> None:
        """Wait for the greeting the bot sends when it joins the DM; the next say() hands it out first.
        Skav greets once per person: for someone greeted before, open the DM with greeting=False."""
        start = self._consumed
        await self._wait(lambda: len(self.transcript) > start, timeout, "the greeting on joining")
        first = self.transcript[start]
        if "allmän handling" not in first.body and "public record" not in first.body:
            raise AssertionError(f"{self.user_id}: expected the greeting on joining, got {first.body!r}")
        self._greeting = self.transcript[start : start + 1]
        self._consumed = start + 1

    async def create_room(self, invite: list[str], is_direct: bool, encrypted: bool = False) -> str:
        """A room of the person's own, e.g. an end-to-end encrypted DM or a group room with the bot."""
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        resp = await self.client.room_create(
            is_direct=is_direct, invite=invite, preset=RoomPreset.private_chat, initial_state=state if encrypted else ()
        )
        if not isinstance(resp, RoomCreateResponse):
            raise AssertionError(f"{self.user_id}: createRoom failed: {resp}")
        return resp.room_id

    async def wait_left(self, user_id: str, room_id: str, timeout: float = DEFAULT_REPLY_TIMEOUT) -> None:
        await self._wait(lambda: user_id in self.left.get(room_id, set()), timeout, f"{user_id} to leave {room_id}")

    async def wait_joined(self, user_id: str, room_id: str | None = None, timeout: float = DEFAULT_REPLY_TIMEOUT) -> None:
        room_id = room_id or self.room_id
        await self._wait(lambda: user_id in self.joined.get(room_id, set()), timeout, f"{user_id} to join {room_id}")

    async def wait_invite(self, timeout: float = DEFAULT_REPLY_TIMEOUT) -> str:
        await self._wait(lambda: bool(self.invites), timeout, "an invite")
        return self.invites[-1]

    async def join(self, room_id: str) -> None:
        resp = await self.client.join(room_id)
        if isinstance(resp, JoinError):
            raise AssertionError(f"{self.user_id}: join {room_id} failed: {resp}")

    async def invite(self, room_id: str, user_id: str) -> None:
        resp = await self.client.room_invite(room_id, user_id)
        if not hasattr(resp, "transport_response") or resp.transport_response.status != 200:
            raise AssertionError(f"{self.user_id}: invite {user_id} failed: {resp}")

    # ---- talking ---------------------------------------------------------------------------

    async def send(
        self, text: str, msgtype: str = "m.text", room_id: str | None = None, reply_to: str | None = None
    ) -> str:
        room_id = room_id or self.room_id
        assert room_id, "no room: call open_dm() first"
        content: dict = {"msgtype": msgtype, "body": text}
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        resp = await self.client.room_send(room_id, "m.room.message", content)
        if not isinstance(resp, RoomSendResponse):
            raise AssertionError(f"{self.user_id}: send failed: {resp}")
        return resp.event_id

    async def say(
        self,
        text: str,
        expect: int = 1,
        timeout: float = DEFAULT_REPLY_TIMEOUT,
        strict: bool = True,
        after_send: Callable[[], Awaitable[None] | None] | None = None,
    ) -> list[str]:
        """Send `text` as m.text and return the bodies of the bot's next `expect` messages.

        strict: fail if the bot sent something we had not consumed yet before we spoke (a doubled or
        unrequested message). Crash scenarios use strict=False and compare whole transcripts instead.
        after_send: called right after the server accepted the message (crash tests kill the bot there).
        """
        greeting, self._greeting = self._greeting, []
        if strict and len(self.transcript) > self._consumed:
            extra = [m.body for m in self.transcript[self._consumed :]]
            raise AssertionError(f"{self.user_id}: unexpected bot messages before saying {text!r}: {extra}")
        ex = Exchange(text=text, sent_at=time.perf_counter())
        self.exchanges.append(ex)
        await self.send(text)
        if after_send:
            res = after_send()
            if asyncio.iscoroutine(res):
                await res
        ex.replies = await self._take(expect - len(greeting), timeout, f"to {text!r}")
        return [m.body for m in greeting + ex.replies]

    async def expect(self, n: int = 1, timeout: float = DEFAULT_REPLY_TIMEOUT) -> list[str]:
        """Wait for (and consume) the bot's next `n` messages without saying anything."""
        return [m.body for m in await self._take(n, timeout, "(unprompted)")]

    async def _take(self, n: int, timeout: float, what: str) -> list[BotMessage]:
        start = self._consumed
        await self._wait(
            lambda: len(self.transcript) >= start + n,
            timeout,
            f"{n} bot message{'' if n == 1 else 's'} {what} (got {len(self.transcript) - start})",
        )
        self._consumed = start + n
        return self.transcript[start : start + n]

    async def wait_quiet(self, seconds: float = 1.5) -> None:
        """Assert that the bot sends nothing (more) into the DM during `seconds`."""
        before = len(self.transcript)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if self.watchdog:
                self.watchdog()
            if len(self.transcript) > before:
                break
            await asyncio.sleep(0.02)
        if len(self.transcript) > before or len(self.transcript) > self._consumed:
            extra = [m.body for m in self.transcript[min(before, self._consumed) :]]
            raise AssertionError(f"{self.user_id}: expected silence from the bot, got {extra}")

    async def drain(self, seconds: float = 1.5) -> list[str]:
        """Wait `seconds` and return (and consume) whatever else the bot sent; for crash scenarios."""
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            if self.watchdog:
                self.watchdog()
            await asyncio.sleep(0.02)
        extra = self._greeting + self.transcript[self._consumed :]
        self._consumed = len(self.transcript)
        self._greeting = []
        return [m.body for m in extra]

    async def wait_elsewhere(
        self, room_id: str, match: Callable[[BotMessage], bool], timeout: float = DEFAULT_REPLY_TIMEOUT, what: str = ""
    ) -> BotMessage:
        """The first bot message in another room (not the DM) that matches."""
        found: list[BotMessage] = []

        def done() -> bool:
            found[:] = [m for m in self.elsewhere if m.room_id == room_id and match(m)]
            return bool(found)

        await self._wait(done, timeout, what or f"a bot message in {room_id}")
        return found[0]

    def bodies(self) -> list[str]:
        return [m.body for m in self.transcript]

    @property
    def latencies_ms(self) -> list[float]:
        return [ex.latency_ms for ex in self.exchanges if ex.latency_ms is not None]
