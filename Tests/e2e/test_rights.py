"""Personal-data rights (SkavBot.docc/Privacy.md), on both servers: `mina data` arrives as one JSON file (a Matrix
m.file event with an mxc:// download; on Mattermost POST /files, then a post with file_ids), and `glöm mig` removes
the person's id from the bot's database."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from conftest import run
from dialogs import CAPTURE


def test_my_data_arrives_as_a_file_and_forget_me_removes_the_person(server, skav):
    user = server.fresh_user("anna")

    async def scenario():
        async with server.person(user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()
            for step in CAPTURE:
                await anna.say(step.text, expect=step.replies)
            await anna.send("mina data")
            for _ in range(300):
                if anna.files:
                    break
                await asyncio.sleep(0.05)
            assert len(anna.files) == 1, anna.files
            file = anna.files[0]
            if server.name == "matrix":
                assert file["msgtype"] == "m.file" and file["info"]["mimetype"] == "application/json"
                assert "JSON" in file["body"] and file["filename"].endswith(".json"), file
                document = json.loads(await anna.download(file["url"]))
            else:
                assert file["mime_type"] == "application/json" and file["name"].endswith(".json"), file
                document = json.loads(await anna.download(file["id"]))
            stored = document["stored"]
            assert stored["user"] == user.user_id
            assert [i["idea"]["number"] for i in stored["ideas"]] == [1]
            assert stored["ideas"][0]["idea"]["unit"] == "Socialtjänst"

            await anna.say("glöm mig", expect=1)
            await anna.say("ja, glöm mig", expect=1)
            await anna.wait_quiet(1.0)

    run(scenario(), timeout=180)
    idea = skav.idea_show(1)
    assert idea["author"].startswith("anonym-"), idea["author"]
    assert idea["stage"] == "inkommen", "a submitted idea is kept (it may be a public record)"
    skav.terminate()
    raw = b"".join(p.read_bytes() for p in skav.db_path.parent.glob("skav.sqlite*"))
    assert user.user_id.encode() not in raw, "the person's id is still in the database files"
    with sqlite3.connect(skav.db_path) as db:
        kept = db.execute("SELECT count(*) FROM outbox WHERE attachment IS NOT NULL").fetchone()[0]
    assert kept == 0, "a sent data export must not stay in the outbox"
    assert b"anonym-" in raw
