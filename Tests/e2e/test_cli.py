"""The command line as an operator and a first-time user meet it: `skav` in the terminal with no config,
`skav ideas`, and clear errors for broken configs. No Synapse needed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from skav_process import skav_bin


def skav(*args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 60):
    binary = skav_bin()
    if not binary.exists():
        pytest.fail(f"build skav first: {binary} does not exist", pytrace=False)
    full_env = dict(os.environ)
    full_env.pop("SKAV_MATRIX_PASSWORD", None)
    full_env.update(env or {})
    return subprocess.run(
        [str(binary), *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=full_env
    )


def test_terminal_conversation_without_config(tmp_path):
    """`skav` alone talks in the terminal, prints its database, and stores a real idea there."""
    home = tmp_path / "home"
    home.mkdir()
    lines = "Det tar för lång tid att boka tolk till hembesök\n2\nvet ej\nskicka\n"
    result = skav(stdin=lines, env={"HOME": str(home), "XDG_DATA_HOME": ""})
    assert result.returncode == 0, result.stderr
    default_db = home / ".local/share/skav/skav.sqlite"
    assert str(default_db) in result.stdout, "the database location is printed at start"
    assert "allmän handling" in result.stdout, "the greeting carries the public-records notice"
    assert "#1" in result.stdout
    assert default_db.exists()

    listed = skav("ideas", "list", "--json", env={"HOME": str(home), "XDG_DATA_HOME": ""})
    assert listed.returncode == 0, listed.stderr
    ideas = json.loads(listed.stdout)
    assert [i["number"] for i in ideas] == [1]
    idea = ideas[0]
    assert idea["stage"] == "inkommen"
    assert idea["problem"] == "Det tar för lång tid att boka tolk till hembesök"
    assert idea["benefits"] == "colleagues"
    assert idea["solution"] in (None, "")
    assert idea["unit"] is None, "no units configured: never asked"
    assert idea["author"].endswith(":terminal")

    shown = skav("ideas", "show", "1", "--json", env={"HOME": str(home), "XDG_DATA_HOME": ""})
    detail = json.loads(shown.stdout)
    for key in ("number", "title", "problem", "benefits", "solution", "challenge", "unit", "stage", "author", "history"):
        assert key in detail
    assert [e["kind"] for e in detail["history"]][0] == "created"
    assert detail["history"][-1]["to_stage"] == "inkommen"


def test_terminal_conversation_continues_in_a_new_session(tmp_path):
    """The draft and the conversation state survive the process: a second run picks up where the first ended."""
    db = tmp_path / "skav.sqlite"
    first = skav("--database", str(db), stdin="Skrivaren på plan 3 är alltid trasig\n1\n")
    assert first.returncode == 0, first.stderr
    second = skav("--database", str(db), stdin="hoppa\nskicka\n")
    assert second.returncode == 0, second.stderr
    assert "#1" in second.stdout
    ideas = json.loads(skav("ideas", "list", "--json", "--database", str(db)).stdout)
    assert ideas[0]["stage"] == "inkommen" and ideas[0]["benefits"] == "residents"


def test_terminal_with_guides_and_coordinators_keeps_answering(tmp_path):
    """With guides and coordinators configured, the person at the keyboard is still one person with one
    room: the routed idea is shown as meant for the guide, and every later line is answered."""
    db = tmp_path / "skav.sqlite"
    config = tmp_path / "skav.yaml"
    config.write_text(
        "units: [Skola, Socialtjänst]\n"
        "roles:\n"
        "  coordinators: ['@ia:kommun.se']\n"
        "  guides:\n"
        "    - user: '@olle:kommun.se'\n"
        "      units: [Skola]\n"
        f"database: {{path: '{db}'}}\n"
    )
    lines = "Vikarier saknar inloggning första dagen\nhoppa\nhoppa\nskicka\n1\nmina idéer\nhjälp\n"
    result = skav("--config", str(config), stdin=lines)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "@olle:kommun.se" in out, "the guide's notice is shown, marked as meant for the guide"
    after = out[out.index("@olle:kommun.se") :]
    assert "#1" in after, "'mina idéer' after the routing is still answered"
    assert after.count("> ") >= 2, "the prompt keeps coming back"
    # A second session: the terminal's room is still the person's.
    again = skav("--config", str(config), stdin="utkast\n")
    assert again.returncode == 0, again.stderr
    ideas = json.loads(skav("ideas", "list", "--json", "--config", str(config)).stdout)
    assert [i["number"] for i in ideas] == [1] and ideas[0]["unit"] == "Skola"


def test_odd_input_in_the_terminal_never_crashes(tmp_path):
    db = tmp_path / "skav.sqlite"
    odd = [
        "",
        "   ",
        "🙂🙂🙂",
        "x" * 10_000,
        "\u202eמערכת ההזמנות איטית\u202c",
        "e\u0301" * 50,
        "\u200b\u200d\ufeff",
        "HJALP",
        "ändra 99",
        "idé 12345678901234567890",
        "\x00\x07\x1b[31m",
    ]
    result = skav("--database", str(db), stdin="\n".join(odd) + "\n")
    assert result.returncode == 0, result.stderr
    assert "Fatal error" not in result.stderr


def test_ideas_show_unknown_number_fails_cleanly(tmp_path):
    result = skav("ideas", "show", "42", "--database", str(tmp_path / "skav.sqlite"))
    assert result.returncode == 1
    assert "no idea #42" in result.stderr


@pytest.mark.parametrize(
    "text, key",
    [
        ("chat: {kind: irc}\n", "chat.kind"),
        ("chat: {kind: matrix}\nmatrix: {homeserver: 'http://127.0.0.1:1', user_id: skav}\n", "matrix.user_id"),
        ("language: fi\n", "language"),
        ("units: [a, a]\n", "units"),
        ("databse: {path: x}\n", "databse"),
        ("chat: {kind: [\n", ""),
    ],
)
def test_a_broken_config_names_the_key_and_exits_non_zero(tmp_path, text, key):
    config = tmp_path / "skav.yaml"
    config.write_text(text, encoding="utf-8")
    result = skav("run", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert "Fatal error" not in result.stderr
    assert (f"'{key}'" in result.stderr) if key else ("YAML" in result.stderr)


def test_run_without_config_is_refused(tmp_path):
    result = skav("run")
    assert result.returncode == 2
    assert "--config" in result.stderr


def test_a_corrupt_database_is_a_clear_error(tmp_path):
    db = tmp_path / "skav.sqlite"
    db.write_bytes(b"this is not sqlite" * 300)
    result = skav("ideas", "list", "--database", str(db))
    assert result.returncode == 1
    assert "database" in result.stderr and "Fatal error" not in result.stderr
    assert db.read_bytes().startswith(b"this is not sqlite"), "a bad file is never overwritten"


def unreachable_server_config(tmp_path: Path, database: Path) -> Path:
    """A config file for a Matrix server nobody answers (port 9, discard) and this database."""
    config = tmp_path / "skav.yaml"
    config.write_text(
        "chat: {kind: matrix}\n"
        "matrix: {homeserver: 'http://127.0.0.1:9', user_id: '@skav:localhost'}\n"
        f"database: {{path: {database}}}\n",
        encoding="utf-8",
    )
    return config


def test_doctor_reports_an_unreachable_server(tmp_path):
    config = unreachable_server_config(tmp_path, tmp_path / "skav.sqlite")
    result = skav("doctor", "--config", str(config))
    assert result.returncode == 1
    assert "ok   config" in result.stdout
    assert "ok   database" in result.stdout
    assert "ok   prompts" in result.stdout
    assert "FAIL server" in result.stdout


CALENDAR_2026 = """\
2026-01-01  torsdag  Nyårsdagen
2026-01-06  tisdag   Trettondedag jul
2026-04-03  fredag   Långfredagen
2026-04-06  måndag   Annandag påsk
2026-05-01  fredag   Första maj
2026-05-14  torsdag  Kristi himmelsfärdsdag
2026-06-19  fredag   Midsommarafton
2026-12-24  torsdag  Julafton
2026-12-25  fredag   Juldagen
2026-12-31  torsdag  Nyårsafton
"""


def test_calendar_lists_the_non_working_weekdays_of_a_year(tmp_path):
    """`skav calendar 2026` with no config: the Swedish default, one weekday off a line."""
    result = skav("calendar", "2026", env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == CALENDAR_2026


def test_calendar_follows_the_config(tmp_path):
    config = tmp_path / "skav.yaml"
    config.write_text(
        "calendar:\n  working_days: [mon, tue, wed, thu, fri, sat]\n  extra_days_off: [2026-12-28]\n", encoding="utf-8"
    )
    result = skav("calendar", "2026", "--config", str(config), env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "2026-06-06  lördag   Sveriges nationaldag" in lines
    assert "2026-12-28  måndag   Extra ledig dag" in lines
    assert len(lines) == 10 + 4 + 1

    config.write_text("calendar: {public_holidays: none}\n", encoding="utf-8")
    result = skav("calendar", "2026", "--config", str(config), env={"HOME": str(tmp_path)})
    assert result.returncode == 0 and result.stdout == ""


def test_calendar_refuses_a_broken_calendar_config(tmp_path):
    config = tmp_path / "skav.yaml"
    config.write_text("calendar: {working_hours: '17:00-08:00'}\n", encoding="utf-8")
    result = skav("calendar", "2026", "--config", str(config))
    assert result.returncode == 2
    assert "'calendar.working_hours'" in result.stderr and "Fatal error" not in result.stderr


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_csv_export_holds_no_live_formula(tmp_path):
    """An idea that starts like a formula is text in the CSV a spreadsheet opens (OWASP CSV injection):
    every cell that starts with = + - @ tab or CR gets a leading single quote; the JSON export stays raw."""
    import csv
    import io

    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_DATA_HOME": ""}
    hyperlink = '=HYPERLINK("http://evil.example/x";"Klicka här")'
    lines = f"{hyperlink}\nhoppa\n-2+3 @SUMMA(A1)\nskicka\n"
    result = skav(stdin=lines, env=env)
    assert result.returncode == 0, result.stderr
    assert "#1" in result.stdout

    out = tmp_path / "ideas.csv"
    exported = skav("ideas", "export", "--format", "csv", "--output", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    text = out.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert len(rows) == 2, rows
    header, row = rows
    assert len(row) == len(header)
    for name, cell in zip(header, row):
        first = cell.lstrip(" \n")[:1]
        assert first not in FORMULA_START or first == "", f"{name} is a live formula: {cell!r}"
    cells = dict(zip(header, row))
    assert cells["problem"] == "'" + hyperlink, "the text is kept behind the quote"
    assert cells["solution"] == "'-2+3 @SUMMA(A1)"
    assert cells["author"].startswith("'@") and cells["author"].endswith(":terminal")
    assert cells["number"] == "1"

    raw = skav("ideas", "export", "--format", "json", env=env)
    assert raw.returncode == 0, raw.stderr
    assert json.loads(raw.stdout)[0]["problem"] == hyperlink, "the JSON export is not a spreadsheet: raw"


def test_doctor_warns_about_a_database_open_to_others(tmp_path):
    """The database holds the access token: a 0644 file (or a 0755 folder) is named with the chmod to run."""
    data = tmp_path / "data"
    config = unreachable_server_config(tmp_path, data / "skav.sqlite")
    first = skav("doctor", "--config", str(config))
    assert "ok   file modes" in first.stdout, first.stdout
    db = data / "skav.sqlite"
    assert oct(db.stat().st_mode & 0o777) == "0o600" and oct(data.stat().st_mode & 0o777) == "0o700"

    db.chmod(0o644)
    data.chmod(0o755)
    result = skav("doctor", "--config", str(config))
    warn = [line for line in result.stdout.splitlines() if line.startswith("warn file modes")]
    assert warn, result.stdout
    assert f"chmod 600 {db}" in warn[0] and f"chmod 700 {data}" in warn[0]
    assert "FAIL server" in result.stdout, "the other checks run as before"


def test_exports_are_for_the_owner_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_DATA_HOME": ""}
    assert skav(stdin="Skrivaren är trasig\nklar\n", env=env).returncode == 0
    out = tmp_path / "ideas.csv"
    out.write_text("old")
    out.chmod(0o644)
    result = subprocess.run(
        ["sh", "-c", f"umask 022 && exec {skav_bin()} ideas export --format csv --output {out}"],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    db = home / ".local/share/skav/skav.sqlite"
    for path in [db, *db.parent.glob("skav.sqlite-*")]:
        assert oct(path.stat().st_mode & 0o777) == "0o600", path
    assert oct(db.parent.stat().st_mode & 0o777) == "0o700"
