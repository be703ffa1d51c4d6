"""Nothing a person sends can stop Skav for everyone else.

Anna sends a list of hostile messages: addresses run together, numbers run into addresses, huge and odd
Unicode, unknown commands, and one message that makes the bot trap (a stand-in for a bug that input
reaches: SKAV_CRASHPOINT=trap-on-text:MARKER, kept on every restart as a real bug would be). A supervisor
restarts Skav whenever it exits, as systemd would. After each of Anna's messages Bertil writes and must be
answered within seconds. The trapping message takes the bot down twice, is then set aside, and Anna gets
one apology for it; everything else is answered, nothing is doubled.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import yaml

from conftest import run
from person import Person, together
from skav_process import SkavProcess

MARKER = "\u2620TRAP\u2620"
TRAP_SPEC = f"trap-on-text:{MARKER}"
PROMPTS = yaml.safe_load((Path(__file__).resolve().parents[2] / "prompts" / "sv.yaml").read_text())
APOLOGY = PROMPTS["bot"]["quarantined"]

HOSTILE = [
    "anna@kommun.se@x.se",
    "ring 0701234567anna@x.se eller skriv till 19121212-1212@x.se",
    "a@b.se+46701234567 och 0046701234567@x.se och 121212-1212a@b.se",
    "@@@@anna@@kommun..se@@",
    f"{MARKER} det här meddelandet får boten att krascha",
    "\u202e\u200b\u2066" + "اختبار" * 50 + "\u0301" * 2000,
    "/gör-något-konstigt ?! \x00\x07",
    "🧑‍🤝‍🧑" * 3000,
    "idé: " + "e\u0301" * 1500 + " 070-123 45 67@x.se",
    "Skrivaren på plan 3 går sönder varje vecka",
]


class RestartingSupervisor:
    """Starts the bot again whenever it has exited, with the same crash point (the bug is still there)."""

    def __init__(self, skav: SkavProcess, spec: str, max_restarts: int = 6):
        self.skav = skav
        self.spec = spec
        self.max_restarts = max_restarts
        self.exit_codes: list[int] = []

    def __call__(self) -> None:
        if self.skav.proc is not None and not self.skav.alive():
            self.exit_codes.append(self.skav.returncode)
            if len(self.exit_codes) > self.max_restarts:
                raise AssertionError(f"skav keeps dying: exit codes {self.exit_codes}\n{self.skav.logs()}")
            self.skav.start(crashpoint=self.spec)


def test_hostile_messages_never_stop_the_bot_for_others(server, make_skav):
    skav = make_skav("hostile", start=False)
    sup = RestartingSupervisor(skav, TRAP_SPEC)

    async def scenario():
        anna = server.person(server.fresh_user("anna"), watchdog=sup)
        bertil = server.person(server.fresh_user("bertil"), watchdog=sup)
        async with together(anna, bertil):
            await anna.open_dm()
            await bertil.open_dm()
            await bertil.say("Blanketterna skrivs ut och skannas in igen", expect=1, strict=False, timeout=20)
            await bertil.drain(1.0)
            bertil_latencies = []
            answered = []
            for text in HOSTILE:
                before = len(anna.transcript)
                await anna.send(text)
                # Anna is answered (the trapping message: with the apology, after two restarts).
                await anna._wait(lambda: len(anna.transcript) > before, 40, f"an answer to {text[:40]!r}")
                answered.append(text)
                await anna.drain(1.0)
                # Bertil is answered promptly after every one of Anna's messages.
                t0 = time.perf_counter()
                await bertil.say("utkast", expect=1, strict=False, timeout=20)
                bertil_latencies.append(time.perf_counter() - t0)
                await bertil.drain(0.3)
            await anna.drain(2.0)
            return anna.bodies(), bertil.bodies(), bertil_latencies

    skav.start(crashpoint=TRAP_SPEC)
    anna_bodies, bertil_bodies, latencies = run(scenario(), timeout=400)
    sup()

    # The trapping message took the bot down exactly twice, by a trap (SIGILL/SIGTRAP), never anything else.
    assert len(sup.exit_codes) == 2, f"expected two deaths, got exit codes {sup.exit_codes}\n{skav.logs()}"
    assert all(rc in (-signal.SIGILL, -signal.SIGTRAP) for rc in sup.exit_codes), sup.exit_codes
    # One apology, for the one message set aside.
    assert anna_bodies.count(APOLOGY) == 1, f"apologies: {anna_bodies.count(APOLOGY)}\n{anna_bodies}"
    assert max(latencies) < 20, latencies
    print(f"\nBertil's reply latency after each hostile message: {[round(x, 2) for x in latencies]} s")

    listing = skav.cli("quarantine", "list")
    assert listing.returncode == 0, listing.stderr
    if server.name == "matrix":
        assert "held" in listing.stdout and "$" in listing.stdout, listing.stdout
    else:  # Mattermost post ids are 26 letters and digits, no `$`
        assert "held" in listing.stdout and re.search(r"\b[a-z0-9]{26}\b", listing.stdout), listing.stdout
    assert MARKER not in listing.stdout, "the quarantine shows ids, never text"
    logs = skav.logs(limit=10**7)
    assert MARKER not in logs.replace(f"crashpoint={TRAP_SPEC}", ""), "the text never reaches a log line"
    assert "set aside" in logs
    doctor = skav.cli("doctor")
    assert "warn quarantine" in doctor.stdout, doctor.stdout
    # The ideas that were meant as ideas are stored, masked.
    ideas = skav.cli("ideas", "list", "--json", "--drafts")
    assert ideas.returncode == 0
    assert "anna@kommun.se" not in ideas.stdout and "0701234567" not in ideas.stdout
    skav.terminate()
