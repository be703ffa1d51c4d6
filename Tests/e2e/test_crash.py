"""Crash safety (SkavBot.docc/Durability.md, durability rule): whatever moment the bot dies, the person sees every
reply exactly once and the store ends up the same.

Each scenario runs the capture dialog with a fresh person, a fresh database and a fresh bot process on
the shared Synapse. The bot is SIGKILLed by its own crash points (SKAV_CRASHPOINT, honoured by the bot)
or by us right after the person sent a message; a Supervisor restarts it without a crash point, and
the dialog simply goes on. The transcript (bot message bodies, in order) and the stored idea must equal
those of the uninterrupted run.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from dataclasses import dataclass, field

import pytest

from conftest import run
from dialogs import CAPTURE, EXPECTED_IDEA_1, STABLE_FIELDS, check_idea
from figures import FIGURES
from person import Person
from skav_process import SkavProcess, Supervisor

SENDS = sum(s.replies for s in CAPTURE)  # 7 bot messages in the dialog
BATCHES = len(CAPTURE)  # 6 incoming batches that produce replies


@dataclass(frozen=True)
class Scenario:
    name: str
    crashpoint: str | None = None
    # step index → delay (s) before we SIGKILL; index 0 = right after createRoom/invite,
    # index i ≥ 1 = right after the person's i-th message was accepted by the server.
    kill_after: dict = field(default_factory=dict)

    @property
    def expected_kills(self) -> int | None:
        return None if self.crashpoint else len(self.kill_after)


DELAYS = [0.0, 0.005, 0.02, 0.05]
SCENARIOS = (
    [Scenario(f"after-commit:{k}", crashpoint=f"after-commit:{k}") for k in range(1, BATCHES + 1)]
    + [Scenario(f"after-send:{k}", crashpoint=f"after-send:{k}") for k in (1, 2, 3, 5, SENDS)]
    + [Scenario(f"after-recorded:{k}", crashpoint=f"after-recorded:{k}") for k in (1, 2)]
    + [Scenario(f"kill-after-step-{i}", kill_after={i: DELAYS[i % len(DELAYS)]}) for i in range(0, BATCHES + 1)]
    + [Scenario("after-commit:2+kill-after-step-4", crashpoint="after-commit:2", kill_after={4: 0.01})]
)

_reference: dict = {}


@dataclass
class Outcome:
    transcript: list[str]
    idea: dict
    kills: int
    exit_codes: list[int]
    latencies_ms: list[float]


def normalise(text, user_id: str):
    """The person differs per scenario; their id/name must not make transcripts differ."""
    if isinstance(text, str):
        localpart = user_id[1:].split(":")[0]
        return text.replace(user_id, "@PERSON").replace(localpart, "PERSON")
    return text


def play(server, skav: SkavProcess, scenario: Scenario) -> Outcome:
    user = server.fresh_user("crash")
    sup = Supervisor(skav)

    async def kill_later(delay: float):
        if delay:
            await asyncio.sleep(delay)
        skav.kill()  # the supervisor (the person's watchdog) restarts it

    async def dialog():
        async with server.person(user, watchdog=sup, display_name="Anna Andersson") as person:
            await person.open_dm(wait_join=False)
            if 0 in scenario.kill_after:
                await kill_later(scenario.kill_after[0])
            await person.wait_joined(skav.bot.user_id)
            for i, step in enumerate(CAPTURE, start=1):
                hook = (lambda d=scenario.kill_after[i]: kill_later(d)) if i in scenario.kill_after else None
                await person.say(step.text, expect=step.replies, strict=False, after_send=hook)
            await person.drain(1.5)  # late duplicates (and late crash points) show up here
            return [normalise(b, user.user_id) for b in person.bodies()], person.latencies_ms

    skav.start(crashpoint=scenario.crashpoint)
    transcript, latencies = run(dialog(), timeout=240)
    sup()  # a crash at the very end still counts (and gets restarted)
    idea = skav.idea_show(1)
    skav.terminate()
    stable = {k: normalise(idea.get(k), user.user_id) for k in STABLE_FIELDS}
    check_idea(idea, EXPECTED_IDEA_1, user.user_id)
    return Outcome(transcript, stable, sup.kills, sup.exit_codes, latencies)


def reference(server, make_skav) -> Outcome:
    if server.name not in _reference:  # one uninterrupted run per chat server
        out = play(server, make_skav("reference", start=False), Scenario("uninterrupted"))
        assert out.kills == 0, f"the uninterrupted run died {out.kills} times: {out.exit_codes}"
        assert len(out.transcript) == SENDS, f"uninterrupted run: expected {SENDS} bot messages, got {out.transcript}"
        FIGURES["latencies_ms"].extend(out.latencies_ms)
        _reference[server.name] = out
    return _reference[server.name]


def test_uninterrupted_reference(server, make_skav):
    ref = reference(server, make_skav)
    print("reference transcript:", *ref.transcript, sep="\n  ")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_crash_scenario(server, make_skav, scenario: Scenario):
    ref = reference(server, make_skav)
    try:
        out = play(server, make_skav(scenario.name.replace(":", "-"), start=False), scenario)
    except BaseException:
        FIGURES["crash"].append({"scenario": scenario.name, "failed": True, "identical": False})
        raise

    got, want = Counter(out.transcript), Counter(ref.transcript)
    lost = sum((want - got).values())
    doubled = sum((got - want).values())
    identical = out.transcript == ref.transcript and out.idea == ref.idea
    FIGURES["crash"].append(
        {"scenario": scenario.name, "kills": out.kills, "lost": lost, "doubled": doubled, "identical": identical}
    )
    print(f"{scenario.name}: kills {out.kills}, lost {lost}, doubled {doubled}, identical {identical}")

    assert all(rc == -signal.SIGKILL for rc in out.exit_codes), (
        f"the bot died other than by SIGKILL: exit codes {out.exit_codes}"
    )
    if scenario.expected_kills is None:
        assert out.kills >= 1, f"SKAV_CRASHPOINT={scenario.crashpoint} never fired (does the bot honour it?)"
    else:
        assert out.kills == scenario.expected_kills, f"kills: {out.kills}, expected {scenario.expected_kills}"
    assert lost == 0 and doubled == 0 and out.transcript == ref.transcript, (
        f"transcript differs from the uninterrupted run (lost {lost}, doubled {doubled}):\n"
        f"  want: {ref.transcript}\n  got:  {out.transcript}"
    )
    assert out.idea == ref.idea, f"stored idea differs:\n  want: {ref.idea}\n  got:  {out.idea}"
