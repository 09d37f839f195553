"""Crafted staff sheets read the way the staff import read them before ``lms.files`` (openpyxl's
read-only mode, then the importer's loop over every cell) and the way it reads them now
(``lms.files.intake``): CPU seconds and peak memory of a fresh process for each.

    .venv/bin/python bench/sheet_bombs.py

The old way runs under a 60 s CPU limit; "killed" means it was still going then. The table
goes to the "sheet_bombs" section of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402
from lms.config import PROJECT_ROOT  # noqa: E402
from tests.files.measure import measure  # noqa: E402

SHEETS = ("zip_bomb", "whole_grid", "sparse_rows", "wide_rows", "shared_strings_bomb",
          "too_many_rows", "laughs_in_strings", "deep_nesting")

#: lms/staff/importer.py's read_rows before lms.files, with openpyxl as it was called.
OLD = r"""
import io, json, resource, sys
import openpyxl
from tests.files import bombs

data = bombs.BOMBS[sys.argv[1]][1]()
usage = resource.getrusage(resource.RUSAGE_SELF)
start_peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
resource.setrlimit(resource.RLIMIT_CPU, (int(cpu) + 60, int(cpu) + 61))


def text(cell):
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


rows, blank_run = [], 0
try:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
        cells = list(row)
        if not any(text(cell) for cell in cells):
            blank_run += 1
            if blank_run > 500:
                break
            continue
        blank_run = 0
        rows.append((number, cells))
        if len(rows) > 5001:
            break
    outcome = "read %d rows" % len(rows)
except Exception as exc:
    outcome = "refused: %r" % exc
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpu_seconds": usage.ru_utime + usage.ru_stime - cpu,
                  "peak_growth_mb": (usage.ru_maxrss - start_peak) / 1024,
                  "outcome": outcome[:60]}))
"""


def old(name: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", OLD, name], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=600, check=False)
    if done.returncode:
        return {"cpu_seconds": 60.0, "peak_growth_mb": float("nan"),
                "outcome": f"killed (signal {-done.returncode})"}
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    lines = [
        "## Files in: crafted staff sheets, before and after lms.files",
        "",
        "Each crafted sheet (built by `tests/files/bombs.py`) is read in a fresh process the way "
        "the staff import read it before `lms.files` (openpyxl's read-only mode, then a loop "
        "over every cell; under a 60 s CPU limit, \"killed\" when it was still going) and the "
        "way it is read now (`lms.files.intake.read_table`). CPU seconds of that process; peak "
        "memory growth above where the process stood before the read. The target (the issue): "
        "every crafted file dealt with in under 1 s and 50 MB.",
        "",
        "| sheet | bytes | before: CPU s | before: peak +MB | before | now: CPU s "
        "| now: peak +MB | now |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    print("\n".join(lines[-2:]))
    for name in SHEETS:
        then, now = old(name), measure(name)
        line = (f"| {name} | {now['bytes']} | {then['cpu_seconds']:.2f} | "
                f"{then['peak_growth_mb']:.0f} | {str(then['outcome'])[:40]} | "
                f"{now['cpu_seconds']:.2f} | "
                f"{now['peak_growth_mb']:.1f} | {str(now['outcome'])[:50]} |")
        print(line, flush=True)
        lines.append(line)
    lines += ["", *report.footer({"openpyxl": _version("openpyxl"),
                                  "defusedxml": _version("defusedxml")})]
    report.write_section("sheet_bombs", "\n".join(lines))


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
