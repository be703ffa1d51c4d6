"""Personal data (DESIGN.md §6): masked before anything is stored, and the person is told."""

from __future__ import annotations

from conftest import run
from person import Person

PERSONNUMMER = "811218-9876"
PHONE = "070-123 45 67"


def test_personal_data_is_masked_before_it_is_stored(synapse, skav):
    anna_user = synapse.users["anna"]
    line = f"Brukaren {PERSONNUMMER} fick vänta två veckor på svar, ring {PHONE} så berättar jag mer."

    async def scenario():
        anna = Person(synapse, anna_user, watchdog=skav.ensure_alive)
        await anna.start()
        try:
            await anna.open_dm()
            replies = await anna.say(line, expect=3)  # notice, greeting, draft + question
            await anna.wait_quiet(1.0)
            return replies
        finally:
            await anna.close()

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
