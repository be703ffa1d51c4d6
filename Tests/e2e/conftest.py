"""pytest wiring for the Skav end-to-end tests: one Synapse per session, a fresh bot per test."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from figures import FIGURES, summary_lines  # noqa: E402
from skav_process import SkavProcess, skav_bin  # noqa: E402
from synapse_harness import Synapse  # noqa: E402


def run(coro, timeout: float = 300.0):
    """Run one async test body with an overall bound."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="session")
def synapse(tmp_path_factory):
    hs = Synapse.start(tmp_path_factory.mktemp("synapse"))
    FIGURES["synapse_startup_s"] = hs.startup_seconds
    hs.register("skav", "skav-e2e-password")
    for name in ("anna", "bertil"):
        hs.register(name)
    try:
        yield hs
    finally:
        hs.stop()


@pytest.fixture(scope="session")
def skav_binary() -> Path:
    path = skav_bin()
    if not path.exists():
        pytest.fail(
            f"build skav first: {path} does not exist (run `swift build`, or set SKAV_BIN to the binary)",
            pytrace=False,
        )
    return path


@pytest.fixture
def make_skav(request, skav_binary, synapse, tmp_path):
    """Factory: make_skav(name="bot", start=True, crashpoint=None) → a SkavProcess with its own database."""
    procs: list[SkavProcess] = []
    request.node._skav_procs = procs

    def factory(name: str = "bot", start: bool = True, crashpoint: str | None = None, **overrides) -> SkavProcess:
        p = SkavProcess(synapse, tmp_path / name, synapse.users["skav"], binary=skav_binary, config_overrides=overrides)
        procs.append(p)
        if start:
            p.start(crashpoint=crashpoint)
        return p

    yield factory
    for p in procs:
        p.stop()
        FIGURES["peak_rss_kib"].append(p.peak_rss_kib)


@pytest.fixture
def skav(make_skav) -> SkavProcess:
    return make_skav()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for p in getattr(item, "_skav_procs", []):
            report.sections.append((f"skav logs ({p.workdir.name})", p.logs()))
        hs = item.funcargs.get("synapse") if hasattr(item, "funcargs") else None
        if hs is not None and not hs.alive():
            report.sections.append(("synapse logs", hs.logs()))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = summary_lines()
    if not lines:
        return
    terminalreporter.section("skav e2e figures")
    for line in lines:
        terminalreporter.write_line(line)
    try:
        base = config._tmp_path_factory.getbasetemp()
        out = Path(base) / "e2e-figures.json"
        out.write_text(json.dumps({**FIGURES, "summary": lines}, indent=1, default=str))
        terminalreporter.write_line(f"(figures saved to {out})")
    except Exception:
        pass
