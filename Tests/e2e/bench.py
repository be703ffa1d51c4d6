"""Benchmark: reply latency and memory of the real bot on a local Synapse. Prints figures; asserts nothing.

    bash Tests/bench.sh                     # release build, 30 people, 5 at a time
    python Tests/e2e/bench.py --people 60 --concurrency 10

Each person opens a direct chat with the bot and runs the whole capture dialog (one-liner, three answers,
submit, unit). Reply latency is measured from just before the person's send to the moment their own sync
delivers the bot's first reply, so it includes the client's send and sync round trips. Peak RSS is the bot
process's VmHWM at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dialogs import CAPTURE  # noqa: E402
from person import Person  # noqa: E402
from skav_process import SkavProcess, read_vm_hwm_kib  # noqa: E402
from synapse_harness import Synapse  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def one_person(hs: Synapse, bot: SkavProcess, index: int) -> list[float]:
    person = Person(hs, hs.fresh_user(f"bench{index}"), watchdog=bot.ensure_alive)
    await person.start()
    try:
        await person.open_dm()
        for step in CAPTURE:
            await person.say(step.text, expect=step.replies)
        return list(person.latencies_ms)
    finally:
        await person.close()


async def run(people: int, concurrency: int, hs: Synapse, bot: SkavProcess) -> tuple[list[float], float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def guarded(index: int) -> None:
        async with gate:
            latencies.extend(await one_person(hs, bot, index))

    started = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(people)))
    return latencies, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="skav-bench-") as tmp:
        work = Path(tmp)
        with Synapse.start(work / "synapse") as hs:
            bot_user = hs.register("skav", "skav-bench-password")
            bot = SkavProcess(hs, work / "bot", bot_user)
            bot.start()
            try:
                latencies, wall = asyncio.run(run(args.people, args.concurrency, hs, bot))
                rss_kib = read_vm_hwm_kib(bot.pid) if bot.pid else None
                answered = len(latencies)
                print(f"skav bench: {args.people} people x {len(CAPTURE)} messages, {args.concurrency} at a time, "
                      f"binary {bot.binary}")
                print(f"reply latency: median {statistics.median(latencies):.0f} ms, "
                      f"p95 {percentile(latencies, 0.95):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms, "
                      f"max {max(latencies):.0f} ms (n={answered})")
                print(f"throughput: {answered / wall:.1f} answered messages/s over {wall:.1f} s")
                print(f"peak RSS of skav run: {rss_kib / 1024:.1f} MiB" if rss_kib else "peak RSS: unavailable")
                ideas = bot.ideas_list()
                print(f"ideas stored: {len(ideas)} (expected {args.people})")
                return 0 if len(ideas) == args.people else 1
            finally:
                bot.stop()


if __name__ == "__main__":
    sys.exit(main())
