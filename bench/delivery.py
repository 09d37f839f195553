"""Delivery benchmark: what checking signed links in nginx costs, and what the app would cost.

On loopback, side by side in one run, wrk fetches the same rendition file
  (a) from nginx as a plain static file (a bench-only location, same settings, no link check),
  (b) from nginx through a signed /media/s/ link (deploy/nginx.conf as is: secure_link),
  (c) from the app itself under gunicorn (the embedded set-up: the app checks the link and
      sends the file),
for a 720p segment (the bulk of the bytes) and for the master playlist (where per-request cost
shows). Rounds alternate a, b, c; the medians and the ratios b/a and c/a are written to
docs/benchmarks.md. Target: b/a ≥ 0.9.

    .venv/bin/python bench/delivery.py [--seconds 10] [--rounds 3] [--connections 32]

Needs nginx with the secure_link module, wrk and openssl (Debian: apt-get install nginx wrk).
Only 127.0.0.1 is used; everything is stopped and removed at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The app needs a key; without one it would write a development key into instance/.
os.environ.setdefault("LMS_SECRET_KEY", "bench-secret-key")

from bench import report  # noqa: E402
from lms import create_app  # noqa: E402
from lms.auth.models import Role  # noqa: E402
from lms.courses import media_tools, probe, streaming, transcode  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.orgs.models import OrgKind  # noqa: E402
from tests import media  # noqa: E402
from tests.conftest import CSRF_INPUT  # noqa: E402
from tests.factories import PASSWORD, make_org, make_user  # noqa: E402
from tests.test_nginx import (  # noqa: E402
    NGINX,
    OPENSSL,
    free_port,
    nginx_with_secure_link,
    render,
    self_signed,
    start_nginx,
)

WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
GUNICORN_WORKERS = 2
SECRET = "bench-Media_secret-0123456789"
RENDITION = "renditions/1/r1"
FILES = {"segment": "v0/seg_00000.m4s", "playlist": "master.m3u8"}
TARGETS = {
    "a": "nginx, plain static file",
    "b": "nginx, signed link (secure_link)",
    "c": f"app under gunicorn ({GUNICORN_WORKERS} sync workers)",
}


def plain_location(media_root: Path) -> str:
    """(a): the media location of deploy/nginx.conf minus the link check."""
    return f"""
    # bench only: the same files as plain static files
    location /plain/ {{
        alias {media_root}/;
        types {{
            application/vnd.apple.mpegurl m3u8;
            video/iso.segment             m4s;
            video/mp4                     mp4;
            image/jpeg                    jpg;
        }}
        default_type application/octet-stream;
        add_header Cache-Control "private, max-age=3600";
        add_header X-Content-Type-Options nosniff;
        max_ranges 1;
        sendfile on;
        tcp_nopush on;
        open_file_cache max=10000 inactive=60s;
    }}
"""


@dataclass
class Result:
    requests_per_second: float
    mib_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    #: User-mode CPU of processes other than the benchmark's, as a share of the machine.
    others: float = 0.0


UNITS = {"B": 1 / 1024**2, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0, "TB": 1024.0**2}
TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, seconds: int, connections: int, threads: int, cookie: str = "") -> Result:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    done = subprocess.run(
        [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *headers, url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )
    out = done.stdout

    def number(pattern: str) -> re.Match[str]:
        found = re.search(pattern, out)
        if not found:
            raise RuntimeError(f"unexpected wrk output:\n{out}\n{done.stderr}")
        return found

    rps = float(number(r"Requests/sec:\s+([\d.]+)")[1])
    transfer = number(r"Transfer/sec:\s+([\d.]+)([KMGT]?B)")
    p50 = number(r"50%\s+([\d.]+)(us|ms|s|m)\b")
    p99 = number(r"99%\s+([\d.]+)(us|ms|s|m)\b")
    total = int(number(r"(\d+) requests in")[1])
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors += int(non2xx[1]) if non2xx else 0
    return Result(
        rps, float(transfer[1]) * UNITS[transfer[2]],
        float(p50[1]) * TIME_UNITS[p50[2]], float(p99[1]) * TIME_UNITS[p99[2]], total, errors,
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {port} within 30 s") from None
            time.sleep(0.05)


def fetch(url: str, cookie: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers["Content-Type"], response.read()


def make_learner(database_url: str) -> tuple[int, str]:
    """A learner in the scratch database: (user id, resident ID number)."""
    app = create_app({"SECRET_KEY": "bench-secret-key", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        district = make_org(OrgKind.district, "环翠区")
        department = make_org(OrgKind.department, "威海市卫生健康委员会")
        unit = make_org(OrgKind.unit, "威海市立医院", district=district, department=department)
        learner = make_user(Role.learner, unit=unit, name="张伟")
        db.session.commit()
        found = (learner.id, learner.id_number)
        db.engine.dispose()
    return found


def log_in(base: str, id_number: str) -> str:
    """Log in through the login form; the Cookie header of that browser."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{base}/login", timeout=30) as page:
        token = CSRF_INPUT.search(page.read().decode())
    assert token, "no CSRF token on /login"
    form = urllib.parse.urlencode(
        {"csrf_token": token[1], "id_number": id_number, "password": PASSWORD}).encode()
    with browser.open(f"{base}/login", data=form, timeout=30) as page:
        page.read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "lms_session=" in cookies, "login failed"
    return cookies


def version(args: list[str]) -> str:
    return report.command_output(args).splitlines()[0] if Path(args[0]).exists() else "missing"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="a, b, c runs per file")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    options = parser.parse_args()

    missing = [name for name, ok in [
        (f"nginx with secure_link ({NGINX})", nginx_with_secure_link(NGINX)),
        (f"wrk ({WRK})", Path(WRK).exists()), (f"openssl ({OPENSSL})", Path(OPENSSL).exists()),
        (f"gunicorn ({GUNICORN})", Path(GUNICORN).exists()),
    ] if not ok]
    if missing:
        print("missing: " + ", ".join(missing) + " (Debian: apt-get install nginx wrk openssl)")
        return 2

    with tempfile.TemporaryDirectory(prefix="lms-bench-delivery-") as tmp:
        work = Path(tmp)
        media_root = work / "media"
        out = media_root / RENDITION
        out.mkdir(parents=True)
        env = {
            **os.environ, "LMS_ENV": "development", "LMS_SECRET_KEY": "bench-secret-key",
            "LMS_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
            "LMS_MEDIA_ROOT": str(media_root), "LMS_MEDIA_SECRET": SECRET,
            "LMS_MEDIA_DELIVERY": "app",
        }
        app = create_app({"SECRET_KEY": "bench-secret-key", "MEDIA_ROOT": media_root,
                          "MEDIA_SECRET": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        print("making a 12 s 1280x720 video and its renditions with the project's pipeline…")
        source = media.video(work / "source.mp4", seconds=12, size="1280x720")
        with app.app_context():
            info = probe.probe(source, max_seconds=3600, max_bytes=1024**3)
            transcode.transcode(source, out, info)
        sizes = {kind: (out / file).stat().st_size for kind, file in FILES.items()}

        print("migrating a scratch database with one learner and starting gunicorn…")
        subprocess.run([str(Path(sys.executable).parent / "lms"), "db", "upgrade"], env=env,
                       cwd=ROOT, check=True, capture_output=True, timeout=120)
        user_id, id_number = make_learner(env["LMS_DATABASE_URL"])
        expires = int(time.time()) + 24 * 3600
        with app.app_context():
            sig = streaming.signature(expires, user_id, RENDITION)
        app_port, nginx_port, redirect_port = free_port(), free_port(), free_port()
        gunicorn = subprocess.Popen(
            [GUNICORN, "-w", str(GUNICORN_WORKERS), "-b", f"127.0.0.1:{app_port}",
             "--log-level", "warning", "lms:create_app()"],
            env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )
        nginx = None
        try:
            wait_for_port(app_port, gunicorn, "gunicorn")
            # The learner's own browser: the app serves a link only in its learner's login.
            cookie = log_in(f"http://127.0.0.1:{app_port}", id_number)
            cert, key = self_signed(work)
            (work / "nginx").mkdir()
            site = render(media_root=media_root, secret=SECRET, certificate=cert, key=key,
                          ports={443: nginx_port, 80: redirect_port}, upstream_port=app_port,
                          tls=False, extra=plain_location(media_root))
            nginx = start_nginx(work / "nginx", site, [nginx_port, redirect_port],
                                workers=os.cpu_count() or 1)
            link = f"/media/s/{sig}/{expires}/{user_id}/{RENDITION}/"
            urls = {
                kind: {
                    "a": f"http://127.0.0.1:{nginx_port}/plain/{RENDITION}/{file}",
                    "b": f"http://127.0.0.1:{nginx_port}{link}{file}",
                    "c": f"http://127.0.0.1:{app_port}{link}{file}",
                }
                for kind, file in FILES.items()
            }
            for kind, by_target in urls.items():
                expected = (out / FILES[kind]).read_bytes()
                media_type = streaming.MEDIA_TYPES[Path(FILES[kind]).suffix]
                for target, url in by_target.items():
                    status, content_type, body = fetch(url, cookie)
                    assert (status, content_type, body) == (200, media_type, expected), (
                        target, url, status, content_type, len(body))

            results: dict[str, dict[str, list[Result]]] = {
                kind: {t: [] for t in TARGETS} for kind in FILES
            }
            for kind, by_target in urls.items():
                for url in by_target.values():  # warm up: caches, gunicorn workers, nginx
                    wrk(url, 2, options.connections, options.threads, cookie)
                order = list(by_target)
                for round_ in range(options.rounds):
                    # a → b → c, then b → c → a, …: no target always follows the same one.
                    shift = round_ % len(order)
                    for target in order[shift:] + order[:shift]:
                        url = by_target[target]
                        waited = report.wait_until_quiet()
                        servers = [nginx.process.pid, gunicorn.pid]
                        machine = report.machine_user_seconds()
                        ours = report.tree_user_seconds(servers) + report.own_user_seconds()
                        result = wrk(url, options.seconds, options.connections, options.threads,
                                     cookie)
                        others = (report.machine_user_seconds() - machine) - (
                            report.tree_user_seconds(servers) + report.own_user_seconds() - ours)
                        result.others = max(0.0, others) / (options.seconds * (os.cpu_count() or 1))
                        results[kind][target].append(result)
                        print(f"{kind:8} round {round_ + 1} {target}: "
                              f"{result.requests_per_second:10.0f} req/s "
                              f"{result.mib_per_second:9.1f} MiB/s  errors {result.errors}  "
                              f"other processes {result.others:.0%}"
                              f"{f' (waited {waited:.0f} s for quiet)' if waited > 1.5 else ''}")
        finally:
            if nginx is not None:
                nginx.stop()
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait()

    tools = {
        "nginx": version([NGINX, "-v"]),
        "wrk": version([WRK, "-v"]),
        "gunicorn": version([GUNICORN, "--version"]),
        "ffmpeg (made the files)": version([media_tools.executable("ffmpeg"), "-version"]),
    }
    body = describe(results, sizes, options, tools)
    print(body)
    if not options.no_write:
        report.write_section("delivery", body)
    ratio = statistics.median(r.requests_per_second for r in results["segment"]["b"]) / (
        statistics.median(r.requests_per_second for r in results["segment"]["a"]))
    return 0 if ratio >= 0.9 else 1


def describe(results: dict[str, dict[str, list[Result]]], sizes: dict[str, int],
             options: argparse.Namespace, tools: dict[str, str]) -> str:
    lines = [
        "## Delivery: nginx secure_link vs static vs the app",
        "",
        f"wrk, {options.threads} threads, {options.connections} connections, "
        f"{options.seconds} s per run, {options.rounds} rounds after a 2 s warm-up of each "
        "target, the order rotating each round (a → b → c, b → c → a, c → a → b, …); figures "
        "are medians of the rounds. nginx runs deploy/nginx.conf as "
        "shipped (placeholders filled, listening on 127.0.0.1 over plain HTTP so that TLS "
        f"does not hide the cost of the check; `worker_processes {os.cpu_count()}`, access log "
        "off), the app runs under gunicorn as in production but without nginx in front "
        "(`LMS_MEDIA_DELIVERY=app`, SQLite). Every request carries the learner's login "
        "cookie (the app checks it; nginx ignores it). Client and servers share the "
        "machine's CPUs. Each run starts once the machine has been below 10 % busy for a "
        "second; \"other processes\" is the user-mode CPU time used during the run by "
        "processes other than wrk, nginx and gunicorn, as a share of all CPUs (the machine is "
        "shared). For the segment the bytes dominate the cost; for the playlist the work "
        "done per request shows (for (b): the location regex, base64 decoding and MD5 of "
        "the link). The app checks the signature and the learner's login (a database read) "
        "in Python for every request, and gunicorn's sync workers close the connection after "
        "each response, so wrk reconnects every time.",
        "",
        "| target | |",
        "| --- | --- |",
        *[f"| ({t}) | {label} |" for t, label in TARGETS.items()],
        "",
    ]
    for kind, per_target in results.items():
        medians = {
            t: (statistics.median(r.requests_per_second for r in runs),
                statistics.median(r.mib_per_second for r in runs),
                statistics.median(r.p50_ms for r in runs),
                statistics.median(r.p99_ms for r in runs),
                sum(r.errors for r in runs))
            for t, runs in per_target.items()
        }
        a = medians["a"]
        lines += [
            f"### {kind}: `{FILES[kind]}`, {sizes[kind]:,} bytes",
            "",
            "| target | requests/s | MiB/s | latency p50 | p99 | errors | vs (a) | each run "
            "(req/s) | other processes' CPU use during each run |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for t, (rps, mib, p50, p99, errors) in medians.items():
            runs = ", ".join(f"{r.requests_per_second:.0f}" for r in per_target[t])
            others = ", ".join(f"{r.others:.0%}" for r in per_target[t])
            lines.append(
                f"| ({t}) {TARGETS[t]} | {rps:,.0f} | {mib:,.1f} | {p50:.2f} ms | {p99:.2f} ms "
                f"| {errors} | {rps / a[0]:.3f} | {runs} | {others} |"
            )
        b_a, c_a = medians["b"][0] / a[0], medians["c"][0] / a[0]
        paired = {t: [r.requests_per_second / ra.requests_per_second
                      for r, ra in zip(per_target[t], per_target["a"], strict=True)]
                  for t in ("b", "c")}
        verdict = ""
        if kind == "segment":
            verdict = " (target ≥ 0.9: met)" if b_a >= 0.9 else " (target ≥ 0.9: NOT met)"
        lines += [
            "",
            f"Ratios of the medians (requests/s): **b/a = {b_a:.3f}**{verdict}, "
            f"**c/a = {c_a:.3f}**. Round by round, b/a = "
            + ", ".join(f"{x:.3f}" for x in paired["b"])
            + f" (median {statistics.median(paired['b']):.3f}); c/a = "
            + ", ".join(f"{x:.3f}" for x in paired["c"])
            + f" (median {statistics.median(paired['c']):.3f}).",
            "",
        ]
    lines += report.footer(tools)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
