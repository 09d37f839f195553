"""Run one intake of a crafted file in a fresh Python process and measure it: CPU seconds and
how far the process's peak resident memory rose above where it stood just before.

A fresh process, because peak RSS only ever grows: in the test process the interpreter, the
app and earlier tests set a peak that would hide the intake's. The peak is reset right before
the intake (``/proc/self/clear_refs``, Linux) and read back from ``VmHWM``; RSS, unlike
tracemalloc, also counts what C code (expat, zlib, Pillow's decoders) allocates.

    PYTHONPATH=. python -m tests.files.measure          # every bomb, a table
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lms.config import PROJECT_ROOT

T = TypeVar("T")

CHILD = r"""
import json, re, resource, sys
from pathlib import Path

from lms.files import intake
from tests.files import bombs


def run(kind, data):
    try:
        if kind == "sheet":
            return "read %d rows" % sum(1 for _ in intake.read_table(data, max_rows=5000))
        reader = intake.read_image if kind == "image" else intake.read_pdf
        return "identified %r" % (reader(data),)
    except intake.Refused as exc:
        return "refused: %s" % exc


def status(field):
    return int(re.search(field + r":\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


kind, build = bombs.BOMBS[sys.argv[1]]
data = build()
for warm_kind, warm in (("sheet", bombs.workbook(bombs.worksheet(bombs.person_row(2)))),
                        ("image", bombs.png()), ("pdf", bombs.pdf())):
    run(warm_kind, warm)  # imports and first-call allocations are not the intake's
try:
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := RSS now
    start = status("VmRSS")
except OSError:
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime
outcome = run(kind, data)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "bytes": len(data),
    "outcome": outcome,
    "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu,
    "peak_growth_mb": (status("VmHWM") - start) / 1024,
    "peak_mb": status("VmHWM") / 1024,
}, ensure_ascii=False))
"""


def measure(name: str) -> dict[str, object]:
    """Build the bomb ``name`` (tests.files.bombs.BOMBS) in a child process and measure its
    intake there."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, name], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=300, check=False)
    if done.returncode:
        raise RuntimeError(f"measuring {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


if __name__ == "__main__":
    from tests.files.bombs import BOMBS

    print(f"{'file':22} {'bytes':>9} {'CPU s':>6} {'peak +MB':>8}  outcome")
    for bomb in BOMBS:
        found = measure(bomb)
        print(f"{bomb:22} {found['bytes']:>9} {found['cpu_seconds']:>6.2f} "
              f"{found['peak_growth_mb']:>8.1f}  {str(found['outcome'])[:90]}")


def in_process(run: Callable[[], T]) -> tuple[T, float, float]:
    """``run()``'s result, the CPU seconds it took and how far it raised this process's peak
    RSS, in MB (the peak is reset first; Linux). For code that needs this process, such as a
    request through the test client."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    Path("/proc/self/clear_refs").write_text("5")  # peak RSS := RSS now
    start = _status("VmRSS")
    result = run()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return result, usage.ru_utime + usage.ru_stime - cpu, (_status("VmHWM") - start) / 1024


def _status(field: str) -> int:
    """A field of /proc/self/status, in KB."""
    found = re.search(field + r":\s+(\d+)", Path("/proc/self/status").read_text())
    assert found is not None
    return int(found.group(1))
