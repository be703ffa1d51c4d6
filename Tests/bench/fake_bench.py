"""Benchmark of the real bot against the fake homeserver (`fake_homeserver.py`). Prints figures; asserts nothing.

    bash Tests/bench.sh --fake [--people 200 --followers 2000 --latency-ms 20 --parallel-sends 4]

Scenarios (each with a fresh fake server, database and `skav run` process):

- `people`: N people, each with a direct chat the bot has already joined, run the capture dialog over and
  over (a person writes, waits for the bot's answer, thinks `--think-ms`, writes the next step) for
  `--duration` seconds. Printed: replies/s, CPU µs of the skav process per message handled (utime + stime
  from /proc/<pid>/stat), p50/p99 reply latency, peak RSS (VmHWM) and the peak of its private part
  (RssAnon: the heap and stacks, without the shared libraries' pages); first the bot's CPU while nobody
  writes (idle, per second). Then all N write `hjälp` at the same moment (the burst), `--bursts` times:
  the time until all are answered, replies/s (the bot's capacity), the CPU per message over all bursts
  (several, so the kernel's 10 ms CPU ticks do not dominate the figure) and the latencies.
- `announce`: F followers have written `utmaningar på`; then the same N people talk for `--duration`
  seconds (the baseline), and then a coordinator opens an idea challenge (`utmaning ny Titel | Fråga |
  date`) while they go on talking; `--announcements K` opens K challenges one after the other, so that the
  p99 during them is not just the slowest of a few dozen replies. Printed: time from the coordinator's
  message to the last follower's DM (for each), and the p50/p99 of the people's replies during the
  announcements against the baseline.
- `ratelimit`: the people talk; one person's room answers every send with 429 (`Retry-After: 30`) for 30 s.
  Printed: every other person's p50/p99 during those 30 s, and that person's own latency.

After the `people` scenario: where the bot's resident memory is (from /proc/<pid>/smaps after the bursts:
the binary, the Swift runtime and Foundation, libcurl with the libraries it loads, SQLite, the C and C++
runtimes, private memory), and the floor: the peak RSS of `rss_floor.swift`, a program that only loads and
sets up the libraries the bot cannot run without (Foundation with a time zone, libcurl, SQLite in WAL), built
as the toolchain builds (the Swift libraries shared) and with them linked in (`-static-stdlib`).

aiohttp comes with matrix-nio in the test venv (Tests/e2e/requirements.txt).

Reply latency: from the moment a `/sync` answer first carried the person's message to the bot to the
moment the fake server stored the bot's first message in that room after it (the send's latency included).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "e2e"))

from fake_homeserver import FakeHomeserver  # noqa: E402
from skav_process import SkavProcess, read_status_kib, read_vm_hwm_kib  # noqa: E402

# The capture dialog (Tests/e2e/dialogs.py), then the same again for every further idea.
FIRST_IDEA = [
    "Det tar för lång tid att boka tolk till hembesök, vi väntar ofta en vecka.",
    "1",
    "hoppa",
    "1",
    "skicka",
    "1",
]
MORE_IDEAS = [
    "Vi skriver samma uppgifter i tre olika system när en brukare flyttar.",
    "2",
    "vet ej",
    "hoppa",
    "skicka",
]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def cpu_split(pid: int) -> tuple[float, float]:
    """The process's user and system CPU seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command: state is field 3; utime and stime are fields 14 and 15.
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def resident_by_part(pid: int) -> list[tuple[str, int]]:
    """The process's resident KiB by part, largest first, from /proc/<pid>/smaps: private memory (the heap,
    stacks, relocated data of every library), then the file pages resident of the binary, the Swift runtime
    and Foundation, libcurl and the libraries it loads, SQLite, and the C and C++ runtimes."""
    binary = os.path.realpath(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    parts: dict[str, int] = {}
    name = ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if not fields:
                continue
            if not fields[0].endswith(":"):  # a mapping's first line: range, perms, offset, dev, inode[, path]
                path = " ".join(fields[5:]).removesuffix(" (deleted)") if len(fields) > 5 else ""
                base = os.path.basename(path)
                if path == binary:
                    name = "the skav binary"
                elif "/swift/" in path:
                    name = "Swift runtime and Foundation (with ICU)"
                elif base.startswith("libsqlite3"):
                    name = "SQLite"
                elif base.startswith(("libc.so", "libm.so", "libstdc++", "libgcc_s", "ld-linux")):
                    name = "C and C++ runtimes"
                elif base.startswith(("libpthread", "libdl.", "librt.", "libnss", "libresolv")):
                    name = "C and C++ runtimes"
                elif path.startswith("/") and ".so" in base:
                    name = "libcurl and the libraries it loads"
                elif path.startswith("/"):
                    name = "other files (the database's shared memory, locales)"
                else:
                    name = "other"
            elif fields[0] == "Rss:":
                parts[name] = parts.get(name, 0) + int(fields[1])
            elif fields[0] == "Anonymous:":  # private pages count as private, whatever they map
                parts[name] = parts.get(name, 0) - int(fields[1])
                parts["private (RssAnon)"] = parts.get("private (RssAnon)", 0) + int(fields[1])
    return sorted(((k, v) for k, v in parts.items() if v >= 100), key=lambda kv: -kv[1])


def rss_floor_kib(work: Path, static: bool = False) -> int | None:
    """The peak RSS (KiB) of `rss_floor.swift` (built here with `swiftc -O`, with `-static-stdlib` when
    `static`: the Swift libraries linked in), or None when it cannot run."""
    import subprocess

    binary = work / ("rss_floor_static" if static else "rss_floor")
    try:
        if not binary.exists():
            subprocess.run(["swiftc", "-O", *(["-static-stdlib"] if static else []), str(HERE / "rss_floor.swift"),
                            "-o", str(binary)], check=True, capture_output=True, timeout=300)
        out = subprocess.run([str(binary)], check=True, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as error:
        print(f"[people] floor: rss_floor.swift did not run ({error})")
        return None
    for word, value in zip(out.split(), out.split()[1:]):
        if word == "VmHWM" and value.isdigit():
            return int(value)
    return None


@dataclass
class Reply:
    person: str
    visible: float  # the /sync answer carried the message
    answered: float  # the bot's first message after it was stored


@dataclass
class Person:
    user: str
    room: str
    replies: list[Reply] = field(default_factory=list)
    step: int = 0

    def next_text(self) -> str:
        script = FIRST_IDEA if self.step < len(FIRST_IDEA) else MORE_IDEAS
        index = self.step if self.step < len(FIRST_IDEA) else (self.step - len(FIRST_IDEA)) % len(MORE_IDEAS)
        self.step += 1
        return script[index]


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, name: str):
        self.args = args
        self.work = work / name
        self.name = name
        self.hs = FakeHomeserver(send_latency=args.latency_ms / 1000)
        self.people: list[Person] = []
        self.followers: list[Person] = []
        self.coordinator: Person | None = None
        self.bot: SkavProcess | None = None

    async def start(self, people: int, followers: int = 0, coordinator: bool = False) -> None:
        await self.hs.start()
        bot = self.hs.add_user("skav", password="bench-password")
        self.hs.set_bot(bot)
        for i in range(people):
            user = self.hs.add_user(f"p{i}")
            self.people.append(Person(user, self.hs.create_dm(user, bot)))
        for i in range(followers):
            user = self.hs.add_user(f"f{i}")
            self.followers.append(Person(user, self.hs.create_dm(user, bot)))
        overrides: dict = {}
        if coordinator:
            user = self.hs.add_user("innovation")
            self.coordinator = Person(user, self.hs.create_dm(user, bot))
            overrides["roles"] = {"coordinators": [user]}
        if self.args.parallel_sends is not None:
            overrides["limits"] = {"parallel_sends": self.args.parallel_sends}

        class _HS:
            url = self.hs.url

        class _User:
            user_id = bot
            password = "bench-password"

        self.bot = SkavProcess(_HS(), self.work, _User(), config_overrides=overrides)  # type: ignore[arg-type]
        self.bot.config["matrix"]["allowed_domains"] = [self.hs.server_name]
        import yaml

        self.bot.config_path.write_text(yaml.safe_dump(self.bot.config, allow_unicode=True, sort_keys=False))
        self.bot.start()
        # Ready once the first sync (the cursor) is taken and a long poll waits.
        deadline = time.monotonic() + 120
        while self.hs.requests.get("GET /_matrix/client/{v}/sync", 0) < 2:
            self.bot.ensure_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"skav did not start syncing\n{self.bot.logs()}")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.bot:
            self.bot.stop()
        await self.hs.stop()

    async def say(self, person: Person, text: str, timeout: float = 120.0) -> Reply | None:
        """The person writes; returns the reply's timing (None when none came within `timeout`)."""
        room = self.hs.rooms[person.room]
        before = room.bot_messages
        event = self.hs.post(person.room, person.user, text)
        if not await self.hs.wait_bot_messages(person.room, before + 1, timeout):
            return None
        first = None
        for e in reversed(room.events):
            if e.pos <= event.pos:
                break
            if e.data["sender"] == self.hs.bot and e.data["type"] == "m.room.message":
                first = e
        reply = Reply(person.user, event.visible_at or event.ts, first.ts)
        person.replies.append(reply)
        return reply

    async def quiet(self, person: Person, seconds: float = 1.0) -> None:
        """Waits until the bot has written nothing more to the person for `seconds` (trailing messages)."""
        room = self.hs.rooms[person.room]
        while True:
            seen = room.bot_messages
            await asyncio.sleep(seconds)
            if room.bot_messages == seen:
                return

    async def talk(self, people: list[Person], until: float | list[float], record: list[Reply]) -> None:
        """Each person runs the capture dialog until `until` (a time, or a one-element list whose time may be
        moved earlier): write, await the answer, think, repeat. A message written before then is waited for."""
        think = self.args.think_ms / 1000
        deadline = until if isinstance(until, list) else [until]

        async def one(person: Person) -> None:
            await asyncio.sleep(random.uniform(0, think))
            while time.monotonic() < deadline[0]:
                reply = await self.say(person, person.next_text())
                if reply is not None:
                    record.append(reply)
                # Trailing messages of the same answer (a greeting, then the question) land while thinking.
                await asyncio.sleep(min(think * random.uniform(0.5, 1.5), max(0.0, deadline[0] - time.monotonic())))

        await asyncio.gather(*(one(p) for p in people))

    def figures_line(self, label: str, replies: list[Reply]) -> str:
        latencies = [(r.answered - r.visible) * 1000 for r in replies]
        return (f"{label}: p50 {percentile(latencies, 0.5):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
                f"max {max(latencies, default=float('nan')):.0f} ms (n={len(latencies)})")


async def sample_rss_anon(pid: int, peak: list[int]) -> None:
    """Keeps `peak[0]` at the largest RssAnon seen, sampling every 50 ms until cancelled."""
    while True:
        value = read_status_kib(pid, "RssAnon")
        if value is not None:
            peak[0] = max(peak[0], value)
        await asyncio.sleep(0.05)


async def scenario_people(args: argparse.Namespace, work: Path) -> None:
    bench = Bench(args, work, "people")
    await bench.start(args.people)
    anon_peak = [0]
    sampler = asyncio.create_task(sample_rss_anon(bench.bot.pid, anon_peak))
    hwm = None
    try:
        pid = bench.bot.pid
        idle0, idle_t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(3)
        idle1, idle_t1 = cpu_seconds(pid), time.monotonic()
        print(f"[people] idle (nobody writes, {args.people} rooms): "
              f"{(idle1 - idle0) / (idle_t1 - idle_t0) * 1000:.0f} ms CPU per second")
        replies: list[Reply] = []
        cpu0, t0, own0 = cpu_seconds(pid), time.monotonic(), sum(os.times()[:2])
        await bench.talk(bench.people, t0 + args.duration, replies)
        cpu1, t1, own1 = cpu_seconds(pid), time.monotonic(), sum(os.times()[:2])
        hwm = read_vm_hwm_kib(pid)
        print(f"[people] {args.people} people, think {args.think_ms} ms, send latency {args.latency_ms} ms, "
              f"parallel_sends {args.parallel_sends or 'default'}, {t1 - t0:.1f} s")
        print(f"[people] replies/s: {len(replies) / (t1 - t0):.1f} ({len(replies)} messages answered)")
        print(f"[people] CPU per message: {(cpu1 - cpu0) / max(1, len(replies)) * 1e6:.0f} µs "
              f"({cpu1 - cpu0:.2f} s CPU of skav)")
        print("[people] " + bench.figures_line("reply latency", replies))
        print(f"[people] peak RSS (VmHWM): {hwm / 1024:.1f} MiB, of which private (RssAnon) at most "
              f"{anon_peak[0] / 1024:.1f} MiB" if hwm else "[people] peak RSS: unavailable")
        # A Monday morning: every person writes at the same moment (after the last answers have landed).
        burst: list[Reply] = []
        spans: list[float] = []
        cpu_burst = 0.0
        user_burst = 0.0
        for _ in range(max(1, args.bursts)):
            await asyncio.gather(*(bench.quiet(p, 0.5) for p in bench.people[:20]))
            one: list[Reply] = []
            user2, system2 = cpu_split(pid)
            for reply in await asyncio.gather(*(bench.say(p, "hjälp") for p in bench.people)):
                if reply is not None:
                    one.append(reply)
            user3, system3 = cpu_split(pid)
            cpu_burst += (user3 - user2) + (system3 - system2)
            user_burst += user3 - user2
            if one:
                spans.append(max(r.answered for r in one) - min(r.visible for r in one))
            burst += one
        if burst:
            span = sorted(spans)[len(spans) // 2]
            print(f"[people] burst: {args.people} people write at once ({len(spans)} times): all answered in "
                  f"{span:.2f} s (median; {args.people / max(span, 1e-9):.1f} replies/s), "
                  f"{cpu_burst / len(burst) * 1e6:.0f} µs CPU per message over {len(burst)} messages "
                  f"({user_burst / len(burst) * 1e6:.0f} user, {(cpu_burst - user_burst) / len(burst) * 1e6:.0f} system)")
            print("[people] " + bench.figures_line("burst reply latency", burst))
        hwm = read_vm_hwm_kib(pid)
        print(f"[people] peak RSS after the bursts (VmHWM): {hwm / 1024:.1f} MiB, of which private (RssAnon) at "
              f"most {anon_peak[0] / 1024:.1f} MiB" if hwm else "")
        if hwm:
            parts = resident_by_part(pid)
            print("[people] resident after the bursts (smaps), by part: "
                  + "; ".join(f"{k} {v / 1024:.1f} MiB" for k, v in parts))
        print(f"[people] sends: {len(bench.hs.sends)}, syncs: {bench.hs.requests.get('GET /_matrix/client/{v}/sync', 0)}; "
              f"CPU of the fake server and the people (Python): {own1 - own0:.2f} s")
    finally:
        sampler.cancel()
        await bench.stop()
    # The floor, once the bot and the fake server are gone (building it takes a while, and a blocking call
    # inside the scenario would stall the fake server the bot polls).
    floor = await asyncio.to_thread(rss_floor_kib, work)
    static_floor = await asyncio.to_thread(rss_floor_kib, work, True)
    if floor:
        print(f"[people] floor: a program that only loads and sets up Foundation (with a time zone), libcurl and "
              f"SQLite peaks at {floor / 1024:.1f} MiB with the Swift libraries shared"
              + (f", {static_floor / 1024:.1f} MiB with them linked in (-static-stdlib)" if static_floor else "")
              + (f"; the bot at {hwm / 1024:.1f} MiB" if hwm else ""))


async def scenario_announce(args: argparse.Namespace, work: Path) -> None:
    bench = Bench(args, work, "announce")
    await bench.start(args.people, followers=args.followers, coordinator=True)
    try:
        pid = bench.bot.pid
        # The followers choose `utmaningar på` (a few hundred a second), and the coordinator says hello.
        t_setup = time.monotonic()
        gate = asyncio.Semaphore(200)

        async def follow(person: Person) -> None:
            async with gate:
                await bench.say(person, "utmaningar på", timeout=600)

        await asyncio.gather(*(follow(f) for f in bench.followers), bench.say(bench.coordinator, "hjälp"))
        await asyncio.gather(*(bench.quiet(f, 0.5) for f in bench.followers[:20]), bench.quiet(bench.coordinator))
        setup = time.monotonic() - t_setup
        answered = sum(1 for f in bench.followers if f.replies)
        print(f"[announce] set-up: {answered} of {len(bench.followers)} followers chose `utmaningar på` "
              f"in {setup:.1f} s")
        baseline: list[Reply] = []
        t0 = time.monotonic()
        await bench.talk(bench.people, t0 + args.duration, baseline)
        # The announcements, one after the other, while the people go on talking.
        window: list[Reply] = []
        follower_rooms = {f.room for f in bench.followers}
        spans: list[float] = []
        reached_all = True
        cpu_total = 0.0
        date = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        for number in range(1, max(1, args.announcements) + 1):
            during: list[Reply] = []
            done = asyncio.Event()
            last_dm = [0.0]
            counts = {f.room: bench.hs.rooms[f.room].bot_messages for f in bench.followers}

            async def watch(t_start: float) -> None:
                while True:
                    got = [bench.hs.rooms[r].bot_messages > counts[r] for r in follower_rooms]
                    if all(got) or time.monotonic() - t_start > args.announce_timeout:
                        last = 0.0
                        for r in follower_rooms:
                            room = bench.hs.rooms[r]
                            if room.bot_messages > counts[r]:
                                last = max(last, next(e.ts for e in reversed(room.events) if e.data["sender"] == bench.hs.bot))
                        # Not all reached: the window ends when the wait gave up.
                        last_dm[0] = last if all(got) else time.monotonic()
                        done.set()
                        return
                    await asyncio.sleep(0.05)

            cpu0 = cpu_seconds(pid)
            t1 = time.monotonic()
            ann = bench.hs.post(bench.coordinator.room, bench.coordinator.user,
                                f"utmaning ny Bench {number} | Vad skaver? | {date}")
            stop_talking = [t1 + 3600]
            talking = asyncio.create_task(bench.talk(bench.people, stop_talking, during))
            watcher = asyncio.create_task(watch(t1))
            await done.wait()
            # No new messages; those already written are waited for (their answer may come after the last DM).
            # Replies to messages visible before the last DM count.
            stop_talking[0] = 0.0
            await talking
            await watcher
            cpu_total += cpu_seconds(pid) - cpu0
            visible = ann.visible_at or ann.ts
            reached = sum(1 for r in follower_rooms if bench.hs.rooms[r].bot_messages > counts[r])
            reached_all = reached_all and reached == args.followers
            window += [r for r in during if r.visible <= last_dm[0]]
            spans.append(last_dm[0] - visible)
            if reached != args.followers:
                print(f"[announce] announcement {number}: only {reached} of {args.followers} followers reached when "
                      f"the wait gave up (--announce-timeout)")
            # The coordinator's answer and the last DMs land before the next one.
            await bench.quiet(bench.coordinator, 0.5)
        hwm = read_vm_hwm_kib(pid)
        print(f"[announce] {args.followers} followers, {args.people} people talking (think {args.think_ms} ms), "
              f"send latency {args.latency_ms} ms, parallel_sends {args.parallel_sends or 'default'}, "
              f"{len(spans)} announcement(s)")
        if reached_all:
            times = ", ".join(f"{span:.1f}" for span in spans)
            print(f"[announce] time to the last DM: {times} s "
                  f"({args.followers / max(1e-9, max(spans)):.0f} DMs/s at the slowest)")
        else:
            print("[announce] time to the last DM: not every follower was reached (see above)")
        sample = next((s.body for s in reversed(bench.hs.sends) if s.room == bench.followers[-1].room), "")
        print(f"[announce] a follower's DM: {sample[:70]!r}")
        print("[announce] " + bench.figures_line("replies without the announcement", baseline))
        print("[announce] " + bench.figures_line("replies during the announcement", window))
        print(f"[announce] CPU of skav during the announcement(s): {cpu_total:.2f} s; peak RSS (VmHWM): "
              f"{hwm / 1024:.1f} MiB" if hwm else "")
    finally:
        await bench.stop()


async def scenario_ratelimit(args: argparse.Namespace, work: Path) -> None:
    bench = Bench(args, work, "ratelimit")
    await bench.start(args.people)
    try:
        limited, others = bench.people[0], bench.people[1:]
        warm: list[Reply] = []
        t0 = time.monotonic()
        await bench.talk(bench.people, t0 + min(5.0, args.duration), warm)
        bench.hs.limit_room(limited.room, args.limit_seconds)
        t1 = time.monotonic()
        during: list[Reply] = []
        own = asyncio.create_task(bench.say(limited, limited.next_text(), timeout=args.limit_seconds + 120))
        await bench.talk(others, t1 + args.limit_seconds, during)
        reply = await own
        t2 = time.monotonic()
        window = [r for r in during if r.visible <= t2]
        refused = sum(1 for s in bench.hs.sends if s.status == 429)
        print(f"[ratelimit] {args.people} people, one room answers 429 (Retry-After {args.limit_seconds:.0f}) "
              f"for {args.limit_seconds:.0f} s; send latency {args.latency_ms} ms")
        print("[ratelimit] " + bench.figures_line("every other person's replies meanwhile", window))
        print(f"[ratelimit] the limited person's reply: "
              + (f"{(reply.answered - reply.visible):.1f} s" if reply else "none")
              + f"; 429 answers: {refused}")
    finally:
        await bench.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=20.0, help="the fake server's latency per send")
    parser.add_argument("--parallel-sends", type=int, default=None,
                        help="limits.parallel_sends (default: not set, the bot's default)")
    parser.add_argument("--think-ms", type=float, default=5000.0, help="a person's pause between messages")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of talk per measured phase")
    parser.add_argument("--bursts", type=int, default=5, help="how many times everyone writes `hjälp` at once")
    parser.add_argument("--limit-seconds", type=float, default=30.0)
    parser.add_argument("--announcements", type=int, default=1,
                        help="challenges opened one after the other (more replies measured during them)")
    parser.add_argument("--announce-timeout", type=float, default=600.0,
                        help="stop waiting for the last DM after this many seconds (the figure says how many were reached)")
    parser.add_argument("--scenario", action="append", choices=["people", "announce", "ratelimit"],
                        help="run only these (repeatable; default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (databases, logs)")
    args = parser.parse_args()
    scenarios = args.scenario or ["people", "announce", "ratelimit"]
    work = Path(tempfile.mkdtemp(prefix="skav-fake-bench-"))
    binary = os.environ.get("SKAV_BIN", "")
    print(f"skav fake-homeserver bench: binary {binary or '(default)'}")
    try:
        for name in scenarios:
            runner = {"people": scenario_people, "announce": scenario_announce, "ratelimit": scenario_ratelimit}[name]
            asyncio.run(runner(args, work))
    finally:
        if args.keep:
            print(f"work folder: {work}")
        else:
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
