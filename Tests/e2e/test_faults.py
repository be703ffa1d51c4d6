"""The bot between a person and a misbehaving network: dropped connections, 5xx, 429 with Retry-After,
stalls past the deadline, garbage and truncated JSON, and answers lost after Synapse applied a send.
The person must see exactly the transcript of a clean run: nothing lost, nothing doubled, no crash."""

from __future__ import annotations

import time

from conftest import run
from dialogs import CAPTURE, EXPECTED_IDEA_1, check_idea
from fault_proxy import FaultProxy
from person import Person

SYNC = "/_matrix/client/v3/sync"
SEND = "/send/m.room.message/"


def dialog_transcript(synapse, skav, user) -> list[str]:
    async def scenario():
        person = Person(synapse, user, watchdog=skav.ensure_alive)
        await person.start()
        try:
            await person.open_dm()
            for step in CAPTURE:
                await person.say(step.text, expect=step.replies, timeout=40)
            await person.wait_quiet(2.0)
            return person.bodies()
        finally:
            await person.close()

    return run(scenario(), timeout=240)


def test_a_faulty_network_loses_and_doubles_nothing(synapse, make_skav):
    clean = make_skav("clean")
    expected = dialog_transcript(synapse, clean, synapse.fresh_user("anna"))
    clean.terminate()

    proxy = FaultProxy(synapse.url).start()
    try:
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
    finally:
        proxy.stop()
