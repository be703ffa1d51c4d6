"""Capture: the core conversation of SkavBot.docc/Conversation.md against the real bot on a real Synapse."""

from __future__ import annotations

import pytest

from conftest import run
from dialogs import CAPTURE, EXPECTED_IDEA_1, ONE_LINER, SECOND_IDEA, check_idea, has
from figures import FIGURES
from nio import RoomSendResponse
from person import Person, together
from skav_process import CHALLENGES, UNITS


def test_capture_dialog(server, skav):
    anna_user = server.users["anna"]

    async def scenario():
        anna = server.person(anna_user, watchdog=skav.ensure_alive)
        await anna.start()
        try:
            await anna.open_dm()  # the bot joins

            greeting, draft = await anna.say(CAPTURE[0].text, expect=2)
            assert has(greeting, "allmän handling"), f"greeting lacks the public-records notice: {greeting!r}"
            assert "#1" in draft, f"second reply should say draft #1: {draft!r}"

            (solution_q,) = await anna.say("1", expect=1)  # benefits: residents
            (challenge_q,) = await anna.say("hoppa", expect=1)  # skip solution
            assert all(has(challenge_q, c["title"]) for c in CHALLENGES), f"challenge list: {challenge_q!r}"
            (card,) = await anna.say("1", expect=1)  # challenge: integration
            assert has(card, "skicka"), f"summary card should offer 'skicka': {card!r}"
            assert has(card, "tolk"), f"summary card should show the idea: {card!r}"
            (unit_q,) = await anna.say("skicka", expect=1)
            assert all(has(unit_q, u) for u in UNITS), f"unit question should list the units: {unit_q!r}"
            assert "1" in unit_q, f"unit list should be numbered: {unit_q!r}"
            (thanks,) = await anna.say("1", expect=1)  # unit: Socialtjänst
            assert "#1" in thanks, f"thanks should name idea #1: {thanks!r}"
            await anna.wait_quiet(1.0)

            check_idea(skav.idea_show(1), EXPECTED_IDEA_1, anna_user.user_id)
            listed = skav.ideas_list()
            assert [i.get("number") for i in listed] == [1], f"ideas list: {listed}"

            # A second idea by the same person: no greeting, no unit question.
            (draft2,) = await anna.say(SECOND_IDEA, expect=1)
            assert "#2" in draft2 and not has(draft2, "allmän handling"), f"second draft reply: {draft2!r}"
            await anna.say("hoppa", expect=1)  # benefits
            await anna.say("hoppa", expect=1)  # solution
            (card2,) = await anna.say("hoppa", expect=1)  # challenge
            assert has(card2, "skicka"), f"summary card: {card2!r}"
            (thanks2,) = await anna.say("skicka", expect=1)
            assert "#2" in thanks2, f"thanks should name idea #2 (no unit question the second time): {thanks2!r}"
            await anna.wait_quiet(1.0)

            idea2 = skav.idea_show(2)
            assert idea2.get("stage") == "inkommen", f"idea 2 should be submitted: {idea2}"
            assert idea2.get("unit") == "Socialtjänst", f"idea 2 should inherit the remembered unit: {idea2}"
            assert idea2.get("problem") == SECOND_IDEA
            assert idea2.get("author") == anna_user.user_id
            assert skav.idea_show(1).get("problem") == ONE_LINER
            return anna.latencies_ms
        finally:
            skav.sample_rss()
            await anna.close()

    latencies = run(scenario(), timeout=180)
    FIGURES["latencies_ms"].extend(latencies)
    skav.terminate()


@pytest.mark.only_on("matrix", why="a second device of the bot's account joins the DM before the first start, and invites "
                     "pending then are joined: Matrix devices and invites (Mattermost's counterpart, reading a new DM "
                     "from its creation, is the adapter's own rule)")
def test_first_start_does_not_answer_history(synapse, make_skav):
    """Messages sent before the bot's first ever start get no reply; invites pending then are joined."""
    skav = make_skav(start=False)  # fresh database: this will be its first start
    anna_user, bertil_user = synapse.fresh_user("anna"), synapse.fresh_user("bertil")

    async def scenario():
        anna = Person(synapse, anna_user, watchdog=skav.ensure_alive)
        bertil = Person(synapse, bertil_user, watchdog=skav.ensure_alive)
        # The bot's account, on another device, joins anna's DM before the bot ever ran.
        stand_in = Person(synapse, synapse.users["skav"], bot=None, device_id="E2EHELPER")
        async with together(anna, bertil, stand_in):
            room = await anna.open_dm(wait_join=False)
            await stand_in.wait_invite()
            await stand_in.join(room)
            await anna.wait_joined(skav.bot.user_id)
            await anna.send("Gammalt skav: skrivaren på plan 3 har varit trasig i en månad.")
            await anna.send("hjälp")
            await stand_in.close()
            await bertil.open_dm(wait_join=False)  # an invite pending before the first start

            skav.start()
            await bertil.wait_joined(skav.bot.user_id)  # pending invite handled
            await bertil.wait_greeting()  # the greeting on joining, before bertil writes
            await anna.wait_quiet(3.0)  # history not answered
            await bertil.wait_quiet(0.5)

            greeting, draft = await anna.say(ONE_LINER, expect=2)  # but new messages are
            assert has(greeting, "allmän handling"), greeting
            assert "#1" in draft, f"the history must not have made a draft: {draft!r}"
            greeting_b, _ = await bertil.say(SECOND_IDEA, expect=2)
            assert has(greeting_b, "allmän handling"), greeting_b
            await anna.wait_quiet(0.5)
            await bertil.wait_quiet(0.5)

    run(scenario(), timeout=120)
    skav.terminate()


@pytest.mark.only_on("matrix", why="m.notice and a second device of the bot's account are Matrix concepts; on Mattermost "
                     "the bot's own and from_bot posts are covered in test_mattermost.py")
def test_ignores_own_messages_and_notices(synapse, skav):
    bertil_user = synapse.fresh_user("bertil")
    own_text = "Det här skriver boten själv (från en annan enhet)."

    async def scenario():
        bertil = Person(synapse, bertil_user, watchdog=skav.ensure_alive)
        stand_in = Person(synapse, synapse.users["skav"], bot=None, device_id="E2EOTHER")
        bertil.ignore_bodies.add(own_text)
        async with together(bertil, stand_in):
            room = await bertil.open_dm()
            await bertil.send("Automatiskt meddelande: servern startas om i kväll.", msgtype="m.notice")
            await bertil.wait_quiet(2.0)  # notices are never answered
            await stand_in.send(own_text, room_id=room)  # a message from the bot's own account
            await bertil.wait_quiet(2.0)
            greeting, draft = await bertil.say(ONE_LINER, expect=2)
            assert has(greeting, "allmän handling"), greeting
            assert "#1" in draft, f"neither the notice nor its own message may start a draft: {draft!r}"
            await bertil.wait_quiet(2.0)  # and the bot does not answer its own replies

    run(scenario(), timeout=120)
    skav.terminate()


@pytest.mark.only_on("matrix", why="edits and encrypted messages as Matrix events; the sync filter names the fields the bot "
                     "reads (event_fields), so these prove the server still sends what tells them apart")
def test_an_edit_is_no_new_message_and_an_encrypted_one_is_answered(synapse, skav):
    user = synapse.fresh_user("cecilia")

    async def scenario():
        async with Person(synapse, user, watchdog=skav.ensure_alive) as cecilia:
            room = await cecilia.open_dm()
            first = await cecilia.send(ONE_LINER)
            (draft,) = await cecilia.expect(1)  # the greeting came on joining
            assert "#1" in draft, draft
            edit = {
                "msgtype": "m.text", "body": "* " + ONE_LINER + " (ändrad)",
                "m.new_content": {"msgtype": "m.text", "body": ONE_LINER + " (ändrad)"},
                "m.relates_to": {"rel_type": "m.replace", "event_id": first},
            }
            resp = await cecilia.client.room_send(room, "m.room.message", edit)
            assert isinstance(resp, RoomSendResponse), resp
            await cecilia.wait_quiet(2.0)  # an edit is not a new message: no second draft, no question
            encrypted = {
                "algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAcPf3aLX", "device_id": "E2ECECILIA",
                "sender_key": "c2VuZGVyIGtleQ", "session_id": "c2Vzc2lvbg",
            }
            resp = await cecilia.client.room_send(room, "m.room.encrypted", encrypted)
            assert isinstance(resp, RoomSendResponse), resp
            # A message the bot cannot read (not a redacted one, though the filter drops its ciphertext): it
            # says so and leaves the room.
            await cecilia.wait_left(skav.bot.user_id, room)
            said = [m.body for m in cecilia.received if m.room_id == room and m.sender == skav.bot.user_id]
            assert any("krypter" in body for body in said), said
            # ... and opens a new, plain direct chat: never the room it has just given up (the two happen at
            # once, on different lanes).
            fresh = await cecilia.wait_invite()
            assert fresh != room
            await cecilia.join(fresh)
            opened = await cecilia.wait_elsewhere(fresh, lambda m: True, what="the word in the new direct chat")
            assert "Här kan vi prata" in opened.body, opened.body
            said = [m.body for m in cecilia.received if m.room_id == room and m.sender == skav.bot.user_id]
            assert not any("Här kan vi prata" in body for body in said), said

    run(scenario(), timeout=120)
