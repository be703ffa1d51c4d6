"""Chaos: many people capture ideas at once while the bot is SIGKILLed at random moments and restarted
(as a service manager would). Afterwards every conversation must be complete, with exactly the replies of
an uninterrupted run: zero lost, zero doubled.

    SKAV_CHAOS_CONVERSATIONS=200 python -m pytest Tests/e2e/test_chaos.py -s    # the nightly-size run
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import random
import re
import time
from collections import Counter

import yaml

from conftest import run
from dialogs import CAPTURE
from figures import FIGURES
from person import Person
from skav_process import Supervisor

CONVERSATIONS = int(os.environ.get("SKAV_CHAOS_CONVERSATIONS", "30"))
CONCURRENCY = int(os.environ.get("SKAV_CHAOS_CONCURRENCY", "6"))
SEED = int(os.environ.get("SKAV_CHAOS_SEED", str(int(time.time()))))
NUMBER = re.compile(r"#\d+")
PROMPTS = Path(__file__).resolve().parents[2] / "prompts" / "sv.yaml"
# The thanks on submit is chosen from variants by the idea's number (SkavBot.docc/Conversation.md): any variant is right.
THANKS = [
    re.sub(r"[*`]", "", variant).replace("{number}", "N")
    for variant in yaml.safe_load(PROMPTS.read_text(encoding="utf-8"))["submit"]["thanks"]
]
# Everyone sends the same idea, so all but the first are told about earlier similar ideas (which ones
# depends on who came first): the paragraph is cut from the thanks.
SIMILAR = yaml.safe_load(PROMPTS.read_text(encoding="utf-8"))["pipeline"]["similar_title"]
# Other people's similar ideas are only counted (issue 11.8): that paragraph is cut too.
SIMILAR_HIDDEN = yaml.safe_load(PROMPTS.read_text(encoding="utf-8"))["pipeline"]["similar_hidden"].split("{count}")[0]


def normalise(bodies: list[str]) -> list[str]:
    """Idea numbers depend on who came first, and so does the thanks variant; all else must be identical."""
    result = []
    for body in bodies:
        for marker in (SIMILAR, SIMILAR_HIDDEN):
            if marker in body:
                body = body[: body.index(marker)].rstrip()
        body = NUMBER.sub("#N", body)
        for variant in THANKS:
            if body.startswith(variant):
                body = "<thanks>" + body[len(variant):]
                break
        result.append(body)
    return result


async def converse(server, supervisor: Supervisor, index: int) -> list[str]:
    async with server.person(server.fresh_user(f"chaos{index}"), watchdog=supervisor) as person:
        await person.open_dm()
        for step in CAPTURE:
            await person.say(step.text, expect=step.replies, strict=False, timeout=60)
        await person.drain(2.0)
        return person.bodies()


def test_random_kills_lose_and_double_nothing(server, make_skav):
    # The reference: one uninterrupted conversation.
    clean = make_skav("chaos-reference")
    reference = normalise(run(converse(server, Supervisor(clean), -1), timeout=120))
    clean.terminate()

    bot = make_skav("chaos")
    supervisor = Supervisor(bot, max_restarts=10_000)
    chance = random.Random(SEED)
    kills = 0

    async def killer(done: asyncio.Event) -> None:
        nonlocal kills
        while not done.is_set():
            await asyncio.sleep(chance.uniform(0.2, 2.5))
            if not done.is_set() and bot.alive():
                bot.kill()
                kills += 1
            supervisor()  # restart at once, as systemd would

    async def chaos() -> list[list[str]]:
        gate = asyncio.Semaphore(CONCURRENCY)
        done = asyncio.Event()

        async def one(index: int) -> list[str]:
            async with gate:
                return await converse(server, supervisor, index)

        killing = asyncio.create_task(killer(done))
        try:
            return await asyncio.gather(*(one(i) for i in range(CONVERSATIONS)))
        finally:
            done.set()
            await killing

    started = time.monotonic()
    transcripts = run(chaos(), timeout=60 + 12 * CONVERSATIONS)
    seconds = time.monotonic() - started
    supervisor()

    lost = doubled = complete = 0
    want = Counter(reference)
    for transcript in transcripts:
        got = Counter(normalise(transcript))
        if got != want:
            print("differs:", {"missing": list((want - got).elements()), "extra": list((got - want).elements())})
        lost += sum((want - got).values())
        doubled += sum((got - want).values())
        complete += normalise(transcript) == reference
    ideas = bot.ideas_list()
    FIGURES["chaos"] = {
        "conversations": CONVERSATIONS, "concurrency": CONCURRENCY, "seed": SEED, "kills": kills,
        "complete": complete, "lost": lost, "doubled": doubled, "seconds": seconds,
    }
    print(f"\nchaos: {FIGURES['chaos']}")
    assert kills > 0, "the bot was never killed: no chaos happened"
    assert (lost, doubled) == (0, 0), f"lost {lost}, doubled {doubled} (seed {SEED})"
    assert complete == CONVERSATIONS
    assert len(ideas) == CONVERSATIONS and all(i["stage"] == "inkommen" for i in ideas)
    assert sorted(i["number"] for i in ideas) == list(range(1, CONVERSATIONS + 1)), "idea numbers have gaps"
    assert bot.terminate() == 0
