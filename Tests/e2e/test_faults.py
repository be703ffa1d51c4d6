"""The bot between a person and a misbehaving network: dropped connections, 5xx, 429 with Retry-After,
stalls past the deadline, garbage and truncated JSON, and answers lost after Synapse applied a send.
The person must see exactly the transcript of a clean run: nothing lost, nothing doubled, no crash.
A rate limit with an absurd Retry-After on one person's room holds that room only."""

from __future__ import annotations

import asyncio
import time

import pytest

from conftest import run
from dialogs import CAPTURE, EXPECTED_IDEA_1, ONE_LINER, check_idea
from person import Person, together

SYNC = "/_matrix/client/v3/sync"
SEND = "/send/m.room.message/"


def fresh_people(synapse, *names: str, watchdog=None) -> list[Person]:
    """New Synapse users of these names, as people not started yet (for `together`)."""
    return [Person(synapse, synapse.fresh_user(name), watchdog=watchdog) for name in names]


def dialog_transcript(synapse, skav, user) -> list[str]:
    async def scenario():
        async with Person(synapse, user, watchdog=skav.ensure_alive) as person:
            await person.open_dm()
            for step in CAPTURE:
                await person.say(step.text, expect=step.replies, timeout=40)
            await person.wait_quiet(2.0)
            return person.bodies()

    return run(scenario(), timeout=240)


matrix_faults = pytest.mark.only_on(
    "matrix",
    why="faults of Matrix /sync and /send through the Matrix fault proxy; the Mattermost faults (lost answers, 502, "
    "429) are injected by the fake in test_mattermost.py",
)


@matrix_faults
def test_a_faulty_network_loses_and_doubles_nothing(synapse, proxy, make_skav):
    clean = make_skav("clean")
    expected = dialog_transcript(synapse, clean, synapse.fresh_user("anna"))
    clean.terminate()

    bot = make_skav(
        "faulty", start=False, matrix={"homeserver": proxy.url, "request_timeout": "3s", "sync_timeout": "5s"}
    )
    # Sync trouble of every kind, spread over the dialog.
    for kind in ("drop", "status:502", "garbage", "truncate", "429", "status:500", "drop", "truncate"):
        proxy.inject("GET", SYNC, kind)
    # Send trouble: refused answers, a lost answer after Synapse applied the message (the re-send must
    # carry the same transaction id), and a stall past the 3 s deadline.
    for kind in ("status:503", "lose", "429", "stall:5", "drop", "status:502", "lose"):
        proxy.inject("PUT", SEND, kind)
    bot.start()
    person = synapse.fresh_user("anna")
    started = time.monotonic()
    transcript = dialog_transcript(synapse, bot, person)
    elapsed = time.monotonic() - started

    assert transcript == expected, "the person's transcript differs from the clean run"
    assert proxy.pending == [], f"faults never triggered: {proxy.pending}"
    assert bot.alive(), "the bot must not have crashed"
    ideas = bot.ideas_list()
    assert len(ideas) == 1
    check_idea(ideas[0], EXPECTED_IDEA_1, author=person.user_id)
    print(f"\nfaults injected: {dict(proxy.injected)} over {proxy.requests} requests; dialog took {elapsed:.1f} s")
    assert bot.terminate() == 0


@matrix_faults
def test_a_deep_invite_in_the_sync_answer_does_not_stall_the_stream(synapse, proxy, make_skav):
    """An inviter controls the invite's content; one nested 600 levels deep (deeper than the JSON decoder
    takes) must neither stall the sync nor crash the bot, while other people write."""
    bot = make_skav("deep", start=False, matrix={"homeserver": proxy.url, "sync_timeout": "3s"})
    bot.start()

    async def scenario():
        async with Person(synapse, synapse.fresh_user("anna"), watchdog=bot.ensure_alive) as anna:
            await anna.open_dm()
            await anna.say("Skrivaren på plan 3 är alltid trasig", expect=1, strict=False, timeout=20)
            await anna.drain(1.0)
            for _ in range(3):
                proxy.inject("GET", SYNC, "deep_invite:600")
            await anna.say("hoppa", expect=1, strict=False, timeout=20)
            await anna.drain(1.0)
            await anna.say("utkast", expect=1, strict=False, timeout=20)

    run(scenario(), timeout=120)
    assert proxy.pending == [], f"faults never triggered: {proxy.pending}"
    assert bot.alive()
    assert bot.terminate() == 0


@matrix_faults
def test_a_sync_answer_over_the_cap_is_taken_in_smaller_parts(synapse, make_skav):
    """Many large messages written while Skav was down make one /sync answer larger than it takes
    (matrix.sync_max_bytes, here the smallest allowed): it asks again with fewer events per room, fills
    the rest page by page, and answers every message exactly once."""
    bot = make_skav("oversized", matrix={"sync_max_bytes": 65536})
    per_person = 6
    text = "Lång beskrivning av något som skaver. " * 95  # about 3,600 characters, under the message limit

    async def scenario():
        people = fresh_people(synapse, "anna", "bertil", "cecilia")
        async with together(*people):
            for p in people:
                await p.open_dm()
                await p.say("hjälp", expect=1, strict=False, timeout=20)
                await p.drain(1.0)
            bot.terminate()
            for i in range(per_person):
                for p in people:
                    await p.send(f"{i}: {text}")
            bot.start()
            for p in people:
                await p._wait(lambda p=p: len(p.transcript) >= p._consumed + per_person, 60, "answers to every message")
            await asyncio.sleep(2.0)
            return [len(p.transcript) - p._consumed for p in people]

    counts = run(scenario(), timeout=240)
    assert bot.alive()
    logs = bot.logs(limit=10**7)
    assert "too large" in logs, "the answer should have been over the cap"
    assert all(c >= per_person for c in counts), counts
    ideas = bot.cli("ideas", "list", "--json", "--drafts")
    assert ideas.returncode == 0
    assert bot.terminate() == 0


@matrix_faults
def test_a_sync_answer_over_the_cap_from_the_proxy_does_not_stall_others(synapse, proxy, make_skav):
    """The proxy makes every /sync asked with the full timeline limit larger than the 8 MiB cap, while
    people write: the bot asks with fewer events per room and answers them."""
    bot = make_skav("padded", start=False, matrix={"homeserver": proxy.url, "sync_timeout": "3s"})
    bot.start()

    async def scenario():
        anna, bertil = fresh_people(synapse, "anna", "bertil", watchdog=bot.ensure_alive)
        async with together(anna, bertil):
            await anna.open_dm()
            await bertil.open_dm()
            await anna.say("Skrivaren på plan 3 är alltid trasig", expect=1, strict=False, timeout=20)
            proxy.inject("GET", SYNC, "pad:9000000", times=3)
            await bertil.say("Nycklarna kvitteras på papper", expect=1, strict=False, timeout=30)
            await anna.drain(0.5)
            await anna.say("hoppa", expect=1, strict=False, timeout=30)

    run(scenario(), timeout=120)
    assert proxy.injected["pad"] >= 1, "the padding never applied"
    assert "too large" in bot.logs(limit=10**7)
    assert bot.alive()
    assert bot.terminate() == 0


@matrix_faults
def test_an_absurd_retry_after_in_one_room_holds_no_other_room(synapse, proxy, make_skav):
    """Issue 10: `Retry-After: 9223372036854775807` on a send once trapped the outbox sender (and the bot
    again after each restart, from the stored retry time), and a long Retry-After slept out inside the send
    held every room. Now Anna's room waits (at most an hour), Bo is answered at once, and nothing crashes."""
    bot = make_skav(
        "ratelimited", matrix={"homeserver": proxy.url, "request_timeout": "3s", "sync_timeout": "5s"}
    )

    async def scenario():
        anna, bo = fresh_people(synapse, "anna", "bo", watchdog=bot.ensure_alive)
        async with together(anna, bo):
            await anna.open_dm()
            await bo.open_dm()
            await anna.say(ONE_LINER, expect=2, timeout=40)
            # Anna's next reply meets the absurd rate limit (header and retry_after_ms alike).
            proxy.inject("PUT", f"{anna.room_id}/send/", "429:9223372036854775807")
            await anna.send("1")
            for _ in range(200):
                if not proxy.pending:
                    break
                await asyncio.sleep(0.1)
            assert proxy.pending == [], "the bot never tried to answer Anna"
            # Bo writes meanwhile and is answered within seconds.
            started = time.monotonic()
            replies = await bo.say(ONE_LINER, expect=2, timeout=15)
            elapsed = time.monotonic() - started
            assert len(replies) == 2
            assert elapsed < 10, f"Bo waited {elapsed:.1f} s behind Anna's rate limit"
            # Anna's room waits for its retry; the bot is alive.
            await anna.wait_quiet(2.0)
            assert bot.alive(), "the bot must not have crashed"
            return elapsed

    elapsed = run(scenario(), timeout=180)
    print(f"\nBo was answered in {elapsed:.1f} s while Anna's room was rate-limited")
    assert bot.alive()
    assert bot.terminate() == 0
