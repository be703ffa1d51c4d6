"""Digests and challenges (issue 5) against the real bot on Synapse (matrix-nio clients) and on the fake
Mattermost (mattermostautodriver clients).

- a coordinator invites the bot to the coordinators' and the shared room; it joins both without a word;
- `sammanfattning` in the coordinator's DM: the digest arrives in the coordinators' room with the week's
  ideas, escaped (a hostile title injects no markup or link) and without pinging anyone (`m.mentions: {}`);
- `utmaning ny …` announces a challenge in the shared room; a reply to the announcement there becomes an idea
  for the challenge, continued in a direct chat; `utmaning stäng 1` posts the summary to the coordinators;
- `lyft N` shows nothing until the idea-giver says yes, then the good example appears in the shared room;
- the scheduled digest (`digest.schedule: every 10s`) arrives in the coordinators' room, each slot exactly
  once, also across a SIGKILL.
"""

from __future__ import annotations

import asyncio
import datetime
import sqlite3

import pytest

from conftest import run
from dialogs import has
from person import BotMessage, Person, together

ALL_HOURS = {
    "calendar": {
        "working_hours": "00:00-24:00",
        "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "public_holidays": "none",
    },
}

HOSTILE = "<b>@room</b> [klicka här](http://evil.example) skrivaren på plan 3 fastnar varje morgon"


def no_ping(message: BotMessage, server: str = "matrix") -> None:
    if server == "mattermost":  # Markdown (formatted_body): no channel-wide mention, no live link from a person's text
        markdown = message.formatted_body or ""
        for ping in ("@channel", "@all", "@here"):
            assert ping not in markdown, markdown
        assert "[klicka här](http://evil" not in markdown, markdown
        return
    content = message.content or {}
    assert content.get("m.mentions") == {}, f"the bot must send m.mentions: {{}}, got {content.get('m.mentions')!r}"
    formatted = message.formatted_body or ""
    assert "<a " not in formatted and "href" not in formatted, formatted
    assert "<b>" not in formatted, formatted


async def submit(person: Person, text: str, greeted: bool) -> None:
    replies = await person.say(text, expect=1 if greeted else 2)
    assert "#" in replies[-1], replies
    (answer,) = await person.say("klar", expect=1)
    if "1)" in answer:  # the unit question, on the person's first idea
        (answer,) = await person.say("1", expect=1)
    assert has(answer, "hör av sig"), answer


def test_digest_on_demand_challenge_and_good_example(server, make_skav):
    ia_user = server.fresh_user("ia")
    anna_user = server.fresh_user("anna")
    karin_user = server.fresh_user("karin")

    async def scenario():
        ia = server.person(ia_user)
        anna = server.person(anna_user)
        karin = server.person(karin_user)
        people = (ia, anna, karin)
        async with together(*people):
            coordinators_room = await ia.create_room(invite=[], is_direct=False)
            shared_room = await ia.create_room(invite=[anna.user_id], is_direct=False)
            await anna.wait_invite()
            await anna.join(shared_room)
            skav = make_skav(
                roles={
                    "coordinators": [ia.user_id],
                    "guides": [{"user": karin.user_id, "units": ["Socialtjänst"]}],
                },
                **server.rooms_config(coordinators=coordinators_room, shared=shared_room),
                digest={"schedule": "off"},
                **ALL_HOURS,
            )
            for p in people:
                p.watchdog = skav.ensure_alive
            for room in (coordinators_room, shared_room):
                await ia.invite(room, server.bot_user.user_id)
                await ia.wait_joined(server.bot_user.user_id, room)
            for p in people:
                await p.open_dm()

            # Two ideas from Anna, one with a hostile title.
            await submit(anna, "Det tar för lång tid att boka tolk till hembesök.", greeted=False)
            await submit(anna, HOSTILE, greeted=True)
            await karin.drain(1.0)

            # The digest on demand: a short answer in the DM, the digest in the coordinators' room.
            _greeting, answer = await ia.say("sammanfattning", expect=2)
            assert has(answer, "samordnarnas rum"), answer
            digest = await ia.wait_elsewhere(
                coordinators_room, lambda m: has(m.body, "Sammanfattning"), what="the digest in the coordinators' room"
            )
            assert has(digest.body, "#1") and has(digest.body, "tolk"), digest.body
            assert "#2" in digest.body, digest.body
            assert has(digest.body, "Nya idéer"), digest.body
            no_ping(digest, server.name)
            if server.name == "matrix":
                assert digest.msgtype == "m.notice", digest.msgtype
                # The hostile title is text: escaped in HTML, shown as written in the plain body.
                assert "&lt;b&gt;" in (digest.formatted_body or ""), digest.formatted_body
                assert "[klicka här](http://evil" in digest.body, digest.body
            else:  # Markdown: the title's link syntax is escaped (no live link), and reads as written
                assert "[klicka här](http://evil" not in (digest.formatted_body or ""), digest.formatted_body
                assert "[klicka här](http://evil" in digest.body, digest.body
            await ia.wait_quiet(0.5)

            # A challenge, announced in the shared room.
            deadline = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
            (opened,) = await ia.say(f"utmaning ny Mindre papper | Vad tar onödigt mycket tid i din vardag? | {deadline}")
            assert has(opened, "Idéutmaning 1"), opened
            announcement = await anna.wait_elsewhere(
                shared_room, lambda m: has(m.body, "Ny idéutmaning"), what="the announcement in the shared room"
            )
            assert has(announcement.body, "Mindre papper") and deadline in announcement.body, announcement.body
            no_ping(announcement, server.name)

            # Anna replies to the announcement in the shared room: the idea goes on in her DM.
            await anna.send("Vi skriver ut samma blankett tre gånger.", room_id=shared_room, reply_to=announcement.event_id)
            (saved,) = await anna.expect(1)
            assert "#3" in saved and has(saved, "Mindre papper"), saved
            (thanks,) = await anna.say("klar", expect=1)
            assert "#3" in thanks and has(thanks, "hör av sig"), thanks
            assert skav.idea_show(3)["campaign"] == 1
            await karin.drain(1.0)

            # Closing: the summary goes to the coordinators, Anna is thanked.
            (closed,) = await ia.say("utmaning stäng 1", expect=1)
            assert has(closed, "stängd"), closed
            summary = await ia.wait_elsewhere(
                coordinators_room, lambda m: has(m.body, "är stängd"), what="the challenge summary"
            )
            assert "#3" in summary.body and has(summary.body, "Mindre papper"), summary.body
            (thanked,) = await anna.expect(1)
            assert has(thanked, "Tack"), thanked

            # A good example: nothing in the shared room before Anna says yes.
            (asked,) = await ia.say("lyft 1", expect=1)
            assert has(asked, "om lov"), asked
            (question,) = await anna.expect(1)
            assert has(question, "Får de det?"), question
            await asyncio.sleep(0.5)
            assert not [m for m in anna.elsewhere if has(m.body, "gott exempel")], "shown before consent"
            (yes,) = await anna.say("ja 1", expect=1)
            assert has(yes, "visas nu"), yes
            example = await anna.wait_elsewhere(
                shared_room, lambda m: has(m.body, "gott exempel"), what="the good example in the shared room"
            )
            if server.name == "matrix":
                assert "#1" in example.body and anna.user_id in example.body, example.body
            else:  # the author by id or @username
                assert "#1" in example.body and (anna.user_id in example.body or f"@{anna.user.name}" in example.body), example.body
            no_ping(example, server.name)
            (told,) = await ia.expect(1)
            assert has(told, "sa ja"), told

    run(scenario())


def test_scheduled_digest_each_slot_once_across_a_kill(server, make_skav):
    ia_user = server.fresh_user("ia")
    anna_user = server.fresh_user("anna")

    async def scenario():
        ia = server.person(ia_user)
        anna = server.person(anna_user)
        async with together(ia, anna):
            coordinators_room = await ia.create_room(invite=[], is_direct=False)
            skav = make_skav(
                roles={"coordinators": [ia.user_id]},
                **server.rooms_config(coordinators=coordinators_room),
                digest={"schedule": "every 10s"},
                **ALL_HOURS,
            )
            for p in (ia, anna):
                p.watchdog = skav.ensure_alive
            await ia.invite(coordinators_room, server.bot_user.user_id)
            await ia.wait_joined(server.bot_user.user_id, coordinators_room)
            await anna.open_dm()
            await submit(anna, "Det tar för lång tid att boka tolk till hembesök.", greeted=False)

            first = await ia.wait_elsewhere(
                coordinators_room, lambda m: "#1" in m.body, timeout=40, what="a scheduled digest with idea #1"
            )
            assert has(first.body, "Sammanfattning"), first.body
            no_ping(first, server.name)

            # A SIGKILL and a restart: the next slots come, none twice.
            skav.kill()
            skav.start()
            for p in (ia, anna):
                p.watchdog = skav.ensure_alive
            before = len([m for m in ia.elsewhere if m.room_id == coordinators_room])
            deadline = asyncio.get_running_loop().time() + 40
            while len([m for m in ia.elsewhere if m.room_id == coordinators_room]) < before + 2:
                assert asyncio.get_running_loop().time() < deadline, "no scheduled digest after the restart"
                await asyncio.sleep(0.2)
            skav.terminate()
            await asyncio.sleep(1.0)
            in_room = [m for m in ia.elsewhere if m.room_id == coordinators_room]
            with sqlite3.connect(skav.db_path) as db:
                runs = db.execute("SELECT key, parts FROM digest_run WHERE key LIKE 'coordinators:%'").fetchall()
            assert sum(parts for _, parts in runs) == len(in_room), (runs, [m.body[:60] for m in in_room])
            assert len({m.body for m in in_room}) == len(in_room) or len(runs) > 1, "a digest was doubled"
            for message in in_room:
                no_ping(message, server.name)

    run(scenario())
