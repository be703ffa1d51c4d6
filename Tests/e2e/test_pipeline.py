"""The idea pipeline (issue 3) against the real bot on a real Synapse: routing to the unit's guide, the
guide's inbox, claim, stage moves, replies both ways, the idea-giver's notices, and a refused employee."""

from __future__ import annotations

from conftest import run
from dialogs import ONE_LINER, has
from person import Person, together


def test_guide_follows_up_an_idea(server, make_skav):
    anna_user = server.fresh_user("anna")
    karin_user = server.fresh_user("karin")
    bertil_user = server.fresh_user("bertil")
    ia_user = server.fresh_user("ia")
    skav = make_skav(
        roles={
            "coordinators": [ia_user.user_id],
            "guides": [{"user": karin_user.user_id, "units": ["Socialtjänst"]}],
        }
    )

    async def scenario():
        anna = server.person(anna_user, watchdog=skav.ensure_alive)
        karin = server.person(karin_user, watchdog=skav.ensure_alive)
        bertil = server.person(bertil_user, watchdog=skav.ensure_alive)
        people = (anna, karin, bertil)
        async with together(*people):
            for p in people:
                await p.open_dm()

            # Anna sends an idea; it is routed to Karin, the guide of Socialtjänst.
            _greeting, draft = await anna.say(ONE_LINER, expect=2)
            assert "#1" in draft, draft
            (unit_q,) = await anna.say("klar", expect=1)
            assert has(unit_q, "Socialtjänst"), unit_q
            (thanks,) = await anna.say("1", expect=1)
            assert "#1" in thanks, thanks
            (new_idea,) = await karin.expect(1)
            assert "#1" in new_idea and has(new_idea, "Socialtjänst") and has(new_idea, "tolk"), new_idea

            # Bertil has no role: kind refusals, and nothing changes.
            _greeting_b, refused = await bertil.say("inkorg", expect=2)
            assert has(refused, "idéguider"), refused
            (refused,) = await bertil.say("status 1 bedöms", expect=1)
            assert has(refused, "idéguider"), refused
            (refused,) = await bertil.say("idé 1", expect=1)
            assert not has(refused, "tolk"), f"idea details leaked to someone without the role: {refused!r}"
            (refused,) = await bertil.say("svara 1 hej", expect=1)
            assert not has(refused, "tolk"), refused
            idea = skav.idea_show(1)
            assert idea["stage"] == "inkommen" and idea["guide"] is None, idea
            await anna.wait_quiet(1.0)
            await karin.wait_quiet(0.2)

            # Karin: inbox (oldest first, with age), claim, move, reply.
            _greeting_k, inbox = await karin.say("inkorg", expect=2)
            assert "#1" in inbox and has(inbox, "dagar") and has(inbox, "Inkorgen"), inbox
            (claimed,) = await karin.say("ta 1", expect=1)
            assert "#1" in claimed, claimed
            (notice,) = await anna.expect(1)
            assert "#1" in notice and has(notice, "idéguide"), notice

            (moved,) = await karin.say("status 1 bedöms Vi tittar på hur tolkbokningen går till", expect=1)
            assert has(moved, "Bedöms"), moved
            (notice,) = await anna.expect(1)
            assert has(notice, "Du sa") and has(notice, "bedöma") and has(notice, "tolkbokningen går till"), notice

            (not_allowed,) = await karin.say("status 1 realiserad", expect=1)
            assert has(not_allowed, "Utvecklas"), not_allowed
            await anna.wait_quiet(0.5)

            (relayed,) = await karin.say("svara 1 Vilka dagar är det värst?", expect=1)
            assert "#1" in relayed, relayed
            (notice,) = await anna.expect(1)
            assert has(notice, "Vilka dagar är det värst?") and has(notice, "svara 1"), notice

            # Anna answers back; it reaches Karin, the assigned guide.
            (sent,) = await anna.say("svara 1 Mest på måndagar", expect=1)
            assert "#1" in sent, sent
            (answer,) = await karin.expect(1)
            assert has(answer, "Mest på måndagar"), answer

            # The command line moves it too; the running bot tells Anna.
            res = skav.cli("ideas", "stage", "1", "utvecklas", "--by", karin_user.user_id)
            assert res.returncode == 0, res.stderr
            (notice,) = await anna.expect(1)
            assert has(notice, "Du sa") and has(notice, "utvecklar"), notice

            (praise,) = await karin.say("beröm 1 Riktigt bra fångat!", expect=1)
            (notice,) = await anna.expect(1)
            assert has(notice, "Riktigt bra fångat!"), notice

            (closing,) = await karin.say("status 1 avslutad", expect=1)
            assert has(closing, "lärde"), closing
            (closed,) = await karin.say("status 1 avslutad Vi bokar nu tolk via en gemensam pool", expect=1)
            (notice,) = await anna.expect(1)
            assert has(notice, "Tack") and has(notice, "gemensam pool"), notice

            for p in people:
                await p.wait_quiet(1.0)

            idea = skav.idea_show(1)
            assert idea["stage"] == "avslutad" and idea["guide"] == karin_user.user_id, idea
            kinds = [(e["kind"], e["to_stage"], e["actor"]) for e in idea["history"]]
            assert ("claimed", None, karin_user.user_id) in kinds, kinds
            assert [k[1] for k in kinds if k[0] == "stage"] == ["bedoms", "utvecklas", "avslutad"], kinds
            last = idea["history"][-1]
            assert last["from_stage"] == "utvecklas" and last["comment"] == "Vi bokar nu tolk via en gemensam pool"

    run(scenario(), timeout=240)
    skav.terminate()


def test_export_and_list_filters(server, make_skav, tmp_path):
    anna_user = server.fresh_user("anna")
    skav = make_skav()

    async def scenario():
        async with server.person(anna_user, watchdog=skav.ensure_alive) as anna:
            await anna.open_dm()
            await anna.say("Äldreomsorgens nycklar; hämtas på kontoret \"varje\" morgon.", expect=2)
            await anna.say("klar", expect=1)
            await anna.say("3", expect=1)  # Äldreomsorg
            await anna.wait_quiet(0.5)

    run(scenario(), timeout=120)
    out = tmp_path / "ideas.csv"
    res = skav.cli("ideas", "export", "--format", "csv", "--output", str(out))
    assert res.returncode == 0, res.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
    text = data[3:].decode("utf-8")
    rows = text.split("\r\n")
    assert rows[0].startswith("number;title;stage;unit"), rows[0]
    assert rows[1].startswith('1;"Äldreomsorgens nycklar; hämtas på kontoret ""varje"" morgon"'), rows[1]
    assert ";Äldreomsorg;" in rows[1]
    import csv
    import io

    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert parsed[1][3] == "Äldreomsorg" and parsed[1][2] == "inkommen"

    res = skav.cli("ideas", "export", "--format", "json")
    assert res.returncode == 0, res.stderr
    import json

    exported = json.loads(res.stdout)
    assert exported[0]["unit"] == "Äldreomsorg" and exported[0]["history"][-1]["to_stage"] == "inkommen"

    assert [i["number"] for i in json.loads(skav.cli("ideas", "list", "--json", "--stage", "inkommen").stdout)] == [1]
    assert json.loads(skav.cli("ideas", "list", "--json", "--stage", "bedöms").stdout) == []
    assert json.loads(skav.cli("ideas", "list", "--json", "--unit", "Skola").stdout) == []
    bad = skav.cli("ideas", "stage", "1", "testas", "--by", "@x:localhost")
    assert bad.returncode != 0 and "bedoms" in bad.stderr, bad.stderr
    skav.terminate()
