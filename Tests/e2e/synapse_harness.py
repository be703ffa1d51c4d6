"""A throwaway Synapse homeserver on 127.0.0.1 for end-to-end tests.

Usable on its own::

    with Synapse.start(workdir) as hs:
        hs.register("anna", "secret")
        print(hs.url)

and as a session-scoped pytest fixture (see conftest.py). Everything lives in one temporary
directory: config, signing key, SQLite database, logs. The process runs in its own process group,
dies with the test process (PR_SET_PDEATHSIG) and is stopped on teardown, atexit and Ctrl-C.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SERVER_NAME = "localhost"
HOST = "127.0.0.1"

# Rate limits far above anything a test does, so no test ever sees a 429 by accident.
_GENEROUS = {"per_second": 10000, "burst_count": 100000}


def venv_python() -> str:
    """The python that has matrix-synapse installed: $SKAV_VENV, ~/.cache/skav/venv, or this one."""
    venv = Path(os.environ.get("SKAV_VENV", Path.home() / ".cache/skav/venv"))
    py = venv / "bin" / "python"
    return str(py) if py.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """preexec_fn: own process group, and SIGKILL when the test process dies (Linux)."""
    os.setpgrp()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _write_signing_key(path: Path) -> None:
    try:
        from signedjson.key import generate_signing_key, write_signing_keys

        with open(path, "w") as f:
            write_signing_keys(f, [generate_signing_key("a_e2e")])
    except ImportError:  # harness imported from a python without synapse: ask the venv's
        subprocess.run(
            [venv_python(), "-m", "synapse._scripts.generate_signing_key", "-o", str(path)],
            check=True,
            timeout=60,
        )


def write_config(workdir: Path, port: int) -> Path:
    """Write hs.yaml (JSON is valid YAML), log config and signing key into workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_config = workdir / "log.yaml"
    log_config.write_text(
        json.dumps(
            {
                "version": 1,
                "formatters": {"precise": {"format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s"}},
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "formatter": "precise",
                        "filename": str(workdir / "homeserver.log"),
                        "encoding": "utf8",
                    }
                },
                "root": {"level": "WARNING", "handlers": ["file"]},
                "disable_existing_loggers": False,
            },
            indent=1,
        )
    )
    key_path = workdir / "signing.key"
    if not key_path.exists():
        _write_signing_key(key_path)
    config = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://{HOST}:{port}/",
        "pid_file": str(workdir / "homeserver.pid"),
        "report_stats": False,
        "listeners": [
            {
                "port": port,
                "bind_addresses": [HOST],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
        "log_config": str(log_config),
        "media_store_path": str(workdir / "media"),
        "enable_media_repo": True,  # `mina data` arrives as a file
        "max_upload_size": "10M",
        "url_preview_enabled": False,
        "enable_metrics": False,
        "signing_key_path": str(key_path),
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "macaroon_secret_key": secrets.token_hex(32),
        "form_secret": secrets.token_hex(32),
        "registration_shared_secret": secrets.token_hex(32),
        "bcrypt_rounds": 4,  # fast logins/registrations; never do this in production
        "enable_registration": True,
        "enable_registration_without_verification": True,
        "presence": {"enabled": False},
        "user_directory": {"enabled": False},
        # Synapse answers a repeated identical /sync (same user, device, since, filter, timeout) from a
        # 2-minute response cache. Tests start bots with fresh databases but the same device (SKAV) one
        # after another: their initial syncs would get a stale next_batch and replay old rooms' history.
        "caches": {"sync_response_cache_duration": 0},
        "rc_message": _GENEROUS,
        "rc_registration": _GENEROUS,
        "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
        "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
        "rc_joins_per_room": _GENEROUS,
        "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
        "rc_room_creation": _GENEROUS,
        "rc_3pid_validation": _GENEROUS,
        "rc_admin_redaction": _GENEROUS,
        "rc_delayed_event_mgmt": _GENEROUS,
        "rc_reports": _GENEROUS,
        "rc_key_requests": _GENEROUS,
    }
    path = workdir / "hs.yaml"
    path.write_text(json.dumps(config, indent=1))
    return path


def http_json(method: str, url: str, body: dict | None = None, token: str | None = None, timeout: float = 10):
    """Small JSON-over-HTTP helper: returns (status, parsed body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else {})
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"raw": raw.decode(errors="replace")}


@dataclass
class User:
    name: str
    password: str

    @property
    def user_id(self) -> str:
        return f"@{self.name}:{SERVER_NAME}"


class Synapse:
    """One running homeserver. Use `Synapse.start(workdir)`; stop with `stop()` or as a context manager."""

    def __init__(self, workdir: Path, port: int, proc: subprocess.Popen, config: Path, startup_seconds: float):
        self.workdir = workdir
        self.port = port
        self.proc = proc
        self.config_path = config
        self.startup_seconds = startup_seconds
        self.users: dict[str, User] = {}
        self._counter = 0
        self._shared_secret = json.loads(config.read_text())["registration_shared_secret"]
        atexit.register(self.stop)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # ---- lifecycle -------------------------------------------------------------------------

    @classmethod
    def start(cls, workdir: Path | str, timeout: float = 90.0) -> "Synapse":
        workdir = Path(workdir)
        t0 = time.monotonic()
        port = free_port()
        config = write_config(workdir, port)
        out = open(workdir / "stdout.log", "wb")
        err = open(workdir / "stderr.log", "wb")
        env = dict(os.environ, SYNAPSE_NO_TLS="1")
        proc = subprocess.Popen(
            [venv_python(), "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=workdir,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_die_with_parent,
        )
        out.close()
        err.close()
        hs = None
        try:
            deadline = t0 + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"synapse exited with code {proc.returncode} during startup\n" + _tail_logs(workdir)
                    )
                try:
                    status, _ = http_json("GET", f"http://{HOST}:{port}/_matrix/client/versions", timeout=2)
                    if status == 200:
                        break
                except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"synapse did not answer within {timeout} s\n" + _tail_logs(workdir))
                time.sleep(0.05)
            hs = cls(workdir, port, proc, config, time.monotonic() - t0)
            return hs
        finally:
            if hs is None:
                _stop_process(proc)

    def stop(self) -> None:
        _stop_process(self.proc)

    def __enter__(self) -> "Synapse":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def logs(self) -> str:
        return _tail_logs(self.workdir)

    # ---- users -----------------------------------------------------------------------------

    def register(self, name: str, password: str | None = None, admin: bool = False) -> User:
        """Register exactly @name:localhost (shared-secret admin API). Idempotent within a session."""
        if name in self.users:
            return self.users[name]
        password = password or f"pw-{name}-{secrets.token_hex(4)}"
        status, body = http_json("GET", f"{self.url}/_synapse/admin/v1/register")
        if status != 200:
            raise RuntimeError(f"register nonce: {status} {body}")
        nonce = body["nonce"]
        mac = hmac.new(self._shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"admin" if admin else b"notadmin"]))
        status, body = http_json(
            "POST",
            f"{self.url}/_synapse/admin/v1/register",
            {"nonce": nonce, "username": name, "password": password, "admin": admin, "mac": mac.hexdigest()},
        )
        if status != 200:
            raise RuntimeError(f"register {name}: {status} {body}")
        user = User(name, password)
        self.users[name] = user
        return user

    def fresh_user(self, prefix: str) -> User:
        """A never-used user `<prefix>_<n>` (for scenarios that need a new person each run)."""
        while True:
            self._counter += 1
            name = f"{prefix}_{self._counter}"
            if name not in self.users:
                return self.register(name)

    def login_token(self, user: User, device_id: str | None = None) -> str:
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user.name},
            "password": user.password,
        }
        if device_id:
            body["device_id"] = device_id
        status, resp = http_json("POST", f"{self.url}/_matrix/client/v3/login", body)
        if status != 200:
            raise RuntimeError(f"login {user.name}: {status} {resp}")
        return resp["access_token"]


def _tail_logs(workdir: Path, limit: int = 4000) -> str:
    parts = []
    for name in ("stderr.log", "stdout.log", "homeserver.log"):
        p = Path(workdir) / name
        if p.exists():
            text = p.read_text(errors="replace")
            if text.strip():
                parts.append(f"--- synapse {name} (tail) ---\n{text[-limit:]}")
    return "\n".join(parts)


def _stop_process(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, wait, then SIGKILL. Safe to call repeatedly."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def serve(workdir: Path, lifetime: float = 600.0) -> None:
    """For tests in other languages: start Synapse in WORKDIR, write its port to WORKDIR/port once it
    answers, and stop it on SIGTERM, when the parent dies, or after `lifetime` seconds."""
    # A child of a Swift test process inherits its blocked signals (dispatch threads block them):
    # unblock SIGTERM and SIGINT first, so terminate() reaches us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    parent = os.getppid()
    with Synapse.start(workdir) as hs:
        (workdir / "port.tmp").write_text(str(hs.port))
        os.replace(workdir / "port.tmp", workdir / "port")
        deadline = time.time() + lifetime
        while hs.alive() and os.getppid() == parent and time.time() < deadline:
            time.sleep(0.2)


if __name__ == "__main__":
    # python synapse_harness.py --serve WORKDIR   (used by the Swift integration tests)
    # python synapse_harness.py [WORKDIR]         (manual use: prints users, Ctrl-C to stop)
    import tempfile

    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]))
        sys.exit(0)
    wd = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="skav-synapse-"))
    with Synapse.start(wd) as hs:
        print(f"synapse at {hs.url} (workdir {wd}), started in {hs.startup_seconds:.2f} s; Ctrl-C to stop")
        for n in ("skav", "anna", "bertil"):
            u = hs.register(n)
            print(f"  {u.user_id} password {u.password}")
        try:
            while hs.alive():
                time.sleep(1)
        except KeyboardInterrupt:
            pass
