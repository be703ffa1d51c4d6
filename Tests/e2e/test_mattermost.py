"""Mattermost-only behaviour (issue 15): what a polling bot must get right on Mattermost's change feed and
that has no Matrix counterpart. Against the fake Mattermost (mattermost_fake.py), people played by
mattermostautodriver (mattermost_person.py).

- edits, deletes, reactions and thread replies are each handled exactly right (none is answered as a new
  message; a thread reply is the person's next message, answered once, and the root it bumps is not);
- 1,200 posts between two polls (more than the feed's 1,000 cap, several to a millisecond) are each handled
  exactly once and in order;
- posts that become visible out of order (stamped before their commit, or read from a lagging replica) are
  not lost;
- a lost answer to the bot's `POST /posts` (committed, answer dropped) and 429s do not double or lose a reply;
- idle cost does not grow with the number of DM channels.
SIGKILL at chosen points of a dialog (test_crash.py) and at random moments (test_chaos.py) run on Mattermost
as well, through the `server` fixture.

The first test needs no skav; the others skip while the skav binary refuses `chat.kind: mattermost`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from conftest import run
from dialogs import CAPTURE, EXPECTED_IDEA_1, ONE_LINER, check_idea, has
from person import together


@pytest.fixture
def server(mattermost, mattermost_skav_refusal):
    """This module runs on Mattermost only (it overrides the two-server `server` of conftest.py)."""
    if mattermost_skav_refusal:
        pytest.skip(f"needs the Mattermost adapter: {mattermost_skav_refusal}")
    return mattermost


def test_mattermost_person_against_a_stand_in_bot(mattermost):
    """MattermostPerson (open_dm/say/wait_quiet/latency) against a stand-in bot, itself a MattermostPerson on
    the bot account's token, that answers every post with a from_bot 'notice' and a plain post. No skav."""
    human = mattermost.fresh_user("human")

    async def scenario():
        bot = mattermost.person(mattermost.bot_user, bot=None)
        person = mattermost.person(human)
        await bot.start()
        await person.start()

        async def serve():
            seen = 0
            while True:
                texts = [m for m in bot.received if not (m.content or {}).get("props", {}).get("from_bot")]
                for m in texts[seen:]:
                    await bot.send(f"du sa: {m.body}", msgtype="m.notice", room_id=m.room_id)
                    await bot.send("nästa fråga", room_id=m.room_id)
                seen = len(texts)
                await asyncio.sleep(0.01)

        serving = asyncio.create_task(serve())
        try:
            await person.open_dm(greeting=False)
            assert await person.say("ett", expect=2) == ["du sa: ett", "nästa fråga"]
            assert await person.say("två", expect=2) == ["du sa: två", "nästa fråga"]
            await person.wait_quiet(0.5)
            assert len(person.latencies_ms) == 2 and all(0 < x < 10_000 for x in person.latencies_ms)
            props = [m.content["props"].get("from_bot") for m in person.transcript]
            assert props == ["true", "true"] * 2, "posts of a bot account carry props.from_bot"
            # an edit, a reaction and a delete are no new posts for a client either
            first = person.sent_post_ids[0]
            await person.edit(first, "ett (ändrad)")
            await person.react(person.transcript[0].event_id)
            await person.delete(person.sent_post_ids[1])
            await person.wait_quiet(0.5)
            assert len(bot.received) == 2, [m.body for m in bot.received]
        finally:
            serving.cancel()
            await person.close()
            await bot.close()

    run(scenario(), timeout=60)


def test_edit_delete_reaction_and_thread_reply_are_each_handled_exactly_right(server, skav):
    user = server.fresh_user("anna")

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()
            greeting, draft = await anna.say(CAPTURE[0].text, expect=2)
            assert "#1" in draft, draft
            idea_post = anna.sent_post_ids[-1]
            draft_post = anna.transcript[-1].event_id

            await anna.edit(idea_post, CAPTURE[0].text + " (ändrad)")  # an edit is no new message
            await anna.wait_quiet(2.0)
            await anna.react(draft_post)  # a reaction bumps the bot's post: no new message
            await anna.wait_quiet(2.0)
            await anna.delete(idea_post)  # a delete (message blanked, delete_at set) is no new message
            await anna.wait_quiet(2.0)

            # A thread reply is the person's next message: answered once; the root it bumps is not re-read.
            await anna.send(CAPTURE[1].text, reply_to=draft_post)
            (solution_q,) = await anna.expect(1)
            await anna.wait_quiet(2.0)
            for step in CAPTURE[2:]:
                await anna.say(step.text, expect=step.replies)
            await anna.wait_quiet(1.0)

    run(scenario(), timeout=180)
    idea = skav.idea_show(1)
    check_idea(idea, {k: v for k, v in EXPECTED_IDEA_1.items() if k != "problem"}, user.user_id)
    assert idea["problem"].startswith(ONE_LINER), idea
    assert [i["number"] for i in skav.ideas_list()] == [1]
    skav.terminate()


def test_1200_posts_between_two_polls_are_each_handled_once_in_order(server, make_skav):
    """1,200 posts appear at once (one millisecond each): 1 + 2 × 599 + 1 posts = a first idea with the unit
    question, 598 more ideas of two posts each (text, `klar`) and a last `klar`. Every post gets exactly its
    reply, in order, and the store holds 599 ideas, each once."""
    skav = make_skav(limits={"flood_max_messages": 10000, "flood_window": "1s"})
    user = server.fresh_user("burst")
    texts = [f"Rutinen för ärendetyp {chr(65 + i % 26)}{i} behöver bli enklare, vi tappar tid varje vecka." for i in range(599)]
    posts = [texts[0], "klar", "1"]
    for text in texts[1:]:
        posts += [text, "klar"]
    posts.append("klar")
    assert len(posts) == 1200

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()  # waits for the greeting the bot sends on finding the new DM
            server.fake.inject(anna.room_id, user.user_id, posts, per_ms=1)
            replies = await anna.expect(1200, timeout=300)  # one reply per post
            await anna.wait_quiet(3.0)
            return replies

    replies = run(scenario(), timeout=420)
    numbers = [int(i.get("number")) for i in skav.ideas_list()]
    assert sorted(numbers) == list(range(1, 600)), f"{len(numbers)} ideas, doubled {[n for n, c in Counter(numbers).items() if c > 1]}"
    for n in (1, 2, 300, 599):
        assert skav.idea_show(n)["problem"] == texts[n - 1]
    drafts = [r for r in replies if "#" in r]
    assert len(replies) == 1200 and drafts, replies[:5]
    assert "utkast" in replies[-1], f"the last `klar` finds no draft left: {replies[-1]!r}"
    skav.terminate()


def test_posts_visible_out_of_order_are_not_lost(server, skav):
    """Anna's first post is stamped first but becomes visible 1.5 s after her second (a commit after the
    stamp, or a lagging replica): the bot must still answer both, each once."""
    user = server.fresh_user("anna")

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()
            server.fake.delay_visibility(1, delay_ms=1500, channel_id=anna.room_id, user_id=user.user_id)
            await anna.send(ONE_LINER)  # stamped now, seen in 1.5 s
            await asyncio.sleep(0.3)
            await anna.send("hjälp")  # stamped later, seen at once
            await anna._wait(lambda: any("#1" in m.body for m in anna.transcript), 20, "the draft of the late post")
            return await anna.drain(3.0)  # everything, the greeting included

    replies = run(scenario(), timeout=120)
    assert len(replies) == 3, f"the greeting, the answer to `hjälp` and the draft, each once: {replies}"
    assert sum("#1" in r for r in replies) == 1 and sum(r.startswith("Hej! Jag är Skav") for r in replies) == 1, replies
    assert skav.idea_show(1)["problem"] == ONE_LINER
    skav.terminate()


def test_a_lost_answer_and_429s_neither_double_nor_lose_a_reply(server, make_skav):
    clean = make_skav("clean")
    reference = run(capture(server, clean, server.fresh_user("anna")), timeout=180)
    clean.terminate()

    bot = make_skav("faulty")
    bot_id = server.bot_user.user_id
    # The bot's first post gets a 502 (nothing saved), its retry is saved but the answer is lost (the
    # connection closes), and from then on it may make four requests a second, polls included (429 with
    # Retry-After beyond that: its 200 ms polling alone goes over).
    server.fake.drop(1, method="POST", path="/api/v4/posts", user_id=bot_id)
    server.fake.fail(1, status=502, method="POST", path="/api/v4/posts", user_id=bot_id)
    server.fake.ratelimit(per_second=4, burst=4, user_id=bot_id)
    try:
        transcript = run(capture(server, bot, server.fresh_user("anna")), timeout=240)
    finally:
        server.fake.ratelimit(on=False)
    assert transcript == reference, f"\n  want: {reference}\n  got:  {transcript}"
    bot.terminate()


async def capture(server, skav, user) -> list[str]:
    async with server.person(user, watchdog=skav.ensure_alive) as person:
        await person.open_dm(greeting=False)
        for step in CAPTURE:
            await person.say(step.text, expect=step.replies, strict=False, timeout=60)
        await person.drain(2.0)
        return [b.replace(user.user_id, "PERSON").replace(user.name, "PERSON") for b in person.bodies()]


def test_idle_cost_does_not_grow_with_the_number_of_dms(server, skav):
    """300 DM channels with the bot and nobody writing: the channel list once per poll interval, nothing more."""
    fake = server.fake
    people = [server.fresh_user("idle") for _ in range(300)]
    started = time.monotonic()
    for p in people:
        fake.direct_channel(p.user_id, server.bot_user.user_id)
    # The bot greets each person who opens a DM with it, once; idle is after that.
    deadline = time.monotonic() + 180.0
    while True:
        greeted = [r for r in fake.requests_since(started, user_id=server.bot_user.user_id)
                   if r[1] == "POST" and r[2].startswith("/api/v4/posts")]
        if len(greeted) >= len(people):
            break
        assert time.monotonic() < deadline, f"only {len(greeted)} of {len(people)} greetings were sent"
        assert skav.alive(), skav.logs()
        time.sleep(0.5)
    # A greeting moves its channel in the channel list, but the bot knows the post for its own and reads
    # nothing for it. Only a channel listed while its greeting was still on the way is read (and once
    # more after the overlap, 5 s): let that pass, then nobody writes. One look at the channel list per
    # poll interval (200 ms) is all that is left.
    time.sleep(8.0)
    t0 = time.monotonic()
    time.sleep(10.0)
    seen = fake.requests_since(t0, user_id=server.bot_user.user_id)
    rate = len(seen) / 10.0
    assert skav.alive(), skav.logs()
    assert rate <= 6.0, f"the idle bot makes {rate:.1f} requests a second with 300 DM channels: {sorted({r[2].split('?')[0] for r in seen})[:10]}"
    skav.terminate()


def test_own_and_bot_posts_are_not_answered(server, skav):
    """A post marked props.from_bot (what every bot account's post carries) and a post by the bot's own
    account (another client on its token) are never answered (Matrix: notices and own messages)."""
    user = server.fresh_user("bertil")
    own_text = "Det här skriver boten själv (från en annan klient)."

    async def scenario():
        bertil = server.person(user, watchdog=skav.ensure_alive)
        stand_in = server.person(server.bot_user, bot=None)
        bertil.ignore_bodies.add(own_text)
        async with together(bertil, stand_in):
            room = await bertil.open_dm()
            await bertil.send("Automatiskt meddelande: servern startas om i kväll.", msgtype="m.notice")
            await bertil.wait_quiet(2.0)
            await stand_in.send(own_text, room_id=room)
            await bertil.wait_quiet(2.0)
            greeting, draft = await bertil.say(ONE_LINER, expect=2)
            assert has(greeting, "allmän handling"), greeting
            assert "#1" in draft, f"neither the from_bot post nor its own post may start a draft: {draft!r}"
            await bertil.wait_quiet(2.0)

    run(scenario(), timeout=120)
    skav.terminate()


def test_people_outside_the_allowed_domains_are_ignored(server, skav):
    """`mattermost.allowed_domains`: a team member whose e-mail is elsewhere gets no answer and no idea."""
    user = server.fresh_user("stranger", domain="elsewhere.example")

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as stranger:
            await stranger.open_dm(greeting=False)
            await stranger.send(ONE_LINER)
            await stranger.wait_quiet(3.0)
            assert not [m for m in stranger.received if m.sender == server.bot_user.user_id]

    run(scenario(), timeout=120)
    assert not skav.ideas_list()
    skav.terminate()


def test_a_429_whose_reset_is_an_epoch_is_waited_out_sensibly(server, skav):
    """X-RateLimit-Reset is relative seconds on the server, epoch seconds in some docs: accept both. With an
    epoch reset (and Retry-After: 1) on every 429, the dialog still completes in reasonable time."""
    bot_id = server.bot_user.user_id
    server.fake.ratelimit(per_second=2, burst=2, user_id=bot_id, reset=str(int(time.time()) + 1))
    started = time.monotonic()
    try:
        transcript = run(capture(server, skav, server.fresh_user("anna")), timeout=180)
    finally:
        server.fake.ratelimit(on=False)
    assert len(transcript) == sum(s.replies for s in CAPTURE), transcript
    assert time.monotonic() - started < 90, "an epoch reset was taken as a wait of decades"
    skav.terminate()
