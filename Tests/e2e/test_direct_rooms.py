"""Issue 11: the public-records notice before the first word, and a direct chat that stays direct — against
the real bot on Synapse."""

from __future__ import annotations

import asyncio

import pytest

from conftest import run
from dialogs import ONE_LINER
from person import Person, together

PUBLIC_RECORDS = "allmän handling"


def test_opening_a_dm_brings_the_public_records_notice_before_the_first_word(server, skav):
    user = server.fresh_user("anna")

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm(greeting=False)  # the invite only; anna writes nothing
            (greeting,) = await anna.expect(1)
            assert PUBLIC_RECORDS in greeting, greeting
            (draft,) = await anna.say(ONE_LINER, expect=1)  # no second greeting
            assert "#1" in draft and PUBLIC_RECORDS not in draft, draft
            await anna.wait_quiet(1.0)

    run(scenario(), timeout=120)


@pytest.mark.only_on("matrix", why="an is_direct invite into a room with others; a Mattermost DM has exactly two members")
def test_a_direct_invite_to_a_room_with_others_is_no_direct_chat(synapse, skav):
    anna_user, cecilia_user = synapse.fresh_user("anna"), synapse.fresh_user("cecilia")

    async def scenario():
        async with Person(synapse, anna_user, watchdog=skav.ensure_alive) as anna:
            # is_direct in the invite, but Cecilia is invited too.
            room = await anna.create_room([skav.bot.user_id, cecilia_user.user_id], is_direct=True)
            await anna.wait_left(skav.bot.user_id, room)
            said = [m.body for m in anna.received if m.room_id == room and m.sender == skav.bot.user_id]
            assert len(said) == 1 and "direktchatt" in said[0] and PUBLIC_RECORDS not in said[0], said

    run(scenario(), timeout=120)


@pytest.mark.only_on("matrix", why="a third person joining a DM room; nobody can join a Mattermost DM channel")
def test_a_third_person_joining_ends_the_dm_and_the_next_answer_comes_in_a_fresh_one(synapse, skav):
    anna_user, cecilia_user = synapse.fresh_user("anna"), synapse.fresh_user("cecilia")

    async def scenario():
        anna = Person(synapse, anna_user, watchdog=skav.ensure_alive)
        cecilia = Person(synapse, cecilia_user, bot=skav.bot.user_id, watchdog=skav.ensure_alive)
        async with together(anna, cecilia):
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

    run(scenario(), timeout=150)


@pytest.mark.only_on("matrix", why="createRoom is not idempotent on Matrix; POST /channels/direct is (the same channel "
                     "every time)")
def test_a_lost_create_room_answer_invites_the_person_to_one_room_only(synapse, proxy, make_skav):
    """The bot opens a plain DM (after an encrypted one); Synapse creates the room and invites Anna, but the
    answer is lost on the way back. The retry must find that room, not create and invite a second one."""
    bot = make_skav(
        "lossy", start=False, matrix={"homeserver": proxy.url, "request_timeout": "3s", "sync_timeout": "5s"}
    )
    proxy.inject("POST", "/createRoom", "lose")
    bot.start()
    user = synapse.fresh_user("anna")

    async def scenario():
        async with Person(synapse, user, watchdog=bot.ensure_alive) as anna:
            secret = await anna.create_room([bot.bot.user_id], is_direct=True, encrypted=True)
            await anna.wait_left(bot.bot.user_id, secret)
            plain = await anna.wait_invite(timeout=30)
            await anna.join(plain)
            await anna.wait_elsewhere(plain, lambda m: "utan kryptering" in m.body, timeout=30)
            await asyncio.sleep(3)  # a second room would have come with the retry
            assert anna.invites == [plain], f"invited to more than one room: {anna.invites}"

    run(scenario(), timeout=120)
    assert proxy.injected["lose"] == 1, f"the fault never triggered: {proxy.pending}"
    assert bot.alive()
    assert bot.terminate() == 0
