"""Figures collected during the e2e run, printed by conftest.py's terminal summary and saved as JSON."""

from __future__ import annotations

import statistics

FIGURES: dict = {
    "synapse_startup_s": None,
    "latencies_ms": [],  # send → first bot reply, capture dialogs
    "peak_rss_kib": [],  # VmHWM of bot processes
    "crash": [],  # one dict per crash scenario
    "smoke_wall_s": None,
    "chaos": None,  # the chaos test's figures
}


def merge(other: dict) -> None:
    """Adds a worker's figures (pytest-xdist runs the suite in several processes, each with its own FIGURES)
    to this process's: lists are joined, the slowest Synapse start is kept, other values are taken when unset."""
    for key, value in other.items():
        mine = FIGURES.get(key)
        if isinstance(mine, list) and isinstance(value, list):
            mine.extend(value)
        elif key == "synapse_startup_s" and value is not None:
            FIGURES[key] = max(value, mine or 0.0)
        elif mine is None:
            FIGURES[key] = value


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    xs = sorted(values)
    k = max(0, min(len(xs) - 1, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


def summary_lines() -> list[str]:
    f = FIGURES
    lines = []
    if f["synapse_startup_s"] is not None:
        lines.append(f"synapse startup: {f['synapse_startup_s']:.2f} s")
    if f["smoke_wall_s"] is not None:
        lines.append(f"harness smoke test wall time: {f['smoke_wall_s']:.2f} s")
    lat = f["latencies_ms"]
    if lat:
        lines.append(
            f"reply latency: median {statistics.median(lat):.0f} ms, p95 {percentile(lat, 95):.0f} ms (n={len(lat)})"
        )
    rss = [r for r in f["peak_rss_kib"] if r]
    if rss:
        lines.append(f"peak RSS: {max(rss) / 1024:.1f} MiB")
    crash = f["crash"]
    if crash:
        done = [c for c in crash if not c.get("failed")]
        aborted = len(crash) - len(done)
        lines.append(
            "crash scenarios: {n} run, {ok} identical to the uninterrupted run; kills {k}, lost {l}, doubled {d}{a}".format(
                n=len(crash),
                ok=sum(1 for c in crash if c["identical"]),
                k=sum(c["kills"] for c in done),
                l=sum(c["lost"] for c in done),
                d=sum(c["doubled"] for c in done),
                a=f"; {aborted} aborted (timeout or error, see failures)" if aborted else "",
            )
        )
    chaos = f["chaos"]
    if chaos:
        lines.append(
            "chaos: {conversations} conversations ({concurrency} at a time, seed {seed}), {kills} random SIGKILLs, "
            "complete {complete}, lost {lost}, doubled {doubled}, in {seconds:.0f} s".format(**chaos)
        )
    return lines
