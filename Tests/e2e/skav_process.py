"""Start, stop, crash and inspect the skav bot process.

Contract assumed from the bot (see README.md in this folder):
- `skav run --config FILE`, password from env SKAV_MATRIX_PASSWORD (on Mattermost the bot token from env
  SKAV_MATTERMOST_TOKEN: `hs` is then a servers.MattermostServer, whose chat_config()/chat_env() are used),
  optional env SKAV_CRASHPOINT;
- SIGTERM → exit code 0 within 2 s, also during an idle long poll;
- `skav ideas list --json --config FILE` → JSON array (or {"ideas": [...]}) of idea objects;
- `skav ideas show N --json --config FILE` → one JSON idea object with at least
  number, title, problem, benefits, solution, challenge, unit, stage, author.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import yaml

from synapse_harness import Synapse, User, _die_with_parent

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO / ".build" / "debug" / "skav"

UNITS = ["Socialtjänst", "Skola", "Äldreomsorg"]
CHALLENGES = [
    {"key": "integration", "title": "Integration och inkludering"},
    {"key": "klimat", "title": "Klimatsmart kommun"},
]


def skav_bin() -> Path:
    return Path(os.environ.get("SKAV_BIN", DEFAULT_BIN))


def read_status_kib(pid: int, field: str) -> int | None:
    """A size field of a live process's /proc/<pid>/status (VmHWM, RssAnon, …), in KiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def read_vm_hwm_kib(pid: int) -> int | None:
    """Peak resident set size (VmHWM) of a live process, in KiB."""
    return read_status_kib(pid, "VmHWM")


class SkavProcess:
    def __init__(
        self,
        hs: Synapse,
        workdir: Path,
        bot: User,
        binary: Path | None = None,
        config_overrides: dict | None = None,
    ):
        self.hs = hs
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.bot = bot
        self.binary = Path(binary or skav_bin())
        self.config_path = self.workdir / "skav.yaml"
        self.db_path = self.workdir / "skav.sqlite"
        self.stdout_path = self.workdir / "skav.stdout.log"
        self.stderr_path = self.workdir / "skav.stderr.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.peak_rss_kib: int | None = None  # max VmHWM seen over all runs of this process
        self.config = self._config(config_overrides or {})
        self.config_path.write_text(yaml.safe_dump(self.config, allow_unicode=True, sort_keys=False))
        atexit.register(self._emergency_stop)

    def _chat_config(self) -> dict:
        """The chat part of the config: Matrix for a Synapse, or what a servers.py driver says."""
        chat_config = getattr(self.hs, "chat_config", None)
        if chat_config is not None:
            return chat_config()
        return {
            "chat": {"kind": "matrix"},
            "matrix": {
                "homeserver": self.hs.url,
                "user_id": self.bot.user_id,
                "device_id": "SKAV",
                "allowed_domains": ["localhost"],
            },
        }

    def _config(self, overrides: dict) -> dict:
        config = {
            **self._chat_config(),
            "database": {"path": str(self.db_path)},
            "language": "sv",
            "timezone": "Europe/Stockholm",
            "units": list(UNITS),
            "challenges": [dict(c) for c in CHALLENGES],
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key].update(value)
            else:
                config[key] = value
        return config

    # ---- process ---------------------------------------------------------------------------

    def _env(self, crashpoint: str | None) -> dict:
        secrets = ("SKAV_CRASHPOINT", "SKAV_MATRIX_PASSWORD", "SKAV_MATTERMOST_TOKEN")
        env = {k: v for k, v in os.environ.items() if k not in secrets}
        chat_env = getattr(self.hs, "chat_env", None)
        if chat_env is not None:
            env.update(chat_env())
        else:
            env["SKAV_MATRIX_PASSWORD"] = self.bot.password
        if crashpoint:
            env["SKAV_CRASHPOINT"] = crashpoint
        return env

    def start(self, crashpoint: str | None = None) -> "SkavProcess":
        if self.alive():
            raise RuntimeError("skav is already running")
        if not self.binary.exists():
            raise FileNotFoundError(f"build skav first: {self.binary} does not exist (set SKAV_BIN to override)")
        self.starts += 1
        header = f"\n=== start #{self.starts} at {time.strftime('%H:%M:%S')} crashpoint={crashpoint} ===\n".encode()
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            out.write(header)
            err.write(header)
            out.flush()
            err.flush()
            self.proc = subprocess.Popen(
                [str(self.binary), "run", "--config", str(self.config_path)],
                cwd=self.workdir,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=self._env(crashpoint),
                preexec_fn=_die_with_parent,
            )
        wait_ready = getattr(self.hs, "wait_bot_ready", None)  # servers without a join to wait for (Mattermost)
        if wait_ready is not None:
            wait_ready(self)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    def sample_rss(self) -> int | None:
        if not self.alive():
            return self.peak_rss_kib
        hwm = read_vm_hwm_kib(self.proc.pid)
        if hwm is not None:
            self.peak_rss_kib = max(self.peak_rss_kib or 0, hwm)
        return self.peak_rss_kib

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if not self.alive():
            return
        self.sample_rss()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 2.0) -> int:
        """SIGTERM and require exit code 0 within `timeout` seconds (the bot's shutdown contract)."""
        assert self.alive(), f"skav is not running (exit code {self.returncode})\n{self.logs()}"
        self.sample_rss()
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"skav did not exit within {timeout} s after SIGTERM\n{self.logs()}")
        elapsed = time.monotonic() - t0
        assert rc == 0, f"skav exited with code {rc} after SIGTERM (in {elapsed:.2f} s)\n{self.logs()}"
        return rc

    def restart(self, crashpoint: str | None = None) -> "SkavProcess":
        if self.alive():
            self.terminate()
        return self.start(crashpoint=crashpoint)

    def ensure_alive(self) -> None:
        """Watchdog for Person: fail at once (not at a timeout) when the bot has died."""
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"skav exited unexpectedly with code {self.proc.returncode}\n{self.logs()}")

    def stop(self) -> None:
        """Teardown: SIGTERM, then SIGKILL if it lingers. Never asserts."""
        if not self.alive():
            return
        self.sample_rss()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def _emergency_stop(self) -> None:
        if self.alive():
            self.proc.kill()

    # ---- CLI -------------------------------------------------------------------------------

    def cli(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
        if not self.binary.exists():
            raise FileNotFoundError(f"build skav first: {self.binary} does not exist")
        return subprocess.run(
            [str(self.binary), *args, "--config", str(self.config_path)],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(None),
        )

    def _cli_json(self, *args: str):
        res = self.cli(*args)
        if res.returncode != 0:
            raise AssertionError(f"skav {' '.join(args)} failed with {res.returncode}:\n{res.stderr}\n{res.stdout}")
        try:
            return json.loads(res.stdout)
        except ValueError as e:
            raise AssertionError(f"skav {' '.join(args)}: not JSON ({e}):\n{res.stdout[:2000]}") from e

    def ideas_list(self) -> list[dict]:
        data = self._cli_json("ideas", "list", "--json")
        if isinstance(data, dict) and "ideas" in data:
            data = data["ideas"]
        assert isinstance(data, list), f"ideas list --json: expected a JSON array, got {type(data).__name__}"
        return data

    def idea_show(self, number: int) -> dict:
        data = self._cli_json("ideas", "show", str(number), "--json")
        if isinstance(data, dict) and isinstance(data.get("idea"), dict):
            data = data["idea"]
        assert isinstance(data, dict), f"ideas show --json: expected a JSON object, got {type(data).__name__}"
        return data

    # ---- diagnostics -----------------------------------------------------------------------

    def logs(self, limit: int = 6000) -> str:
        parts = []
        for p in (self.stdout_path, self.stderr_path):
            if p.exists():
                text = p.read_text(errors="replace")
                if text.strip():
                    parts.append(f"--- {p.name} (tail) ---\n{text[-limit:]}")
        return "\n".join(parts) or "(skav wrote nothing)"


class Supervisor:
    """Person watchdog for crash scenarios: when the bot has died (crash point or our SIGKILL),
    count it and start it again without a crash point, as an operator's service manager would."""

    def __init__(self, skav: SkavProcess, max_restarts: int = 20):
        self.skav = skav
        self.max_restarts = max_restarts
        self.kills = 0
        self.exit_codes: list[int] = []

    def __call__(self) -> None:
        if self.skav.proc is not None and not self.skav.alive():
            self.kills += 1
            self.exit_codes.append(self.skav.returncode)
            if len(self.exit_codes) > self.max_restarts:
                raise AssertionError(f"skav keeps dying: exit codes {self.exit_codes}\n{self.skav.logs()}")
            self.skav.start()
