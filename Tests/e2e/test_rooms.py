"""Who may talk to the bot, and where (SkavBot.docc/Privacy.md): encrypted rooms, group rooms, strangers, floods —
against the real bot on Synapse."""

from __future__ import annotations

import asyncio

import pytest

from conftest import run
from dialogs import ONE_LINER
from person import Person


@pytest.mark.only_on("matrix", why="end-to-end encrypted rooms exist on Matrix only")
def test_an_encrypted_room_moves_the_person_to_a_plain_direct_chat(synapse, skav):
    user = synapse.fresh_user("anna")

    async def scenario():
        async with Person(synapse, user, watchdog=skav.ensure_alive) as anna:
            secret = await anna.create_room([skav.bot.user_id], is_direct=True, encrypted=True)
            await anna.wait_left(skav.bot.user_id, secret)  # joined, said its piece, left
            notice = [m for m in anna.received if m.room_id == secret and m.sender == skav.bot.user_id]
            assert len(notice) == 1 and notice[0].msgtype == "m.notice", [m.body for m in notice]
            assert "krypter" in notice[0].body
            plain = await anna.wait_invite()
            assert plain != secret
            await anna.join(plain)
            anna.room_id = plain
            (welcome,) = await anna.expect(1)
            assert "utan kryptering" in welcome
            greeting, draft = await anna.say(ONE_LINER, expect=2)
            assert "allmän handling" in greeting and "#1" in draft

    run(scenario(), timeout=120)


@pytest.mark.only_on("matrix", why="an invite into a group room; on Mattermost people add the bot to channels, no invite "
                     "to decline")
def test_a_group_room_gets_a_notice_and_is_left(synapse, skav):
    user = synapse.fresh_user("anna")

    async def scenario():
        async with Person(synapse, user, watchdog=skav.ensure_alive) as anna:
            group = await anna.create_room([skav.bot.user_id], is_direct=False)
            await anna.wait_left(skav.bot.user_id, group)
            said = [m.body for m in anna.received if m.room_id == group and m.sender == skav.bot.user_id]
            assert len(said) == 1 and "direktchatt" in said[0], said
            assert not skav.ideas_list()

    run(scenario(), timeout=120)


@pytest.mark.only_on("matrix", why="declining an invite from another homeserver; on Mattermost the rule is the e-mail "
                     "domain, tested in test_mattermost.py")
def test_people_outside_the_allowed_servers_are_declined_and_ignored(synapse, make_skav):
    bot = make_skav(matrix={"allowed_domains": ["kommun.example"]})
    user = synapse.fresh_user("stranger")

    async def scenario():
        async with Person(synapse, user, bot=bot.bot.user_id, watchdog=bot.ensure_alive) as stranger:
            room = await stranger.open_dm(wait_join=False)
            await stranger.wait_left(bot.bot.user_id, room)  # the invite is declined
            assert bot.bot.user_id not in stranger.joined.get(room, set())
            await stranger.wait_quiet(1.0)
            assert not [m for m in stranger.received if m.sender == bot.bot.user_id]

    run(scenario(), timeout=120)
    assert not bot.ideas_list()


def test_a_flood_gets_one_calm_notice_then_silence(server, make_skav):
    bot = make_skav(limits={"flood_max_messages": 5, "flood_window": "60s"})
    user = server.fresh_user("anna")

    async def scenario():
        async with server.person(user, bot=bot.bot.user_id, watchdog=bot.ensure_alive) as anna:
            await anna.open_dm()
            for _ in range(12):
                await anna.send("hjälp")
            await asyncio.sleep(3)
            bodies = await anna.drain(2.0)
            notices = [b for b in bodies if "för fort" in b]
            assert len(notices) == 1, bodies
            assert len(bodies) <= 5 + 1 + 1, f"five answered (one with the greeting), one notice: {bodies}"

    run(scenario(), timeout=120)
