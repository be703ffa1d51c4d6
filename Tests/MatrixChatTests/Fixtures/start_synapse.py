"""Minimal throwaway Synapse for MatrixChatTests' integration test (the project's full harness is Tests/e2e).

Usage: python start_synapse.py WORKDIR
Writes WORKDIR/hs.yaml and a signing key, starts Synapse on 127.0.0.1 at a free port, writes the port to
WORKDIR/port once listening, and stops Synapse when it gets SIGTERM, when its parent dies, or after 10 minutes.
"""
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# A child of a Swift test process inherits its blocked signals (dispatch threads block them): unblock
# SIGTERM and SIGINT before anything, so terminate() reaches us and Synapse.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

workdir = Path(sys.argv[1])
workdir.mkdir(parents=True, exist_ok=True)
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]

from signedjson.key import generate_signing_key, write_signing_keys  # noqa: E402  (from the venv)

with open(workdir / "signing.key", "w") as f:
    write_signing_keys(f, [generate_signing_key("a_test")])

generous = {"per_second": 10000, "burst_count": 100000}
(workdir / "log.yaml").write_text(json.dumps({
    "version": 1,
    "handlers": {"file": {"class": "logging.FileHandler", "filename": str(workdir / "homeserver.log")}},
    "root": {"level": "WARNING", "handlers": ["file"]},
    "disable_existing_loggers": False,
}))
config = {
    "server_name": "localhost",
    "public_baseurl": f"http://127.0.0.1:{port}/",
    "pid_file": str(workdir / "homeserver.pid"),
    "report_stats": False,
    "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                   "resources": [{"names": ["client"], "compress": False}]}],
    "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
    "log_config": str(workdir / "log.yaml"),
    "media_store_path": str(workdir / "media"),
    "signing_key_path": str(workdir / "signing.key"),
    "trusted_key_servers": [],
    "suppress_key_server_warning": True,
    "macaroon_secret_key": secrets.token_hex(32),
    "form_secret": secrets.token_hex(32),
    "bcrypt_rounds": 4,
    "enable_registration": True,
    "enable_registration_without_verification": True,
    "presence": {"enabled": False},
    "caches": {"sync_response_cache_duration": 0},
    "rc_message": generous,
    "rc_registration": generous,
    "rc_login": {"address": generous, "account": generous, "failed_attempts": generous},
    "rc_joins": {"local": generous, "remote": generous},
    "rc_invites": {"per_room": generous, "per_user": generous, "per_issuer": generous},
    "rc_room_creation": generous,
}
(workdir / "hs.yaml").write_text(json.dumps(config, indent=1))

server = subprocess.Popen(
    [sys.executable, "-m", "synapse.app.homeserver", "-c", str(workdir / "hs.yaml")],
    stdout=open(workdir / "stdout.log", "w"), stderr=subprocess.STDOUT)
parent = os.getppid()
deadline = time.time() + 600
announced = False
try:
    while server.poll() is None and os.getppid() == parent and time.time() < deadline:
        if not announced:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_matrix/client/versions", timeout=1).read()
                (workdir / "port.tmp").write_text(str(port))
                os.replace(workdir / "port.tmp", workdir / "port")
                announced = True
            except OSError:
                pass
        time.sleep(0.2)
finally:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
