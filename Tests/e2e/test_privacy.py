"""Personal data (SkavBot.docc/Privacy.md): masked before anything is stored, and the person is told."""

from __future__ import annotations

import pytest

from conftest import run
from person import Person, together

PERSONNUMMER = "811218-9876"
PHONE = "070-123 45 67"


def test_personal_data_is_masked_before_it_is_stored(server, skav):
    anna_user = server.users["anna"]
    line = f"Brukaren {PERSONNUMMER} fick vänta två veckor på svar, ring {PHONE} så berättar jag mer."

    async def scenario():
        async with server.person(anna_user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()
            replies = await anna.say(line, expect=3)  # notice, greeting, draft + question
            await anna.wait_quiet(1.0)
            return replies

    replies = run(scenario())
    text = "\n".join(replies)
    assert "ett personnummer och ett telefonnummer" in text, f"the person should be told what was masked: {replies!r}"
    assert PERSONNUMMER not in text and PHONE not in text

    idea = skav.idea_show(1)
    assert idea.get("problem") == (
        "Brukaren [personnummer] fick vänta två veckor på svar, ring [telefonnummer] så berättar jag mer."
    ), f"stored idea: {idea}"
    stored = b"".join(
        path.read_bytes() for path in skav.db_path.parent.glob(skav.db_path.name + "*") if path.is_file()
    )
    for raw in (PERSONNUMMER, PHONE, "8112189876"):
        assert raw.encode() not in stored, f"{raw} is in the database files"
    assert PERSONNUMMER not in skav.logs(limit=1_000_000)


@pytest.mark.only_on("matrix", why="a Matrix id holding a `/` (escaped `\\/` in stored JSON) and the Matrix outbox/direct_room "
                     "rows; Mattermost ids are 26 letters and digits")
def test_forget_me_leaves_the_raw_id_in_no_table_and_no_later_log_line(synapse, make_skav):
    """Issue 11.5 on Synapse: a person whose id holds a `/` (stored JSON escapes it as `\\/`) has a card
    naming them sent to their guide, and a message waiting for them with no room resolved yet, when they
    say `glöm mig`. Afterwards no table (every column as text), no database byte and no log line written
    since holds the id, raw or escaped; the waiting message still reaches them, in their chat."""
    import sqlite3
    import time
    from datetime import datetime, timedelta, timezone

    from dialogs import ONE_LINER

    person_user = synapse.register("a/b")
    karin_user = synapse.fresh_user("karin")
    skav = make_skav(
        roles={"guides": [{"user": karin_user.user_id, "units": ["Socialtjänst"]}]}, log={"level": "debug"}
    )
    raw = person_user.user_id
    forms = [raw, raw.replace("/", "\\/"), raw[1:], raw[1:].replace("/", "\\/")]

    async def before():
        ab = Person(synapse, person_user, watchdog=skav.ensure_alive)
        karin = Person(synapse, karin_user, watchdog=skav.ensure_alive)
        async with together(ab, karin):
            for p in (ab, karin):
                await p.open_dm()
            await ab.say(ONE_LINER, expect=2)
            await ab.say("klar", expect=1)
            await ab.say("1", expect=1)  # Socialtjänst: Karin is told
            await karin.expect(1)
            _greeting, card = await karin.say("idé 1", expect=2)
            assert raw in card, card
            await ab.wait_quiet(0.5)

    run(before(), timeout=180)
    skav.terminate()
    # A message to them that waits (a retry time ahead) with no room resolved yet: the sender would open a
    # new chat for it. Written as Skav stores it: RichText JSON, the slash escaped.
    def stamp(moment):
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    now = datetime.now(timezone.utc)
    with sqlite3.connect(skav.db_path) as db:
        db.execute(
            "INSERT INTO outbox (txn_id, kind, room_id, recipient, body, style, created_at, not_before, attempts)"
            " VALUES ('e2e.waiting', 'message', NULL, ?, ?, 'text', ?, ?, 1)",
            (raw, '{"spans":[{"text":{"_0":"Hej igen, ' + forms[1] + '"}}]}', stamp(now), stamp(now + timedelta(seconds=12))),
        )
    skav.start()
    log_offset = skav.stderr_path.stat().st_size

    async def forget():
        async with Person(synapse, person_user, watchdog=skav.ensure_alive) as ab:
            await ab.open_dm(greeting=False)  # greeted in the first chat already: once per person
            (confirm,) = await ab.say("glöm mig", expect=1)
            waiting, done = await ab.say("ja, glöm mig", expect=2, timeout=60)
            await ab.wait_quiet(1.0)
            return confirm, waiting, done

    _confirm, waiting, _done = run(forget(), timeout=180)
    assert waiting.startswith("Hej igen, anonym-"), f"the waiting message reaches them, with the pseudonym: {waiting!r}"
    time.sleep(0.5)
    skav.terminate()

    # The files as the bot left them (read before anything else opens the database).
    files = {p.name: p.read_bytes() for p in skav.db_path.parent.glob("skav.sqlite*") if p.is_file()}
    logs = skav.stderr_path.read_bytes()[log_offset:].decode("utf-8", "replace")
    db = sqlite3.connect(skav.db_path)
    try:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        dump = []
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    dump.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
        rooms = [row[0] for row in db.execute("SELECT user_id FROM direct_room")]
    finally:
        db.close()
    text = "\n".join(dump)
    assert "anonym-" in text
    assert raw not in rooms, "no direct chat is recorded for a forgotten person"
    for form in forms:
        assert form not in text, f"{form} is in a table"
        for name, data in files.items():
            at = data.find(form.encode())
            assert at < 0, f"{form} is in {name} at {at}: {data[max(0, at - 100):at + 100]!r}"
        assert form not in logs, f"{form} is in a log line written after glöm mig"
