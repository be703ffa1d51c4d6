"""One behavioural suite, two chat servers: the small per-server driver the scenarios talk to.

A scenario asks for the `server` fixture (parametrized: `matrix`, `mattermost`) instead of `synapse`, and
uses only this interface, so the same code runs on both:

    user = server.fresh_user("anna")              # a never-used person (server.users["anna"]: the shared one)
    anna = server.person(user, watchdog=skav.ensure_alive)   # Person (matrix-nio) or MattermostPerson
    skav = make_skav(roles={"guides": [{"user": user.user_id, ...}]})   # the bot, configured for this server
    server.name                                   # "matrix" or "mattermost", for the rare difference

- `MatrixServer` wraps the session's Synapse; `person()` is exactly `Person(hs, user, …)` and the bot's
  config is exactly what SkavProcess always wrote (`chat.kind: matrix`), so the Matrix runs assert what they
  always did.
- `MattermostServer` wraps the fake Mattermost (mattermost_fake.py): a team `kommun`, a bot account `skav`
  with a personal access token (given to the bot in SKAV_MATTERMOST_TOKEN, never in the config file),
  people with e-mail addresses `<name>@kommun.example`; `person()` is a MattermostPerson
  (mattermost_person.py, on mattermostautodriver). A user's `user_id` is the Mattermost user id, which is
  what the bot sees as the sender and what roles name.

A scenario that only makes sense on one server says so with `@pytest.mark.only_on("matrix", why="…")`
(tests that still ask for `synapse` directly are Matrix-only by construction and carry the mark too, as
documentation).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from mattermost_fake import MattermostFake

MM_TEAM = "kommun"
MM_DOMAIN = "kommun.example"
UNSUPPORTED = re.compile(r"not part of this version|must be matrix(, mattermost)? or terminal", re.I)


class MatrixServer:
    name = "matrix"

    def __init__(self, hs):
        self.hs = hs

    @property
    def users(self):
        return self.hs.users

    @property
    def url(self) -> str:
        return self.hs.url

    @property
    def bot_user(self):
        return self.hs.users["skav"]

    def fresh_user(self, prefix: str):
        return self.hs.fresh_user(prefix)

    def register(self, name: str, password: str | None = None):
        return self.hs.register(name, password)

    def person(self, user, **kw):
        from person import Person

        return Person(self.hs, user, **kw)

    def skav_target(self):
        """What SkavProcess is given as its server: the Synapse itself (its config is unchanged)."""
        return self.hs

    def rooms_config(self, coordinators: str | None = None, shared: str | None = None) -> dict:
        """Config overrides naming the coordinators' and the shared room."""
        rooms = {"coordinators_room": coordinators, "shared_room": shared}
        return {"matrix": {k: v for k, v in rooms.items() if v}}

    def alive(self) -> bool:
        return self.hs.alive()

    def logs(self) -> str:
        return self.hs.logs()


@dataclass
class MMUser:
    name: str  # username
    password: str
    user_id: str  # the Mattermost user id (26 characters)
    email: str
    token: str | None = None  # bots: the personal access token


class MattermostServer:
    name = "mattermost"

    def __init__(self, fake: MattermostFake):
        self.fake = fake
        self.users: dict[str, MMUser] = {}
        self._counter = 0
        admin = fake.create_user("sysadmin", "sysadmin-password", email="sysadmin@localhost", admin=True)
        self.admin = MMUser("sysadmin", "sysadmin-password", admin["id"], admin["email"])
        self.team = fake.create_team(MM_TEAM, "Kommunen")
        fake.add_team_member(self.team["id"], admin["id"])
        bot, token = fake.create_bot("skav", "Skav")
        fake.add_team_member(self.team["id"], bot["id"])
        self.users["skav"] = MMUser("skav", "", bot["id"], bot["email"], token)

    @classmethod
    def start(cls) -> "MattermostServer":
        return cls(MattermostFake.start())

    def stop(self) -> None:
        self.fake.stop()

    @property
    def url(self) -> str:
        return self.fake.url

    @property
    def bot_user(self) -> MMUser:
        return self.users["skav"]

    def register(self, name: str, password: str | None = None, domain: str = MM_DOMAIN, team: bool = True) -> MMUser:
        if name in self.users:
            return self.users[name]
        username = re.sub(r"[^a-z0-9._-]", "-", name.lower())
        password = password or f"pw-{username}-e2e"
        u = self.fake.create_user(username, password, email=f"{username}@{domain}")
        if team:
            self.fake.add_team_member(self.team["id"], u["id"])
        user = MMUser(username, password, u["id"], u["email"])
        self.users[name] = user
        return user

    def fresh_user(self, prefix: str, **kw) -> MMUser:
        while True:
            self._counter += 1
            name = f"{prefix}_{self._counter}"
            if name not in self.users:
                return self.register(name, **kw)

    def person(self, user, **kw):
        from mattermost_person import MattermostPerson

        return MattermostPerson(self, user, **kw)

    def skav_target(self) -> "MattermostServer":
        return self

    def rooms_config(self, coordinators: str | None = None, shared: str | None = None) -> dict:
        """Config overrides naming the coordinators' and the shared channel (channel ids). The key names
        are this suite's expectation of the adapter's config (issue 15: "the coordinators' and shared
        channels" in the mattermost: section); change them here if the adapter settles on others."""
        rooms = {"coordinators_channel": coordinators, "shared_channel": shared}
        return {"mattermost": {**self.chat_config()["mattermost"], **{k: v for k, v in rooms.items() if v}}}

    # ---- what SkavProcess asks of a non-Matrix server -----------------------------------------

    def chat_config(self) -> dict:
        return {
            "chat": {"kind": "mattermost"},
            # poll_interval: the idle look at the channel list, 200 ms (its minimum) to keep the suite quick.
            "mattermost": {"url": self.url, "team": MM_TEAM, "allowed_domains": [MM_DOMAIN], "poll_interval": "200ms"},
        }

    def chat_env(self) -> dict:
        return {"SKAV_MATTERMOST_TOKEN": self.bot_user.token}

    def wait_bot_ready(self, skav, timeout: float = 15.0) -> None:
        """After `skav run` started: wait until the bot has read the channel list twice (so its first look,
        which on a first start sets where it begins, is answered). On Matrix a person waits for the bot to
        join; a Mattermost DM has no join, and a post made before the bot's first look is history it rightly
        does not answer. Returns early when the process exits (crash points)."""
        import time

        t0 = time.monotonic()
        deadline = t0 + timeout * float(__import__("os").environ.get("SKAV_E2E_TIMEOUT_SCALE", "1"))
        bot = self.bot_user.user_id
        while time.monotonic() < deadline and skav.alive():
            looks = [r for r in self.fake.requests_since(t0, user_id=bot) if r[1] == "GET" and r[2].endswith("/channels")]
            if len(looks) >= 2:
                return
            time.sleep(0.02)

    def alive(self) -> bool:
        return self.fake._httpd is not None

    def logs(self) -> str:
        return f"fake Mattermost request counts: {dict(self.fake.stats)}"


def mattermost_refusal(binary: Path, server: MattermostServer, workdir: Path) -> str | None:
    """Why this skav binary cannot run on Mattermost (it refuses `chat.kind: mattermost`), or None."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = {**server.chat_config(), "database": {"path": str(workdir / "probe.sqlite")}, "units": ["Socialtjänst"]}
    path = workdir / "probe.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    import os

    env = {**os.environ, **server.chat_env()}
    try:
        res = subprocess.run([str(binary), "doctor", "--config", str(path)], capture_output=True, text=True, timeout=60,
                             env=env, cwd=workdir)
    except subprocess.TimeoutExpired:
        return None
    out = (res.stderr or "") + (res.stdout or "")
    if UNSUPPORTED.search(out):
        line = next((l for l in out.splitlines() if UNSUPPORTED.search(l)), out.strip())
        return f"this skav binary refuses chat.kind: mattermost ({line.strip()})"
    return None
