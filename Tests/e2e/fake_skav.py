"""A stand-in for the skav binary, only to check the e2e tests themselves (never a product).

    SKAV_BIN=Tests/e2e/fake_skav python -m pytest Tests/e2e -q

It implements exactly the contract the tests assume (README.md here): `run --config FILE`,
`ideas list|show --json --config FILE`, SKAV_MATRIX_PASSWORD, SKAV_CRASHPOINT, SIGTERM → 0, and the
durability rule of DESIGN.md §7 (effects + outbox + sync cursor in one SQLite transaction; outbox sent
with txn ids derived from the incoming event id, device SKAV). The conversation is a crude copy of §2.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

SCHEMA = """
create table if not exists kv (k text primary key, v text);
create table if not exists seen (event_id text primary key);
create table if not exists person (user_id text primary key, greeted int, unit text, draft int, step text);
create table if not exists idea (number integer primary key, author text, title text, problem text,
  benefits text, solution text, challenge text, unit text, stage text);
create table if not exists outbox (id integer primary key, room text, txn text, body text, sent int default 0);
"""


BUG = os.environ.get("FAKE_SKAV_BUG", "")  # deliberate defects, to prove the tests catch them


def crashpoint(kind: str):
    cp = os.environ.get("SKAV_CRASHPOINT", "")
    if cp.startswith(kind + ":"):
        return int(cp.split(":")[1])
    return None


def die():
    os.kill(os.getpid(), signal.SIGKILL)


class Bot:
    def __init__(self, config: dict):
        self.cfg = config
        self.hs = config["matrix"]["homeserver"].rstrip("/")
        self.me = config["matrix"]["user_id"]
        self.db = sqlite3.connect(config["database"]["path"], isolation_level=None)
        self.db.executescript(SCHEMA)
        self.token = self.kv("token")
        self.commits = 0
        self.sends = 0
        self.pending = []  # only with FAKE_SKAV_BUG=memory-outbox

    def kv(self, k, v=None):
        if v is None:
            row = self.db.execute("select v from kv where k=?", (k,)).fetchone()
            return row[0] if row else None
        self.db.execute("insert or replace into kv values (?,?)", (k, v))

    def http(self, method, path, body=None, timeout=40):
        req = urllib.request.Request(self.hs + path, method=method, data=None if body is None else json.dumps(body).encode())
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read()[:300]!r}") from None

    def login(self):
        if self.token:
            return
        user = self.me[1:].split(":")[0]
        r = self.http("POST", "/_matrix/client/v3/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
            "password": os.environ["SKAV_MATRIX_PASSWORD"], "device_id": self.cfg["matrix"].get("device_id", "SKAV")})
        self.token = r["access_token"]
        self.kv("token", self.token)

    # ---- conversation (crude) ----
    def handle(self, sender: str, text: str) -> list[str]:
        t = text.strip()
        low = t.casefold()
        row = self.db.execute("select greeted, unit, draft, step from person where user_id=?", (sender,)).fetchone()
        greeted, unit, draft, step = row if row else (0, None, None, None)
        out = []
        units, chall = self.cfg.get("units", []), self.cfg.get("challenges", [])

        def pick(options):
            return options[int(t) - 1] if t.isdigit() and 1 <= int(t) <= len(options) else None

        if draft is None:
            if not greeted:
                out.append("Hej! Skriv vad som skaver, så sparar jag det som en idé. Tänk på att det du skriver "
                           "kan bli allmän handling – skriv inget om enskilda brukare.")
                greeted = 1
            n = (self.db.execute("select max(number) from idea").fetchone()[0] or 0) + 1
            self.db.execute("insert into idea values (?,?,?,?,?,?,?,?,?)",
                            (n, sender, t.split(".")[0][:80], t, None, None, None, None, "utkast"))
            draft, step = n, "benefits"
            out.append(f"Tack! Sparat som utkast #{n}. Vem skulle ha mest nytta? 1) invånare/brukare 2) kollegor "
                       "3) företag/föreningar 4) annat — eller skriv hoppa.")
        elif step == "benefits":
            val = None if low == "hoppa" else (pick(["residents", "colleagues", "businesses", "other"]) or t)
            self.db.execute("update idea set benefits=? where number=?", (val, draft))
            step = "solution"
            out.append("Har du förslag på en lösning? Skriv den, eller vet ej / hoppa.")
        elif step == "solution":
            val = None if low in ("hoppa", "vet ej") else t
            self.db.execute("update idea set solution=? where number=?", (val, draft))
            step = "challenge"
            out.append("Hör idén till en utmaning? " + " ".join(f"{i}) {c['title']}" for i, c in enumerate(chall, 1))
                       + " — eller hoppa.")
        elif step == "challenge":
            c = pick(chall)
            self.db.execute("update idea set challenge=? where number=?", (c["key"] if c else None, draft))
            step = "confirm"
            problem = self.db.execute("select problem from idea where number=?", (draft,)).fetchone()[0]
            out.append(f"Utkast #{draft}: {problem} Skriv skicka, ändra 2 eller avbryt.")
        elif step == "confirm" and low == "skicka" and unit is None:
            step = "unit"
            out.append("Vilken förvaltning jobbar du på? " + " ".join(f"{i}) {u}" for i, u in enumerate(units, 1)))
        elif step in ("confirm", "unit"):
            if step == "unit":
                unit = pick(units) or t
            self.db.execute("update idea set unit=?, stage='inkommen' where number=?", (unit, draft))
            out.append(f"Tack! Idé #{draft} är inskickad och går vidare till en guide.")
            draft, step = None, None
        self.db.execute("insert or replace into person values (?,?,?,?,?)", (sender, greeted, unit, draft, step))
        return out

    # ---- loop ----
    def flush_outbox(self):
        while self.pending:
            room, txn, body = self.pending.pop(0)
            self.http("PUT", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room, safe='')}/send/m.room.message/"
                             f"{urllib.parse.quote(txn, safe='')}", {"msgtype": "m.text", "body": body})
        for oid, room, txn, body in self.db.execute(
                "select id, room, txn, body from outbox where sent=0 order by id").fetchall():
            if BUG == "random-txn":
                txn = os.urandom(8).hex()
            self.http("PUT", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room, safe='')}/send/m.room.message/"
                             f"{urllib.parse.quote(txn, safe='')}", {"msgtype": "m.text", "body": body})
            self.sends += 1
            if crashpoint("after-send") == self.sends:
                die()
            self.db.execute("update outbox set sent=1 where id=?", (oid,))

    def run(self):
        self.login()
        flt = urllib.parse.quote(json.dumps({"presence": {"types": []}, "room": {"timeline": {"limit": 50}}}))
        allowed = set(self.cfg["matrix"].get("allowed_domains", []))
        self.flush_outbox()
        while True:
            since = self.kv("since")
            q = f"/_matrix/client/v3/sync?timeout=30000&filter={flt}&set_presence=offline" + (
                f"&since={urllib.parse.quote(since)}" if since else "")
            r = self.http("GET", q, timeout=45)
            print(f"sync since={since} -> {r['next_batch']} join={list(r.get('rooms', {}).get('join', {}))} invite={list(r.get('rooms', {}).get('invite', {}))}", file=sys.stderr, flush=True)
            for room_id, inv in r.get("rooms", {}).get("invite", {}).items():
                senders = [e.get("sender", "") for e in inv.get("invite_state", {}).get("events", [])
                           if e.get("type") == "m.room.member" and e.get("state_key") == self.me]
                if senders and senders[0].split(":")[-1] in allowed:
                    self.http("POST", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}/join", {})
            replies = 0
            self.db.execute("begin immediate")
            if since or BUG == "answer-history":  # first start: take the token, drop the history
                for room_id, room in r.get("rooms", {}).get("join", {}).items():
                    for ev in room.get("timeline", {}).get("events", []):
                        c = ev.get("content", {})
                        if (ev.get("type") != "m.room.message" or ev.get("sender") == self.me
                                or c.get("msgtype") not in (("m.text", "m.notice") if BUG == "answer-notices" else ("m.text",))
                                or self.db.execute("select 1 from seen where event_id=?", (ev["event_id"],)).fetchone()):
                            continue
                        print(f"handle {ev['event_id']} from {ev['sender']} in {room_id}: {c.get('body')!r} since={since}", file=sys.stderr, flush=True)
                        for i, body in enumerate(self.handle(ev["sender"], c.get("body", ""))):
                            if BUG == "memory-outbox":
                                self.pending.append((room_id, f"{ev['event_id']}.{i}", body))
                                replies += 1
                                continue
                            self.db.execute("insert into outbox (room, txn, body) values (?,?,?)",
                                            (room_id, f"{ev['event_id']}.{i}", body))
                            replies += 1
                        self.db.execute("insert into seen values (?)", (ev["event_id"],))
            self.kv("since", r["next_batch"])
            self.db.execute("commit")
            if replies:
                self.commits += 1
                if crashpoint("after-commit") == self.commits:
                    die()
            self.flush_outbox()


def main(argv):
    args = argv[1:]
    cfg_path = args[args.index("--config") + 1]
    cfg = yaml.safe_load(open(cfg_path))
    if args[0] == "run":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        Bot(cfg).run()
    elif args[:2] == ["ideas", "list"]:
        db = sqlite3.connect(cfg["database"]["path"])
        db.row_factory = sqlite3.Row
        print(json.dumps([dict(r) for r in db.execute("select * from idea order by number")], ensure_ascii=False))
    elif args[:2] == ["ideas", "show"]:
        db = sqlite3.connect(cfg["database"]["path"])
        db.row_factory = sqlite3.Row
        row = db.execute("select * from idea where number=?", (int(args[2]),)).fetchone()
        if not row:
            print(f"no idea #{args[2]}", file=sys.stderr)
            return 1
        print(json.dumps(dict(row), ensure_ascii=False))
    else:
        print(f"usage: {argv[0]} run|ideas list|ideas show N --config FILE", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
