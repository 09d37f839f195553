"""Heartbeat benchmark: the verified-watching endpoint against a trivial Flask JSON endpoint.

On PostgreSQL, both served by gunicorn with the same workers, side by side in one run:
  (a) a trivial Flask app answering a JSON POST with {"ok": true} (bench/trivial_app.py);
  (b) POST /api/v1/heartbeats of the real app: bearer token and playback checked and locked in
      one query, the interval judged, coverage and the playback updated, the heartbeat logged,
      committed.
A Node.js load generator (bench/heartbeat_load.mjs) keeps CONNECTIONS requests in flight on
keep-alive connections. In (b) every request is a heartbeat of one of VIEWERS simulated
learners playing a 45-minute video at 1× (each round has its own learners, who start at 0).
Rounds alternate a and b; the medians, the ratio b/a, the worst p99 of b and the check that
the seconds credited equal the seconds the viewers watched go to docs/benchmarks.md.
Target (issue 4): b/a ≥ 0.5, p99 < 50 ms at 32 clients, no errors, credit = watching.

    .venv/bin/python bench/heartbeat.py [--seconds 15] [--rounds 3] [--connections 32]

Needs PostgreSQL (default postgresql+psycopg://postgres@127.0.0.1:5432/test, where a scratch
database is created and dropped) and Node.js. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LMS_SECRET_KEY", "bench-secret-key")
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
os.environ.setdefault("LMS_TEST_DATABASE_URL", DEFAULT_SERVER)

import flask_migrate  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import report  # noqa: E402
from lms import create_app  # noqa: E402
from lms.auth import tokens  # noqa: E402
from lms.auth.models import AccountState, ApiToken, Role, RoleAssignment, User  # noqa: E402
from lms.courses.models import Category, Course, CourseStatus, Video, VideoState  # noqa: E402
from lms.db import utcnow  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.orgs.models import Organisation, OrgKind  # noqa: E402
from lms.watching.models import Playback, VideoProgress  # noqa: E402
from tests.databases import fresh_database  # noqa: E402

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
NODE = "node"
LOAD = ROOT / "bench" / "heartbeat_load.mjs"
VIDEO_SECONDS = 45 * 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(database_url: str, pools: int, viewers: int) -> list[list[dict[str, str]]]:
    """A published course with one 45-minute video, and ``pools`` groups of ``viewers``
    learners, each with a bearer token and a playback of it started."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        district = Organisation(kind=OrgKind.district, name="环翠区")
        department = Organisation(kind=OrgKind.department, name="卫健委")
        unit = Organisation(kind=OrgKind.unit, name="威海市立医院", district=district,
                            department=department)
        provider = Organisation(kind=OrgKind.provider, name="继续教育基地", district=district)
        course = Course(title="基准课程", category=Category.professional, provider=provider,
                        status=CourseStatus.published, published_at=utcnow())
        video = Video(title="第1讲", original_filename="1.mp4", size=1, received=1,
                      state=VideoState.ready, duration_seconds=VIDEO_SECONDS, rendition="r/1")
        course.videos.append(video)
        db.session.add_all([unit, course])
        db.session.flush()
        now = utcnow()
        groups = []
        for pool in range(pools):
            rows = [{"id_number": f"B{pool:02d}{n:07d}", "name": "学员", "password_hash": "!",
                     "state": AccountState.active, "unit_id": unit.id, "created_at": now,
                     "must_change_password": False} for n in range(viewers)]
            ids = db.session.scalars(sa.insert(User).returning(User.id), rows).all()
            group = []
            for user_id in ids:
                group.append({"token": tokens.new_token(), "playback": tokens.new_token(),
                              "user_id": user_id})
            db.session.execute(sa.insert(RoleAssignment), [
                {"user_id": g["user_id"], "role": Role.learner, "granted_at": now}
                for g in group])
            db.session.execute(sa.insert(ApiToken), [
                {"user_id": g["user_id"], "token_hash": tokens.digest(g["token"]),
                 "created_at": now, "expires_at": now + timedelta(days=1)} for g in group])
            db.session.execute(sa.insert(VideoProgress), [
                {"user_id": g["user_id"], "video_id": video.id, "coverage": [], "covered": 0.0,
                 "position": 0.0, "updated_at": now} for g in group])
            db.session.execute(sa.insert(Playback), [
                {"user_id": g["user_id"], "video_id": video.id,
                 "token_hash": tokens.digest(g["playback"]), "duration": float(VIDEO_SECONDS),
                 "started_at": now, "last_beat_at": now, "position": 0.0, "watching": False,
                 "slack": app.config["WATCH_GRACE_SECONDS"], "credited": 0.0, "last_seq": 0,
                 "presence_due": None} for g in group])
            groups.append(group)
        db.session.commit()
        db.engine.dispose()
    return groups


def credited(database_url: str, user_ids: list[int]) -> float:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.coalesce(sa.func.sum(VideoProgress.covered), 0.0))
            .where(VideoProgress.user_id.in_(user_ids))
        ).scalar_one()
    engine.dispose()
    return float(total)


def start_gunicorn(target: str, port: int, workers: int, threads: int,
                   env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [GUNICORN, "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", target],
        cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "gunicorn")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def load(port: int, path: str, viewers: list[dict[str, str]], seconds: int, connections: int,
         scratch: Path) -> dict:
    config = scratch / f"load-{secrets.token_hex(4)}.json"
    config.write_text(json.dumps({
        "port": port, "path": path, "concurrency": connections, "seconds": seconds,
        "warmup": 2, "viewers": [{"token": v["token"], "playback": v["playback"]}
                                 for v in viewers]}))
    done = subprocess.run([NODE, str(LOAD), str(config)], capture_output=True, text=True,
                          timeout=seconds + 120, check=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="measured length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="a, b runs")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--viewers", type=int, default=5000, help="learners per heartbeat run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, fresh_database("bench_heartbeat", Path(tmp)) as url:
        scratch = Path(tmp)
        print(f"seeding {args.rounds} × {args.viewers} learners with playbacks…")
        pools = seed(url, args.rounds, args.viewers)
        app_port, trivial_port = free_port(), free_port()
        env = {"LMS_DATABASE_URL": url, "LMS_PRESENCE_MIN_SECONDS": "0"}
        servers = [
            start_gunicorn("lms:create_app()", app_port, args.workers, args.threads, env),
            start_gunicorn("bench.trivial_app:app", trivial_port, args.workers, args.threads,
                           env),
        ]
        runs: dict[str, list[dict]] = {"trivial": [], "heartbeat": []}
        try:
            for round_ in range(args.rounds):
                report.wait_until_quiet()
                trivial = load(trivial_port, "/ping", pools[round_], args.seconds,
                               args.connections, scratch)
                runs["trivial"].append(trivial)
                report.wait_until_quiet()
                beat = load(app_port, "/api/v1/heartbeats", pools[round_], args.seconds,
                            args.connections, scratch)
                beat["credited_seconds"] = credited(url, [v["user_id"] for v in pools[round_]])
                runs["heartbeat"].append(beat)
                print(f"round {round_ + 1}: trivial {trivial['rps']:.0f}/s, heartbeat "
                      f"{beat['rps']:.0f}/s p99 {beat['p99_ms']:.1f} ms, credited "
                      f"{beat['credited_seconds']:.1f} s of {beat['watched_seconds']:.1f} s "
                      f"watched, verdicts {beat['verdicts']}")
        finally:
            for server in servers:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    body = describe(runs, args)
    print(body)
    if not args.no_write:
        report.write_section("heartbeat", body)
    return 0 if verdict(runs)[0] else 1


def verdict(runs: dict[str, list[dict]]) -> tuple[bool, float, float]:
    ratio = (statistics.median(r["rps"] for r in runs["heartbeat"])
             / statistics.median(r["rps"] for r in runs["trivial"]))
    worst_p99 = max(r["p99_ms"] for r in runs["heartbeat"])
    exact = all(abs(r["credited_seconds"] - r["watched_seconds"]) < 0.01 * r["viewers_started"]
                for r in runs["heartbeat"])
    errors = sum(r["errors"] for r in runs["heartbeat"] + runs["trivial"])
    return ratio >= 0.5 and worst_p99 < 50 and exact and errors == 0, ratio, worst_p99


def describe(runs: dict[str, list[dict]], args: argparse.Namespace) -> str:
    met, ratio, worst_p99 = verdict(runs)
    lines = [
        "## Heartbeats: the verified-watching endpoint vs a trivial Flask endpoint", "",
        f"{args.connections} clients on keep-alive connections, each run {args.seconds} s "
        f"after 2 s of warm-up, gunicorn with {args.workers} workers × {args.threads} threads "
        "for both, on PostgreSQL. Each heartbeat run has its own "
        f"{args.viewers} simulated learners playing a 45-minute video at 1× from 0.", "",
        "| run | trivial req/s | heartbeat req/s | ratio | heartbeat p50 | heartbeat p99 "
        "| errors | watched s | credited s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, (t, b) in enumerate(zip(runs["trivial"], runs["heartbeat"], strict=True), 1):
        lines.append(
            f"| {n} | {t['rps']:.0f} | {b['rps']:.0f} | {b['rps'] / t['rps']:.2f} "
            f"| {b['p50_ms']:.1f} ms | {b['p99_ms']:.1f} ms | {t['errors'] + b['errors']} "
            f"| {b['watched_seconds']:.1f} | {b['credited_seconds']:.1f} |")
    lines += [
        "",
        f"**Median heartbeat/trivial ratio {ratio:.2f}** (target ≥ 0.5); worst heartbeat p99 "
        f"{worst_p99:.1f} ms (target < 50 ms). "
        + ("All targets met." if met else "**Targets not met.**"),
        "",
        "Watched is what the simulated 1× players played, by the load generator's clock, up to "
        "each one's last answered heartbeat; credited is the sum of their verified coverage in "
        "the database afterwards. The trivial app (bench/trivial_app.py) answers the same "
        "request body with {\"ok\": true}; the load generator and PostgreSQL share the same "
        "two cores with the servers in both.",
        "",
        *report.footer({
            "gunicorn": report.command_output([GUNICORN, "--version"]).splitlines()[0],
            "Node.js": report.command_output([NODE, "--version"]),
            "PostgreSQL": report.command_output(["psql", "--version"]),
        }),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
