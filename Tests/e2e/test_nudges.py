"""Nudges (issue 4) against the real bot on a real Synapse, with a seconds-scale config: every hour of
every day is working time, no holidays, and a draft is reminded after 3 s of silence.

- a silent draft gets exactly one reminder;
- after `påminn inte`, none;
- a guide gets a follow-up for an idea nobody has taken on;
- a SIGKILL between scheduling a nudge and sending it still yields exactly one reminder.
"""

from __future__ import annotations

import asyncio
import time

from conftest import run
from dialogs import ONE_LINER, has
from person import Person, together

SECONDS_CALENDAR = {
    "calendar": {
        "working_hours": "00:00-24:00",
        "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "public_holidays": "none",
    },
    "nudges": {
        "draft_reminder_after": "3s",
        "draft_park_after": "600s",
        "guide_followup_after": "4s",
        "guide_escalate_after": "600s",
    },
}


def test_reminders_opt_out_and_guide_followup(server, make_skav):
    anna_user = server.fresh_user("anna")
    bo_user = server.fresh_user("bo")
    cecilia_user = server.fresh_user("cecilia")
    karin_user = server.fresh_user("karin")
    skav = make_skav(
        roles={"guides": [{"user": karin_user.user_id, "units": ["Socialtjänst"]}]},
        **SECONDS_CALENDAR,
    )

    async def scenario():
        anna = server.person(anna_user, watchdog=skav.ensure_alive)
        bo = server.person(bo_user, watchdog=skav.ensure_alive)
        cecilia = server.person(cecilia_user, watchdog=skav.ensure_alive)
        karin = server.person(karin_user, watchdog=skav.ensure_alive)
        people = (anna, bo, cecilia, karin)
        async with together(*people):
            for p in people:
                await p.open_dm()

            # Bo turns reminders off before he starts a draft.
            _greeting, off = await bo.say("påminn inte", expect=2)
            assert has(off, "påminnelser"), off
            (bo_draft,) = await bo.say(ONE_LINER, expect=1)
            assert "#1" in bo_draft, bo_draft

            # Anna starts a draft and goes quiet: one reminder, about 3 s later, and then nothing.
            _greeting, draft = await anna.say(ONE_LINER, expect=2)
            assert "#2" in draft, draft
            started = time.monotonic()
            (reminder,) = await anna.expect(1, timeout=20)
            waited = time.monotonic() - started
            assert "#2" in reminder and has(reminder, "påminn inte"), reminder
            assert waited >= 2.0, f"reminded after {waited:.1f}s, before 3 s of silence"

            # Cecilia submits an idea to Socialtjänst; Karin hears of it, then gets one follow-up.
            _greeting, _draft = await cecilia.say(ONE_LINER, expect=2)
            (unit_q,) = await cecilia.say("klar", expect=1)
            assert has(unit_q, "Socialtjänst"), unit_q
            (thanks,) = await cecilia.say("1", expect=1)
            assert "#3" in thanks and has(thanks, "första idé"), thanks
            (new_idea,) = await karin.expect(1)
            assert "#3" in new_idea, new_idea
            (followup,) = await karin.expect(1, timeout=20)
            assert "#3" in followup and has(followup, "ta 3"), followup

            # Silence: no second reminder for Anna, none for Bo, nothing more for Karin or Cecilia.
            await anna.wait_quiet(5.0)
            await bo.wait_quiet(0.5)
            await karin.wait_quiet(0.5)
            await cecilia.wait_quiet(0.5)

    run(scenario())


def test_killed_between_scheduling_and_sending_still_reminds_once(server, make_skav):
    anna_user = server.fresh_user("anna")
    # Dies by SIGKILL right after the first nudge's outbox entry and done mark are committed.
    skav = make_skav(crashpoint="after-nudge:1", **SECONDS_CALENDAR)

    async def scenario():
        async with server.person(anna_user) as anna:
            await anna.open_dm()
            _greeting, draft = await anna.say(ONE_LINER, expect=2)
            assert "#1" in draft, draft
            deadline = time.monotonic() + 30
            while skav.alive() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert not skav.alive(), "the crash point was never reached"
            assert skav.returncode == -9, f"expected death by SIGKILL, got {skav.returncode}"
            assert not await anna.drain(1.0), "the reminder went out before the crash"
            skav.restart()
            (reminder,) = await anna.expect(1, timeout=20)
            assert "#1" in reminder, reminder
            extra = await anna.drain(5.0)
            assert extra == [], f"reminded more than once: {extra}"

    run(scenario())
