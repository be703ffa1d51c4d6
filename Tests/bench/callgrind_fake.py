"""Instructions per message of the real bot under callgrind, against the fake homeserver.

    bash Tests/bench.sh --callgrind [--people 20 --messages 10]

Runs `skav run` under `valgrind --tool=callgrind` (instrumentation off until the warm-up is done), lets N people
each run the capture dialog for a few warm-up steps, zeroes the counters, then has every person write
`--messages` more (a person writes, waits for the answer, thinks `--think-ms`; `--text T`: every measured
message is T instead of the dialog's next step), and dumps. Prints the
instructions executed by the whole process (receive loop, sender, everything) divided by the messages
answered, and where the callgrind output is (`callgrind_annotate --inclusive=yes FILE`). Callgrind counts
instructions, not time, so the figure is stable on a busy machine; it runs the bot about 50× slower.
`--from-start` instruments from the first instruction (the start and warm-up go into a dump of their own) and
writes the address of every instruction run: what `link_order.py` lays out.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fake_bench  # noqa: E402
from fake_bench import Bench, Person, Reply  # noqa: E402


async def run(args: argparse.Namespace, work: Path, out_prefix: str) -> None:
    bench = Bench(args, work, "callgrind")
    await bench.start(args.people)
    try:
        pid = bench.bot.pid
        think = args.think_ms / 1000

        async def steps(person: Person, count: int, record: list[Reply], text: str | None = None) -> None:
            await asyncio.sleep(random.uniform(0, think))
            for _ in range(count):
                reply = await bench.say(person, text or person.next_text(), timeout=300)
                if reply is not None:
                    record.append(reply)
                await asyncio.sleep(think * random.uniform(0.5, 1.5))

        warm: list[Reply] = []
        await asyncio.gather(*(steps(p, args.warmup, warm) for p in bench.people))
        await asyncio.gather(*(bench.quiet(p, 1.0) for p in bench.people[:5]))
        if args.from_start:  # everything so far goes into a dump of its own (and the counters restart)
            subprocess.run(["callgrind_control", "-d", "startup", str(pid)], check=True, capture_output=True)
        else:
            subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True)
            subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
        measured: list[Reply] = []
        t0 = time.monotonic()
        await asyncio.gather(*(steps(p, args.messages, measured, args.text) for p in bench.people))
        await asyncio.gather(*(bench.quiet(p, 1.0) for p in bench.people[:5]))
        elapsed = time.monotonic() - t0
        subprocess.run(["callgrind_control", "-d", "measured", str(pid)], check=True, capture_output=True)
        await asyncio.sleep(1)
        dumps = sorted(glob.glob(f"{out_prefix}.{pid}.*"), key=os.path.getmtime)
        dump = dumps[-1] if dumps else None
        total = None
        if dump:
            with open(dump) as f:
                for line in f:
                    m = re.match(r"(?:summary|totals):\s+(\d+)", line)
                    if m:
                        total = int(m.group(1))
        what = f"`{args.text}`" if args.text else "messages of the capture dialog"
        print(f"[callgrind] {args.people} people × {args.messages} {what} (after {args.warmup} warm-up each), "
              f"think {args.think_ms:.0f} ms, send latency {args.latency_ms} ms, {elapsed:.0f} s under callgrind")
        print(f"[callgrind] messages answered: {len(measured)}; sends: {len(bench.hs.sends)}")
        if total is not None and measured:
            print(f"[callgrind] instructions: {total:,} in all, {total / len(measured):,.0f} per message")
        print(f"[callgrind] output: {dump}")
    finally:
        await bench.stop()


SIGSUSPEND_SHIM = """#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, 8);
}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10, help="measured messages per person")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured messages per person first")
    parser.add_argument("--think-ms", type=float, default=2000.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--parallel-sends", type=int, default=None)
    parser.add_argument("--text", default=None,
                        help="every measured message is this text (the burst of fake_bench writes `hjälp`); "
                             "default: the capture dialog")
    parser.add_argument("--out", default=None, help="folder for the callgrind output (default: a temporary one)")
    parser.add_argument("--from-start", action="store_true",
                        help="instrument from the first instruction and write the address of every instruction "
                             "run (for Tests/bench/link_order.py); the figure per message is unchanged")
    args = parser.parse_args()
    binary = os.environ.get("SKAV_BIN")
    if not binary:
        print("SKAV_BIN must name the release binary", file=sys.stderr)
        return 2
    out = Path(args.out or tempfile.mkdtemp(prefix="skav-callgrind-"))
    out.mkdir(parents=True, exist_ok=True)
    prefix = str(out / "callgrind.out")
    # Valgrind 3.19 cannot read the DWARF 5 of Swift's debug info: a copy without it keeps the symbols.
    stripped = out / "skav"
    subprocess.run(["strip", "--strip-debug", "-o", str(stripped), binary], check=True)
    # Valgrind 3.19 writes into the signal mask given to rt_sigsuspend, and libdispatch's (the main thread of
    # an async main) is read-only: valgrind dies of SIGSEGV. A preloaded sigsuspend passes a copy.
    shim_source = out / "sigsuspend_shim.c"
    shim_source.write_text(SIGSUSPEND_SHIM)
    shim = out / "sigsuspend_shim.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(shim_source), "-o", str(shim)], check=True)
    wrapper = out / "skav-under-callgrind"
    instrumentation = ("--instr-atstart=yes --dump-instr=yes --compress-pos=no --compress-strings=no"
                       if args.from_start else "--instr-atstart=no")
    wrapper.write_text(
        "#!/bin/sh\n"
        f"LD_PRELOAD={shim} exec valgrind --tool=callgrind {instrumentation} --callgrind-out-file={prefix}.%p "
        f"--log-file={out}/valgrind.%p.log {stripped} \"$@\"\n")
    wrapper.chmod(0o755)
    fake_bench.SkavProcess = _binary_process(wrapper)
    work = Path(tempfile.mkdtemp(prefix="skav-callgrind-work-"))
    asyncio.run(run(args, work, prefix))
    return 0


def _binary_process(wrapper: Path):
    base = fake_bench.SkavProcess

    class UnderCallgrind(base):  # type: ignore[misc, valid-type]
        def __init__(self, *a, **kw):
            kw["binary"] = wrapper
            super().__init__(*a, **kw)

        def stop(self) -> None:
            if not self.alive():
                return
            self.proc.send_signal(15)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    return UnderCallgrind


if __name__ == "__main__":
    sys.exit(main())
