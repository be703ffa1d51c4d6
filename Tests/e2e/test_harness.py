"""The harness tested on its own, without the bot: Synapse starts, users talk, everything stops."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from conftest import run
from figures import FIGURES
from person import Person, together
from synapse_harness import Synapse


@pytest.mark.only_on("matrix", why="checks the Synapse harness and the matrix-nio Person; the fake Mattermost and MattermostPerson are checked in test_mattermost_fake.py and test_mattermost.py")
def test_smoke_standalone_synapse(tmp_path):
    """Start a separate Synapse, register two users, invite, join, exchange messages, shut down."""
    t0 = time.monotonic()
    hs = Synapse.start(tmp_path / "hs")
    try:
        assert hs.startup_seconds < 30, f"synapse took {hs.startup_seconds:.1f} s to start"
        a, b = hs.register("alice"), hs.register("bob")

        async def talk():
            alice = Person(hs, a, bot=b.user_id)
            bob = Person(hs, b, bot=a.user_id)
            async with together(alice, bob):
                room = await alice.open_dm(wait_join=False)
                assert await bob.wait_invite(timeout=10) == room
                await bob.join(room)
                bob.room_id = room
                await alice.wait_joined(b.user_id, timeout=10)
                await alice.send("hej bob")
                await bob._wait(lambda: any(m.body == "hej bob" for m in bob.received), 10, "alice's message")
                assert bob.received[-1].sender == a.user_id
                await bob.send("hej alice")
                await alice._wait(lambda: alice.bodies() == ["hej alice"], 10, "bob's reply")

        run(talk(), timeout=60)
    finally:
        hs.stop()
    assert not hs.alive()
    assert hs.proc.returncode is not None
    try:
        os.killpg(hs.proc.pid, 0)
        group_alive = True
    except ProcessLookupError:
        group_alive = False
    assert not group_alive, "synapse's process group survived stop()"
    FIGURES["smoke_wall_s"] = time.monotonic() - t0


@pytest.mark.only_on("matrix", why="checks the Synapse harness and the matrix-nio Person; the fake Mattermost and MattermostPerson are checked in test_mattermost_fake.py and test_mattermost.py")
def test_person_against_a_fake_bot(synapse):
    """Person.open_dm/say/wait_quiet/latency against a nio 'bot' that answers every text with two notices."""
    fake = synapse.fresh_user("fakebot")
    human = synapse.fresh_user("human")

    async def scenario():
        bot = Person(synapse, fake, bot=None)
        person = Person(synapse, human, bot=fake.user_id)
        await bot.start()
        await person.start()

        async def serve():
            room = await bot.wait_invite(timeout=10)
            await bot.join(room)
            seen = 0
            while True:
                texts = [m for m in bot.received if m.room_id == room and m.msgtype == "m.text"]
                for m in texts[seen:]:
                    await bot.send(f"du sa: {m.body}", msgtype="m.notice", room_id=room)
                    await bot.send("nästa fråga", room_id=room)
                seen = len(texts)
                await asyncio.sleep(0.01)

        server = asyncio.create_task(serve())
        try:
            await person.open_dm(greeting=False)  # this stand-in bot does not greet
            assert await person.say("ett", expect=2) == ["du sa: ett", "nästa fråga"]
            assert await person.say("två", expect=2) == ["du sa: två", "nästa fråga"]
            await person.wait_quiet(0.5)
            assert len(person.latencies_ms) == 2 and all(0 < x < 10_000 for x in person.latencies_ms)
            assert [m.msgtype for m in person.transcript] == ["m.notice", "m.text"] * 2
        finally:
            server.cancel()
            await person.close()
            await bot.close()

    run(scenario(), timeout=60)
