"""Process lifecycle: clean SIGTERM shutdown, also in the middle of a long poll, and a clean restart."""

from __future__ import annotations

import asyncio
import time

from conftest import run
from dialogs import CAPTURE
from person import Person


def test_sigterm_during_idle_long_poll(server, skav):
    user = server.fresh_user("anna")

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()  # the bot has synced and joined: it is polling now
            await asyncio.sleep(1.5)  # idle, inside a long poll
            skav.sample_rss()
            t0 = time.monotonic()
            skav.terminate(timeout=2.0)  # asserts exit code 0 within 2 s
            return time.monotonic() - t0

    elapsed = run(scenario(), timeout=60)
    print(f"SIGTERM during idle long poll: exit 0 after {elapsed * 1000:.0f} ms")


def test_restart_after_sigterm_continues_dialog(server, skav):
    user = server.fresh_user("anna")

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()
            await anna.say(CAPTURE[0].text, expect=CAPTURE[0].replies)
            skav.terminate()
            await anna.send(CAPTURE[1].text)  # sent while the bot is down
            skav.start()
            await anna.expect(CAPTURE[1].replies)  # the answer to the message sent while it was down
            await anna.wait_quiet(1.0)  # exactly once

    run(scenario(), timeout=60)
    skav.terminate()
