"""Transcoding benchmark: does the pipeline around ffmpeg slow it down?

A 60-second 1280x720 sample (ffmpeg's testsrc2 picture and a sine tone, made at the start of
the run by tests/media.py) is transcoded to the HLS ladder
  (a) by the project's pipeline, ``lms.courses.transcode.transcode()``: ffmpeg run by
      ``media_tools.run`` with its progress read line by line, stderr drained by a thread, a
      timeout timer, the poster made and the result verified afterwards;
  (b) by the identical ffmpeg argument list (``transcode.command()``) run directly with
      subprocess: output thrown away, nothing read, the same nice level.
Runs alternate, the order of each pair flipped every round (a b, b a, a b, …); the medians of
the wall times and their ratio a/b are written to docs/benchmarks.md. Target: a/b ≤ 1.05.

    .venv/bin/python bench/transcode.py [--runs 3] [--seconds 60] [--nice 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The app needs a key; without one it would write a development key into instance/.
os.environ.setdefault("LMS_SECRET_KEY", "bench-secret-key")

from bench import report  # noqa: E402
from lms import create_app  # noqa: E402
from lms.courses import media_tools, probe, transcode  # noqa: E402
from tests import media  # noqa: E402

SIZE = "1280x720"


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's finished children: ffmpeg."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare(args: list[str], nice: int, timeout: float) -> None:
    """(b): the argument list as it is, nothing read from the process."""
    subprocess.run(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,  # noqa: PLW1509
        check=True, timeout=timeout,
    )


def main() -> int:
    default_nice = int(os.environ.get("LMS_TRANSCODE_NICE", "10"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each, at least 3")
    parser.add_argument("--seconds", type=int, default=60, help="length of the sample")
    parser.add_argument("--nice", type=int, default=default_nice,
                        help="nice level of ffmpeg (default: LMS_TRANSCODE_NICE, "
                        f"{default_nice})")
    parser.add_argument("--no-write", action="store_true", help="print only")
    options = parser.parse_args()

    ffmpeg = media_tools.executable("ffmpeg")
    ffmpeg_version = report.command_output([ffmpeg, "-version"]).splitlines()[0]
    print(f"ffmpeg: {ffmpeg}\n        {ffmpeg_version}")

    with tempfile.TemporaryDirectory(prefix="lms-bench-transcode-") as tmp:
        work = Path(tmp)
        app = create_app({"SECRET_KEY": "bench-secret-key", "MEDIA_ROOT": work,
                          "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        started = time.monotonic()
        source = media.video(work / "sample.mp4", seconds=options.seconds, size=SIZE)
        made = time.monotonic() - started
        print(f"sample: {options.seconds} s {SIZE}, {source.stat().st_size:,} bytes, "
              f"made in {made:.1f} s")
        times: dict[str, list[float]] = {"a": [], "b": []}
        cpu_times: dict[str, list[float]] = {"a": [], "b": []}
        others_busy: dict[str, list[float]] = {"a": [], "b": []}
        with app.app_context():
            info = probe.probe(source, max_seconds=3600, max_bytes=1024**3)
            rungs = ", ".join(f"{r.short_side}p" for r in transcode.rungs_for(info))
            timeout = 600 + info.duration * 10
            command = transcode.command(source, work / "out", info)
            for round_ in range(options.runs):
                for variant in ("ab" if round_ % 2 == 0 else "ba"):
                    out = work / f"out-{variant}{round_}"
                    out.mkdir()
                    waited = report.wait_until_quiet()
                    before = children_cpu()
                    machine, own = report.machine_user_seconds(), report.own_user_seconds()
                    started = time.monotonic()
                    if variant == "a":
                        transcode.transcode(source, out, info, nice=options.nice)
                    else:
                        bare(transcode.command(source, out, info), options.nice, timeout)
                    elapsed = time.monotonic() - started
                    cpu = children_cpu() - before
                    others = (report.machine_user_seconds() - machine) - (
                        report.own_user_seconds() - own)
                    busy = max(0.0, others) / (elapsed * (os.cpu_count() or 1))
                    transcode.verify(out, info.duration)  # (b) did the same work
                    shutil.rmtree(out)
                    times[variant].append(elapsed)
                    cpu_times[variant].append(cpu)
                    others_busy[variant].append(busy)
                    print(f"round {round_ + 1} {variant}: {elapsed:.2f} s wall, "
                          f"{cpu:.2f} s ffmpeg CPU, other processes {busy:.0%} of the machine"
                          f"{f' (waited {waited:.0f} s for quiet)' if waited > 1.5 else ''}")
            # How much of (a) is the poster, which (b) does not make.
            poster_times = []
            for _ in range(3):
                started = time.monotonic()
                transcode.make_poster(source, work / "poster.jpg", info)
                poster_times.append(time.monotonic() - started)

    a, b = statistics.median(times["a"]), statistics.median(times["b"])
    ratio = a / b
    cpu_ratio = statistics.median(cpu_times["a"]) / statistics.median(cpu_times["b"])
    paired = [x / y for x, y in zip(times["a"], times["b"], strict=True)]
    poster = statistics.median(poster_times)
    verdict = "met" if ratio <= 1.05 else "NOT met"
    shown = " ".join(
        shlex.quote(arg.replace(ffmpeg, "ffmpeg").replace(str(work), "$TMP")) for arg in command
    )
    lines = [
        "## Transcoding: the pipeline vs bare ffmpeg",
        "",
        f"A {options.seconds} s {SIZE} 25 fps sample with a tone (testsrc2 + sine, "
        f"{info.size:,} bytes) transcoded to the ladder ({rungs}) at nice {options.nice}, "
        f"{options.runs} runs of each, alternating with the order of each pair flipped every "
        "round. (a) is `transcode.transcode()` as the job runs it, which also makes the poster "
        "and verifies the playlists; (b) is the same `transcode.command()` argument list run "
        "with `subprocess.run`, output discarded.",
        "",
        "| | median wall time | wall time of each run (s) | median ffmpeg CPU time "
        "| CPU time of each run (s) | other processes' CPU use during each run |",
        "| --- | ---: | --- | ---: | --- | --- |",
        *[
            f"| {label} | {statistics.median(times[v]):.2f} s | "
            + ", ".join(f"{t:.2f}" for t in times[v])
            + f" | {statistics.median(cpu_times[v]):.2f} s | "
            + ", ".join(f"{t:.2f}" for t in cpu_times[v]) + " | "
            + ", ".join(f"{x:.0%}" for x in others_busy[v]) + " |"
            for v, label in (("a", "(a) pipeline, `transcode()`"),
                             ("b", "(b) same ffmpeg command, bare"))
        ],
        "",
        f"Pair by pair (same round), a/b = {', '.join(f'{x:.3f}' for x in paired)} "
        f"(median {statistics.median(paired):.3f}). Each run starts once the machine has been "
        "below 10 % busy for a second; \"other processes\" is the user-mode CPU time the rest "
        "of the machine used during the run, as a share of all its CPUs: ffmpeg runs at nice "
        f"{options.nice}, so anything else running takes its CPU first and stretches its wall "
        "time (its CPU time stays put).",
        "",
        f"**a/b = {ratio:.3f}** on the median wall times (target ≤ 1.05: {verdict}); on the "
        f"median CPU time of the ffmpeg processes, a/b = {cpu_ratio:.3f}. Of (a), the poster "
        f"takes about {poster:.2f} s wall (median of 3 separate runs); without it a/b would be "
        f"{(a - poster) / b:.3f}. Transcoding speed: {info.duration / b:.1f}× real time.",
        "",
        f"ffmpeg: `{ffmpeg}` — {ffmpeg_version} (from `media_tools.executable(\"ffmpeg\")`).",
        "",
        "The command (paths shortened):",
        "",
        "```",
        shown,
        "```",
        "",
        *report.footer({"ffmpeg": ffmpeg_version}),
    ]
    body = "\n".join(lines)
    print(body)
    if not options.no_write:
        report.write_section("transcode", body)
    return 0 if ratio <= 1.05 else 1


if __name__ == "__main__":
    sys.exit(main())
