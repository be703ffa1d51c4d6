"""Writes the link order of the release binary: the code that runs, together, at the front of `.text`.

    bash Tests/bench.sh --link-order

Why: the kernel maps a program's code in windows of 64 KiB around each page it runs (fault-around), so
code that runs, scattered among code that never does, makes most of the binary resident. Skav runs about
2.3 MiB of small functions and 3 MiB of larger blocks (the Swift standard library's, Foundation's) out of
20 MiB of code; laid out by module it kept 15 MiB resident, laid out by use about 6 MiB.

How: builds the production configuration (Tests/build-production.sh: static Swift libraries, a section per
function) with a link map, runs it under callgrind from its first instruction against the fake homeserver
(the capture dialog, then everyone writing `hjälp` at once: `callgrind_fake.py --from-start`), maps the
address of every instruction run to the input section that holds it, and writes into Sources/skav/link/:

- `hot.order`: one symbol for each section that ran (lld's `--symbol-ordering-file` moves the section
  that defines it): small sections first, grouped by object file, then the large ones, densest first;
- `hot-unnamed.ld`: the sections that ran but have no symbol to name them (closures' context destructors,
  `.L__unnamed_N`), by object file and section name, in a section of their own before `.text`.

Package.swift passes both to lld for release builds. A section that moved or is gone is skipped by the
linker: a stale order costs memory, never correctness. Rerun after large changes and commit the result.
"""

from __future__ import annotations

import argparse
import bisect
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = ROOT / "Sources" / "skav" / "link"
VENV = Path(os.environ.get("SKAV_VENV", Path.home() / ".cache" / "skav" / "venv"))
# Larger sections are whole objects' code (the toolchain's libraries are not built a function per section).
SMALL = 16 * 1024
MAP_LINE = re.compile(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+( *)(.*)")


# Valgrind maps a position-independent executable at this address on amd64; it reports the code outside the
# binary's `.text` section (the `.text.hot` of hot-unnamed.ld) as of an unknown object, at its mapped address.
VALGRIND_PIE_BASE = 0x108000


class Section:
    __slots__ = ("start", "size", "name", "output", "symbols", "ran")

    def __init__(self, start: int, size: int, name: str, output: str) -> None:
        self.start, self.size, self.name, self.output = start, size, name, output
        self.symbols: list[str] = []
        self.ran = 0


def text_sections(map_path: Path) -> list[Section]:
    """The input sections of the output sections `.text*` in an lld map (`-Map`, `--no-demangle`), by address.
    Columns: VMA, LMA, size, alignment, then the name indented 0 (output section), 8 (input section) or 16
    (symbol) places after one space."""
    sections: list[Section] = []
    inside = False
    output = ""
    with open(map_path, errors="replace") as f:
        for line in f:
            m = MAP_LINE.match(line)
            if not m:
                continue
            depth, label = len(m.group(3)), m.group(4).rstrip("\n")
            if depth == 1:
                inside = label == ".text" or label.startswith(".text.")
                output = label
            elif inside and depth == 9:
                sections.append(Section(int(m.group(1), 16), int(m.group(2), 16), label, output))
            elif inside and depth == 17 and sections:
                sections[-1].symbols.append(label)
    sections.sort(key=lambda s: s.start)
    return sections


def instructions_run(paths: list[str], binary_name: str) -> tuple[set[int], set[int]]:
    """Addresses of the instructions run, from callgrind output written with `--dump-instr=yes
    --compress-pos=no --compress-strings=no`: those of the binary (its own addresses, as valgrind reports
    them), and those of no known object (`ob=???`, at their mapped address)."""
    ours: set[int] = set()
    unknown: set[int] = set()
    for path in paths:
        into: set[int] | None = None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("ob="):
                    name = line[3:].strip()
                    into = ours if os.path.basename(name) == binary_name else unknown if name == "???" else None
                elif into is not None and line.startswith("0x"):
                    into.add(int(line.split(maxsplit=1)[0], 16))
    return ours, unknown


def object_pattern(input_section: str) -> tuple[str, str] | None:
    """(file pattern, section name) for a linker script, from a map's `path(member):(section)` or
    `path:(section)`. lld's script lexer splits names at spaces and punctuation, and takes a quoted pattern
    literally, so each character a glob may not spell bare matches as `?` (any one character); None for a
    section name with such a character."""
    m = re.match(r"(.*):\((.*)\)$", input_section)
    if not m:
        return None
    path, section = m.groups()
    archive = re.match(r"(.*)\(([^()]*)\)$", path)
    if archive:
        pattern = f"*{os.path.basename(archive.group(1))}:{archive.group(2)}"
    else:
        pattern = "*/" + "/".join(path.split("/")[-2:])
    if re.search(r"[^A-Za-z0-9_.$]", section):
        return None
    return re.sub(r"[^A-Za-z0-9_.$/~=+:*-]", "?", pattern), section


def write_order(sections: list[Section], out: Path) -> tuple[int, int, int, int]:
    ran = [s for s in sections if s.ran]
    named = [s for s in ran if s.symbols]
    small = sorted((s for s in named if s.size <= SMALL), key=lambda s: s.name)
    large = sorted((s for s in named if s.size > SMALL), key=lambda s: -s.ran / s.size)
    header = ("# Generated by `bash Tests/bench.sh --link-order` (Tests/bench/link_order.py): one symbol for each\n"
              "# section of code that ran in the profile, in the order lld lays them out. Do not edit.\n")
    (out / "hot.order").write_text(header + "".join(s.symbols[0] + "\n" for s in small + large))
    unnamed = [p for p in (object_pattern(s.name) for s in sorted(ran, key=lambda s: s.name) if not s.symbols) if p]
    script = [
        "/* Generated by `bash Tests/bench.sh --link-order` (Tests/bench/link_order.py): the sections of code",
        "   that ran in the profile and have no symbol for hot.order to name, kept together before .text.",
        "   Do not edit. */",
        "SECTIONS {",
        "  .text.hot : {",
        *(f"    {pattern}({section})" for pattern, section in unnamed),
        "  }",
        "} INSERT BEFORE .text;",
        "",
    ]
    (out / "hot-unnamed.ld").write_text("\n".join(script))
    return len(small), sum(s.size for s in small), len(large), sum(s.size for s in large)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default=None, help="folder for the build and the profiles (default: temporary)")
    parser.add_argument("--out", default=str(LINK), help="where to write hot.order and hot-unnamed.ld")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="skav-link-order-"))
    work.mkdir(parents=True, exist_ok=True)
    build = ROOT / ".build" / "production"  # Tests/build-production.sh's, with a link map: only the link differs
    link_map = work / "skav.map"
    print(f"[link-order] building the production configuration into {build}, with a link map", flush=True)
    # SwiftPM does not know the link reads the order files: without the binary it links again (and so writes
    # the map), also when nothing else changed.
    (build / "release" / "skav").unlink(missing_ok=True)
    subprocess.run(["bash", str(ROOT / "Tests" / "build-production.sh"),
                    "-Xlinker", f"-Map={link_map}", "-Xlinker", "--no-demangle"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = work / "skav"  # a copy: the next production build relinks in place
    shutil.copy2(build / "release" / "skav", binary)
    profiles = []
    for name, options in [("dialog", ["--people", "20", "--messages", "10", "--warmup", "3"]),
                          ("burst", ["--people", "200", "--messages", "5", "--warmup", "2", "--think-ms", "0",
                                     "--text", "hjälp"])]:
        out = work / name
        print(f"[link-order] profiling ({name}) under callgrind", flush=True)
        subprocess.run([str(VENV / "bin" / "python"), str(Path(__file__).parent / "callgrind_fake.py"),
                        "--from-start", "--out", str(out), *options],
                       env={**os.environ, "SKAV_BIN": str(binary)}, check=True)
        profiles += glob.glob(str(out / "callgrind.out.*"))
    sections = text_sections(link_map)
    starts = [s.start for s in sections]
    ours, unknown = instructions_run(profiles, "skav")
    if not ours:
        print("[link-order] no instruction of the binary in the profiles: nothing written", file=sys.stderr)
        return 1
    # Valgrind names the binary for code in its `.text` only; code it ran elsewhere (`.text.hot`) is unknown.
    # An unknown address that lands in `.text` once shifted is some other code's (the vDSO, a JIT's).
    runs = [(a, False) for a in ours] + [(a - VALGRIND_PIE_BASE, True) for a in unknown]
    for address, shifted in runs:
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < sections[i].start + sections[i].size:
            if not (shifted and sections[i].output == ".text"):
                sections[i].ran += 1
    hot = [s for s in sections if s.output != ".text"]
    if any(s.size for s in hot) and not any(s.ran for s in hot):
        # Valgrind's address for the binary is not the one assumed: the order would lose every such section.
        print(f"[link-order] no instruction ran in {hot[0].output}: is the binary still mapped at "
              f"{VALGRIND_PIE_BASE:#x} under valgrind? Nothing written", file=sys.stderr)
        return 1
    total = sum(s.size for s in sections)
    small, small_bytes, large, large_bytes = write_order(sections, Path(args.out))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)  # the profiles and a copy of the binary: about 150 MB
    ran = sum(s.ran for s in sections)
    print(f"[link-order] {ran:,} instructions ran in {small + large:,} of {len(sections):,} sections "
          f"({total / 2**20:.1f} MiB of code): {small:,} small ones ({small_bytes / 2**20:.1f} MiB) and "
          f"{large} large ({large_bytes / 2**20:.1f} MiB); written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
