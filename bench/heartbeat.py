"""Heartbeat benchmark: the verified-watching endpoint against a trivial Flask JSON endpoint.

On PostgreSQL, three apps served the same way (WORKERS one-worker gunicorn servers sharing a
port with SO_REUSEPORT, so connections spread evenly over the cores), side by side in one run:
  (a) a trivial Flask app answering a JSON POST with {"ok": true} (bench/trivial_app.py);
  (b) POST /api/v1/heartbeats of the real app: bearer token and playback checked and locked,
      the interval judged, coverage and the playback updated, the heartbeat logged, committed;
  (c) a raw probe (bench/raw_probe_app.py): bare WSGI and psycopg locking and writing one row,
      the least any heartbeat endpoint could do, to show what that alone costs.
A Node.js load generator (bench/heartbeat_load.mjs) keeps CONNECTIONS requests in flight on
keep-alive connections. In (b) every request is a heartbeat of one of VIEWERS simulated
learners playing a 45-minute video at 1× (each round has its own learners, who start at 0).
Each round runs a, b, c; the medians, the ratio b/a, the worst p99 of b, the CPU each request
cost, and the check that the seconds credited equal the seconds the viewers watched go to
docs/benchmarks.md. Target (issue 4): b/a ≥ 0.5, p99 < 50 ms at 32 clients, no errors,
credit = watching.

    .venv/bin/python bench/heartbeat.py [--seconds 15] [--rounds 3] [--connections 32]

Needs PostgreSQL (default postgresql+psycopg://postgres@127.0.0.1:5432/test, where a scratch
database is created and dropped), Node.js and Linux (/proc). Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
                   env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """``workers`` gunicorn servers of one worker each, all listening on ``port`` with
    SO_REUSEPORT, so that the kernel spreads the connections over the workers. (One gunicorn
    with ``workers`` workers shares one listening socket, and whichever worker is waiting in
    accept() when the load generator opens its keep-alive connections gets them: often nearly
    all 32, leaving one core to one GIL and the other idle, for either app.)"""
    servers = [subprocess.Popen(
        [GUNICORN, "-w", "1", "--threads", str(threads), "-b", f"127.0.0.1:{port}",
         "--reuse-port", "--log-level", "warning", target],
        cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    ) for _ in range(workers)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for server in servers:
            if server.poll() is not None:
                stop(servers)
                raise RuntimeError(server.stderr.read().decode() if server.stderr else "gunicorn")
        if all(_listening(server.pid) for server in servers):
            return servers
        time.sleep(0.2)
    stop(servers)
    raise RuntimeError(f"gunicorn did not listen on {port}")


def _listening(master: int) -> bool:
    """Whether the gunicorn ``master`` has a booted worker (so its socket is accepting)."""
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return bool(children.read_text().split())
    except OSError:
        return False


def stop(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU each of the processes ``pids`` has used so far (Linux /proc)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used in between, by processes alive at the end (some start during a run)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def server_pids(servers: list[subprocess.Popen[bytes]]) -> list[int]:
    """The gunicorn masters and their workers."""
    pids = []
    for server in servers:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        pids += [server.pid, *map(int, children)]
    return pids


def postgres_pids() -> list[int]:
    return [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit()
            and _name(d) == "postgres"]


def _name(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def load(port: int, path: str, viewers: list[dict[str, str]], seconds: int, connections: int,
         scratch: Path, servers: list[subprocess.Popen[bytes]]) -> dict:
    """One run of the load generator; adds the CPU milliseconds per answered request of the
    app servers, of PostgreSQL and of the load generator itself."""
    config = scratch / f"load-{secrets.token_hex(4)}.json"
    config.write_text(json.dumps({
        "port": port, "path": path, "concurrency": connections, "seconds": seconds,
        "warmup": 2, "viewers": [{"token": v["token"], "playback": v["playback"]}
                                 for v in viewers]}))
    app_before, database_before = cpu_seconds(server_pids(servers)), cpu_seconds(postgres_pids())
    load_before = _children_cpu()
    done = subprocess.run([NODE, str(LOAD), str(config)], capture_output=True, text=True,
                          timeout=seconds + 120, check=True)
    used = {
        "app": cpu_used(app_before, cpu_seconds(server_pids(servers))),
        "postgres": cpu_used(database_before, cpu_seconds(postgres_pids())),
        "load": _children_cpu() - load_before,
    }
    result = json.loads(done.stdout)
    for name, seconds_used in used.items():
        result[f"{name}_cpu_ms"] = 1000 * seconds_used / max(1, result["answered"])
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="measured length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="trivial, heartbeat, probe runs")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--viewers", type=int, default=5000, help="learners per heartbeat run")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn servers (one worker each) sharing the port")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, fresh_database("bench_heartbeat", Path(tmp)) as url:
        scratch = Path(tmp)
        print(f"seeding {args.rounds} × {args.viewers} learners with playbacks…")
        pools = seed(url, args.rounds, args.viewers)
        env = {"LMS_DATABASE_URL": url, "LMS_PRESENCE_MIN_SECONDS": "0"}
        served = {name: (port, start_gunicorn(target, port, args.workers, args.threads, env))
                  for name, target, port in [
                      ("trivial", "bench.trivial_app:app", free_port()),
                      ("heartbeat", "lms:create_app()", free_port()),
                      ("probe", "bench.raw_probe_app:app", free_port())]}
        runs: dict[str, list[dict]] = {name: [] for name in served}
        try:
            for round_ in range(args.rounds):
                viewers = pools[round_]
                # The probe writes the playbacks' sequence numbers: it runs after the heartbeats.
                for name, path in [("trivial", "/ping"), ("heartbeat", "/api/v1/heartbeats"),
                                   ("probe", "/probe")]:
                    report.wait_until_quiet()
                    port, servers = served[name]
                    run = load(port, path, viewers, args.seconds, args.connections, scratch,
                               servers)
                    if name == "heartbeat":
                        run["credited_seconds"] = credited(url, [v["user_id"] for v in viewers])
                    runs[name].append(run)
                beat = runs["heartbeat"][-1]
                print(f"round {round_ + 1}: " + ", ".join(
                    f"{name} {runs[name][-1]['rps']:.0f}/s" for name in runs)
                    + f"; heartbeat p99 {beat['p99_ms']:.1f} ms, credited "
                    f"{beat['credited_seconds']:.1f} s of {beat['watched_seconds']:.1f} s "
                    f"watched, verdicts {beat['verdicts']}")
        finally:
            stop([server for _, servers in served.values() for server in servers])

    body = describe(runs, args)
    print(body)
    if not args.no_write:
        report.write_section("heartbeat", body)
    return 0 if verdict(runs)[0] else 1


def median_rps(runs: list[dict]) -> float:
    return statistics.median(r["rps"] for r in runs)


def verdict(runs: dict[str, list[dict]]) -> tuple[bool, float, float]:
    ratio = median_rps(runs["heartbeat"]) / median_rps(runs["trivial"])
    worst_p99 = max(r["p99_ms"] for r in runs["heartbeat"])
    exact = all(abs(r["credited_seconds"] - r["watched_seconds"]) < 0.01 * r["viewers_started"]
                for r in runs["heartbeat"])
    errors = sum(r["errors"] for r in runs["heartbeat"] + runs["trivial"])
    return ratio >= 0.5 and worst_p99 < 50 and exact and errors == 0, ratio, worst_p99


def describe(runs: dict[str, list[dict]], args: argparse.Namespace) -> str:
    met, ratio, worst_p99 = verdict(runs)
    probe_ratio = median_rps(runs["probe"]) / median_rps(runs["trivial"])
    lines = [
        "## Heartbeats: the verified-watching endpoint vs a trivial Flask endpoint", "",
        f"{args.connections} clients on keep-alive connections, each run {args.seconds} s "
        f"after 2 s of warm-up, {args.workers} gunicorn servers of one worker × {args.threads} "
        "threads sharing the port (SO_REUSEPORT), the same for all three apps, on PostgreSQL. "
        f"Each round has its own {args.viewers} simulated learners playing a 45-minute video "
        "at 1× from 0.", "",
        "| run | app | req/s | ratio to trivial | p50 | p99 | errors "
        "| CPU ms/request: app · PostgreSQL · load generator | watched s | credited s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n in range(len(runs["trivial"])):
        base = runs["trivial"][n]["rps"]
        for name, label in [("trivial", "trivial Flask"), ("heartbeat", "**heartbeat**"),
                            ("probe", "raw probe")]:
            r = runs[name][n]
            credit = (f"{r['watched_seconds']:.1f} | {r['credited_seconds']:.1f}"
                      if name == "heartbeat" else "– | –")
            lines.append(
                f"| {n + 1} | {label} | {r['rps']:.0f} | {r['rps'] / base:.2f} "
                f"| {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['errors']} "
                f"| {r['app_cpu_ms']:.2f} · {r['postgres_cpu_ms']:.2f} · {r['load_cpu_ms']:.2f} "
                f"| {credit} |")
    lines += [
        "",
        f"**Median heartbeat/trivial ratio {ratio:.2f}** (target ≥ 0.5); worst heartbeat p99 "
        f"{worst_p99:.1f} ms (target < 50 ms). "
        + ("All targets met." if met else "**Targets not met.**")
        + f" The raw probe reached {probe_ratio:.2f}.",
        "",
        "- *trivial Flask* (bench/trivial_app.py) answers the same request body with "
        "{\"ok\": true}.",
        "- *heartbeat* is POST /api/v1/heartbeats of the real app with every check and the "
        "write: bearer token of an active learner, playback and progress locked, the interval "
        "judged, coverage, playback and log written, committed before the answer (in batches, "
        "see lms/watching/heartbeats.py).",
        "- *raw probe* (bench/raw_probe_app.py) is the least any heartbeat endpoint could do: "
        "bare WSGI on bare psycopg, one row locked and written, committed; no checks, no "
        "judging. What it reaches is what Python, gunicorn and a transaction per request cost "
        "on this machine before any of the endpoint's work.",
        "- *Watched* is what the simulated 1× players played, by the load generator's clock, up "
        "to each one's last answered heartbeat; *credited* is the sum of their verified coverage "
        "in the database afterwards.",
        "- CPU per request is read from /proc around each run (warm-up included) and divided by "
        "every answered request; the load generator, PostgreSQL and the servers share the same "
        "cores.",
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
