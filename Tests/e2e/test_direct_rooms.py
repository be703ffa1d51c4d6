"""Issue 11: the public-records notice before the first word, and a direct chat that stays direct — against
the real bot on Synapse."""

from __future__ import annotations

import asyncio

from conftest import run
from dialogs import ONE_LINER
from person import Person

PUBLIC_RECORDS = "allmän handling"


def test_opening_a_dm_brings_the_public_records_notice_before_the_first_word(synapse, skav):
    user = synapse.fresh_user("anna")

    async def scenario():
        anna = Person(synapse, user, watchdog=skav.ensure_alive)
        await anna.start()
        try:
            await anna.open_dm(greeting=False)  # the invite only; anna writes nothing
            (greeting,) = await anna.expect(1)
            assert PUBLIC_RECORDS in greeting, greeting
            (draft,) = await anna.say(ONE_LINER, expect=1)  # no second greeting
            assert "#1" in draft and PUBLIC_RECORDS not in draft, draft
            await anna.wait_quiet(1.0)
        finally:
            await anna.close()

    run(scenario(), timeout=120)


def test_a_direct_invite_to_a_room_with_others_is_no_direct_chat(synapse, skav):
    anna_user, cecilia_user = synapse.fresh_user("anna"), synapse.fresh_user("cecilia")

    async def scenario():
        anna = Person(synapse, anna_user, watchdog=skav.ensure_alive)
        await anna.start()
        try:
            # is_direct in the invite, but Cecilia is invited too.
            room = await anna.create_room([skav.bot.user_id, cecilia_user.user_id], is_direct=True)
            await anna.wait_left(skav.bot.user_id, room)
            said = [m.body for m in anna.received if m.room_id == room and m.sender == skav.bot.user_id]
            assert len(said) == 1 and "direktchatt" in said[0] and PUBLIC_RECORDS not in said[0], said
        finally:
            await anna.close()

    run(scenario(), timeout=120)


def test_a_third_person_joining_ends_the_dm_and_the_next_answer_comes_in_a_fresh_one(synapse, skav):
    anna_user, cecilia_user = synapse.fresh_user("anna"), synapse.fresh_user("cecilia")

    async def scenario():
        anna = Person(synapse, anna_user, watchdog=skav.ensure_alive)
        cecilia = Person(synapse, cecilia_user, bot=skav.bot.user_id, watchdog=skav.ensure_alive)
        await anna.start()
        await cecilia.start()
        try:
            old = await anna.open_dm()
            greeting, draft = await anna.say(ONE_LINER, expect=2)
            assert PUBLIC_RECORDS in greeting and "#1" in draft

            await anna.invite(old, cecilia_user.user_id)
            await cecilia.wait_invite()
            await cecilia.join(old)
            (notice,) = await anna.expect(1)
            assert "fler än två" in notice, notice
            await cecilia.send("Hej Skav, vad har Anna skrivit?", room_id=old)
            await anna.wait_quiet(2.0)  # nothing more in the old room, not even for Cecilia

            await anna.send("hoppa")  # Anna answers the question in the old room: the answer comes elsewhere
            fresh = await anna.wait_invite()
            assert fresh != old
            await anna.join(fresh)
            answer = await anna.wait_elsewhere(fresh, lambda m: True, what="the answer in a fresh DM")
            assert "lösas" in answer.body or "förslag" in answer.body, answer.body
            await anna.wait_quiet(1.0)
            seen = [m.body for m in cecilia.received if m.sender == skav.bot.user_id and m.room_id == old]
            assert seen and "fler än två" in seen[-1], f"the notice is the bot's last word in the old room: {seen}"
        finally:
            await anna.close()
            await cecilia.close()

    run(scenario(), timeout=150)
