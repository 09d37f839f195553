"""What both benchmarks share: the machine they ran on, and their section of docs/benchmarks.md."""

from __future__ import annotations

import datetime
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
#: The sections, in the order they appear in the file.
SECTIONS = ("delivery", "transcode", "heartbeat", "exam", "sheet_bombs", "staff_table")

INTRO = """# Benchmarks

Measurements of the media path, made by the scripts in `bench/` on the machine described in
each section. Every script rewrites only its own section of this file (between its
`<!-- bench:NAME -->` markers), so the numbers below are the last run of each. Both scripts
use only 127.0.0.1, stop by themselves, and clean up their temporary files.

- [Delivery](#delivery-nginx-secure_link-vs-static-vs-the-app) (`bench/delivery.py`): does
  checking signed links in nginx cost anything next to plain static files, and what would the
  app sending the segments itself cost?
- [Transcoding](#transcoding-the-pipeline-vs-bare-ffmpeg) (`bench/transcode.py`): does the
  pipeline around ffmpeg (progress parsing, a timeout, nice) slow transcoding down?
"""


def command_output(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "not available"
    return (done.stdout + done.stderr).strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def operating_system() -> str:
    name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{name}, kernel {platform.release()} ({platform.machine()})"


def machine(tools: dict[str, str]) -> list[str]:
    """Markdown lines describing the machine; ``tools`` adds name → version rows."""
    cpus = command_output(["nproc"])
    lines = [
        "| | |",
        "| --- | --- |",
        f"| date | {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')} |",
        f"| `nproc` | {cpus} (os.cpu_count() {os.cpu_count()}) |",
        f"| CPU | {cpu_model()} |",
        f"| memory | {memory()} |",
        f"| OS | {operating_system()} |",
        f"| Python | {platform.python_version()} |",
    ]
    lines += [f"| {name} | {version} |" for name, version in tools.items()]
    return lines


def footer(tools: dict[str, str]) -> list[str]:
    """The machine and the command that reproduces the run, closing each section."""
    return ["Machine:", "", *machine(tools), "", "Reproduce:", "", "```sh", reproduce(), "```"]


def reproduce() -> str:
    """The command that ran this script, as one can paste it."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = script.relative_to(ROOT)
    except ValueError:
        shown = script
    args = " ".join(shlex.quote(a) for a in sys.argv[1:])
    return f"cd {ROOT} && .venv/bin/python {shown}{' ' + args if args else ''}"


def write_section(name: str, body: str) -> None:
    """Put ``body`` between this script's markers in docs/benchmarks.md, leaving the rest."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}\n"
    text = DOC.read_text() if DOC.exists() else INTRO
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        later = [f"<!-- bench:{s} -->" for s in SECTIONS[SECTIONS.index(name) + 1:]]
        at = min((text.index(m) for m in later if m in text), default=None)
        if at is None:
            text = text.rstrip("\n") + "\n\n" + block
        else:
            text = text[:at] + block + "\n" + text[at:]
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
    print(f"wrote the {name!r} section of {DOC.relative_to(ROOT)}")


# --- other processes: the machine is shared, so say how busy it was -------------------------

TICK = os.sysconf("SC_CLK_TCK")


def machine_user_seconds() -> float:
    """User-mode CPU seconds of the whole machine since boot (all processes, all CPUs)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return (int(fields[1]) + int(fields[2])) / TICK  # user + nice


def machine_busy_fraction(seconds: float = 1.0) -> float:
    """How busy the machine's CPUs are over ``seconds`` (0 idle, 1 all CPUs busy)."""
    def sample() -> tuple[int, int]:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def wait_until_quiet(limit: float = 0.10, max_wait: float = 180.0) -> float:
    """Wait (at most ``max_wait`` seconds) until other processes use less than ``limit`` of the
    machine; return how long that took. Call it while nothing of the benchmark is working."""
    started = time.monotonic()
    while machine_busy_fraction() >= limit and time.monotonic() - started < max_wait:
        pass
    return time.monotonic() - started


def tree_user_seconds(roots: list[int]) -> float:
    """User-mode CPU seconds of the processes ``roots`` and all their descendants."""
    parents: dict[int, int] = {}
    user: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        user[pid] = int(fields[11]) / TICK
    wanted = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                grew = True
    return sum(user.get(pid, 0.0) for pid in wanted)


def own_user_seconds() -> float:
    """User-mode CPU seconds of this process and its finished (waited-for) children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + children.ru_utime
