"""The unit's staff table (issue: the unit's view of its staff's year): the page request over a
unit of 5,000 staff, and the peak memory of the full-ID Excel export of 5,000 and 50,000 staff.

On a scratch PostgreSQL database (``bench_staff``, created and dropped here): a unit of STAFF
staff and one of BIG staff, each staff member an active learner with ~30 learning records in
the year looked at (six public compulsory, three public elective, 21 professional; every
fifth person has one revoked) and 10 in the year before; about half complete the year. The
big unit's 1.5 million rows sit in the same table, so the small unit's query has to find its
own.

Part 1, the page: GET /record/units/<id>?year=… through the app (Flask's test client, with
the unit reviewer's login session and cookie), sorted by completion over all staff, with the
counts of complete and incomplete; and the other sorts and filters. Median of RUNS runs after
one warm-up. Target: under 1 s. Timed twice in the same run on the same database: with the
index ``ix_learning_records_counted_year_user`` as migration 0015 makes it (as the app ships),
then, as the baseline, with that index dropped (DROP INDEX in the bench database; made again
afterwards from its own definition).

Part 2, the export: ``lms.records.standing.export_staff`` of each unit, each run in a fresh
child process: its wall-clock time, its own CPU time (the client's: openpyxl and the rows; the
machine is shared, so wall time also counts waiting for a CPU), and the growth of its peak RSS
(``VmHWM``, reset by writing 5 to /proc/self/clear_refs just before the export) over its RSS
then (app made, database connected). Next to it, in another fresh process, the streamed query
alone (``standing.staff_rows``, the same server-side cursor, rows read and dropped). Medians of
EXPORT_RUNS runs. Target: 50,000 rows grow the peak less than 20 MB more than 5,000 do. And the
plan of the streamed query as PostgreSQL makes it for a cursor (``EXPLAIN DECLARE``), under
``cursor_tuple_fraction`` 0.1 (the default, fast-start plans favoured) and 1.0: are they the same?

    .venv/bin/python bench/staff_table.py [--staff 5000] [--big 50000] [--runs 7] [--export-runs 3]

Needs PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:5432 (LMS_BENCH_SERVER_URL).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LMS_SECRET_KEY", "bench-secret-key")

import flask_migrate  # noqa: E402
import openpyxl  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import report  # noqa: E402
from lms import create_app  # noqa: E402
from lms.auth import tokens  # noqa: E402
from lms.auth.idcard import check_character  # noqa: E402
from lms.auth.models import AccountState, LoginSession, Role, RoleAssignment, User  # noqa: E402
from lms.auth.passwords import hash_password  # noqa: E402
from lms.db import utcnow  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.orgs.models import Organisation, OrgKind  # noqa: E402

SERVER = os.environ.get("LMS_BENCH_SERVER_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DATABASE = "bench_staff"
YEAR = 2026
PAGE_TARGET_S = 1.0
MEMORY_TARGET_MB = 20.0
#: The index this benchmark weighs (migration 0015): the year's counted rows of each person,
#: with what the sums read, so the group-by reads the index alone. Dropped in the bench database
#: for the baseline, then made again from its definition as the migration left it.
INDEX = "ix_learning_records_counted_year_user"
#: Page requests timed: (what, query string).
PAGES = [
    ("by completion (the default), page 1", ""),
    ("by completion, page 50", "&page=50"),
    ("by total, most first", "&sort=total&dir=desc"),
    ("by name", "&sort=name"),
    ("incomplete only, by professional", "&status=incomplete&sort=professional"),
    ("name search", "&q=员工12"),
]

EXPORT = r"""
import json, sys, time
from bench.staff_table import DATABASE, url_of
from lms import create_app
from lms.auth.models import User
from lms.extensions import db
from lms.orgs.models import Organisation
from lms.records import standing
import sqlalchemy as sa


def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024


what = sys.argv[1]
unit_id, admin_id, year = (int(a) for a in sys.argv[2:5])
app = create_app({"SQLALCHEMY_DATABASE_URI": url_of(DATABASE)})
with app.app_context():
    admin = db.session.get(User, admin_id)
    unit = db.session.get(Organisation, unit_id)
    admin.roles  # loaded before the measure, as a login does
    db.session.execute(sa.text("SELECT 1"))
    query = standing.StaffQuery(year=year)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak (VmHWM) starts again from here
    before = status("VmRSS")
    began, cpu = time.perf_counter(), time.process_time()
    if what == "export":
        size = len(standing.export_staff(admin, unit, query))
    else:  # the streamed query alone
        size = sum(1 for _ in standing.staff_rows(unit, query))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    peak = status("VmHWM")
    db.session.rollback()
print(json.dumps({"growth_mb": peak - before, "before_mb": before, "seconds": seconds,
                  "cpu_seconds": cpu, "size": size}))
"""


def url_of(database: str) -> str:
    return sa.make_url(SERVER).set(database=database).render_as_string(hide_password=False)


def id_number(n: int) -> str:
    first17 = f"371002{date(1960, 1, 1) + timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def create_database() -> None:
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
    admin.dispose()


def drop_database() -> None:
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin.dispose()


def seed(app: object, staff: int, big: int) -> dict[str, int]:
    """The two units and their staff, a reviewer of the small one, a city admin; the records."""
    started = time.monotonic()
    password = hash_password("Bench4horse")
    district = Organisation(kind=OrgKind.district, name="环翠区")
    department = Organisation(kind=OrgKind.department, name="卫健委")
    unit = Organisation(kind=OrgKind.unit, name="威海市立医院", district=district,
                        department=department)
    big_unit = Organisation(kind=OrgKind.unit, name="威海市大型单位", district=district,
                            department=department)
    db.session.add_all([unit, big_unit])
    db.session.flush()
    serial = iter(range(10**6))

    def people(unit_id: int | None, count: int, prefix: str) -> list[int]:
        rows = [{"id_number": id_number(next(serial)), "name": f"{prefix}{n:05d}",
                 "password_hash": password, "state": AccountState.active, "unit_id": unit_id,
                 "must_change_password": False} for n in range(count)]
        ids = list(db.session.scalars(sa.insert(User).returning(User.id), rows))
        db.session.execute(sa.insert(RoleAssignment),
                           [{"user_id": i, "role": Role.learner} for i in ids])
        return ids

    people(unit.id, staff, "员工")
    people(big_unit.id, big, "职工")
    [reviewer] = people(None, 1, "审核员")
    db.session.execute(sa.delete(RoleAssignment).where(RoleAssignment.user_id == reviewer))
    db.session.add(RoleAssignment(user_id=reviewer, role=Role.unit_reviewer, org_id=unit.id))
    [admin] = people(None, 1, "管理员")
    db.session.execute(sa.delete(RoleAssignment).where(RoleAssignment.user_id == admin))
    db.session.add(RoleAssignment(user_id=admin, role=Role.city_admin))
    for year, records in ((YEAR, 30), (YEAR - 1, 10)):
        db.session.execute(sa.text("""
            INSERT INTO learning_records (user_id, title, category, seconds, year, source,
                                          credited_at, revoked_at, revoked_by_id, revoke_reason)
            SELECT u.id, '课程 ' || g,
                   CASE WHEN g % 10 < 2 THEN 'public_compulsory'
                        WHEN g % 10 = 2 THEN 'public_elective' ELSE 'professional' END,
                   2700 * (2 + u.id % 4) + (g * 37 % 5) * 270, :year, 'declaration', now(),
                   CASE WHEN g = 7 AND u.id % 5 = 0 THEN now() END,
                   CASE WHEN g = 7 AND u.id % 5 = 0 THEN :admin END,
                   CASE WHEN g = 7 AND u.id % 5 = 0 THEN '重复申报' END
            FROM users u CROSS JOIN generate_series(1, :records) g
            WHERE u.unit_id IN (:unit, :big)
        """), {"year": year, "records": records, "unit": unit.id, "big": big_unit.id,
               "admin": admin})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
        rows = connection.scalar(sa.text("SELECT count(*) FROM learning_records"))
    print(f"seeded {staff} + {big} staff, {rows} records in {time.monotonic() - started:.0f} s",
          flush=True)
    return {"unit": unit.id, "big": big_unit.id, "reviewer": reviewer, "admin": admin,
            "records": int(rows or 0)}


def time_pages(app: object, ids: dict[str, int], runs: int) -> list[tuple[str, float, list[float],
                                                                          str]]:
    """Median seconds of each page request, as the unit's reviewer, and the counts it shows."""
    token = tokens.new_token()
    with app.app_context():  # type: ignore[attr-defined]
        db.session.add(LoginSession(token_hash=tokens.digest(token), user_id=ids["reviewer"],
                                    created_at=utcnow(), last_seen_at=utcnow(),
                                    client_address="127.0.0.1", user_agent="bench"))
        db.session.commit()
    client = app.test_client()  # type: ignore[attr-defined]
    with client.session_transaction() as session:
        session["lms_sid"] = token
        session["_user_id"] = str(ids["reviewer"])
        session["_fresh"] = True
    results = []
    for what, query in PAGES:
        url = f"/record/units/{ids['unit']}?year={YEAR}{query}"
        times = []
        for run in range(runs + 1):
            began = time.perf_counter()
            response = client.get(url)
            spent = time.perf_counter() - began
            assert response.status_code == 200, (url, response.status_code)
            if run:
                times.append(spent)
        html = response.get_data(as_text=True)
        shown = " ".join(part for part in ("达标", "未达标") if part in html)
        counts = _counts(html)
        results.append((what, statistics.median(times), times, counts or shown))
        print(f"  {what}: median {statistics.median(times) * 1000:.0f} ms", flush=True)
    return results


def _counts(html: str) -> str:
    import re

    found = re.search(r"共 (\d+) 人.*?达标 (\d+) 人.*?未达标 (\d+) 人", html, re.DOTALL)
    return f"{found[1]} staff: {found[2]} complete, {found[3]} incomplete" if found else ""


def measure(what: str, unit_id: int, admin_id: int) -> dict[str, float]:
    """One run of the export (``what`` "export") or of its streamed query alone ("query"), in
    a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", EXPORT, what, str(unit_id), str(admin_id),
                           str(YEAR)], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=1800, check=True)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def measure_exports(unit_id: int, admin_id: int, rows: int, runs: int) -> dict[str, Any]:
    """Medians of ``runs`` runs of the export and of its query alone, alternating."""
    exports, queries = [], []
    for _ in range(runs):
        exports.append(measure("export", unit_id, admin_id))
        queries.append(measure("query", unit_id, admin_id))
        assert queries[-1]["size"] == rows, (queries[-1], rows)

    def median(results: list[dict[str, float]], key: str) -> float:
        return statistics.median(result[key] for result in results)

    result = {"rows": rows, "runs": [e["seconds"] for e in exports],
              **{key: median(exports, key) for key in ("seconds", "cpu_seconds", "growth_mb")},
              "bytes": median(exports, "size"),
              "query_seconds": median(queries, "seconds"),
              "query_cpu_seconds": median(queries, "cpu_seconds")}
    print(f"  export of {rows} rows: " + ", ".join(
        f"{key} {value:.2f}" for key, value in result.items() if isinstance(value, float)),
        flush=True)
    return result


def cursor_plans(unit_id: int) -> dict[str, str]:
    """The plan PostgreSQL makes of the export's streamed query declared as a cursor (as
    ``yield_per`` does), under cursor_tuple_fraction 0.1 (the default) and 1.0."""
    from lms.records import standing

    unit = db.session.get(Organisation, unit_id)
    assert unit is not None
    query = standing.StaffQuery(year=YEAR)
    select = standing._staff_select(standing._staff(User.unit_id == unit.id, YEAR)
                                    .subquery("staff"), query)
    sql = str(select.compile(db.engine, compile_kwargs={"literal_binds": True}))
    plans = {}
    for fraction in ("0.1", "1.0"):
        connection = db.session.connection()
        connection.exec_driver_sql(f"SET LOCAL cursor_tuple_fraction = {fraction}")
        plans[fraction] = "\n".join(line for (line,) in connection.exec_driver_sql(
            "EXPLAIN DECLARE bench_cursor CURSOR FOR " + sql))
        db.session.rollback()
    return plans


def set_index(app: object, present: bool, definition: str) -> None:
    with app.app_context(), db.engine.connect().execution_options(  # type: ignore[attr-defined]
            isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(definition if present else f"DROP INDEX {INDEX}")
        connection.exec_driver_sql("ANALYZE learning_records")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--big", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--export-runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the database for a look")
    args = parser.parse_args()

    create_database()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url_of(DATABASE)})
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            definition = db.session.scalar(sa.text(
                "SELECT pg_get_indexdef(CAST(:name AS regclass))"), {"name": INDEX})
            db.session.rollback()
            ids = seed(app, args.staff, args.big)
        load = [os.getloadavg()[0]]
        print(f"pages, with the index ({definition}):", flush=True)
        indexed = time_pages(app, ids, args.runs)
        set_index(app, False, definition)
        print("pages, with the index dropped:", flush=True)
        pages = time_pages(app, ids, args.runs)
        set_index(app, True, definition)
        load.append(os.getloadavg()[0])
        exports = {}
        for name, unit_id, rows in (("small", ids["unit"], args.staff),
                                    ("big", ids["big"], args.big)):
            exports[name] = measure_exports(unit_id, ids["admin"], rows, args.export_runs)
        load.append(os.getloadavg()[0])
        with app.app_context():
            plans = cursor_plans(ids["big"])
            db.engine.dispose()
    finally:
        if not args.keep:
            drop_database()
    write(args, ids, pages, indexed, exports, definition, plans, load)


def write(args: argparse.Namespace, ids: dict[str, int], pages: list, indexed: list,
          exports: dict[str, dict[str, Any]], definition: str, plans: dict[str, str],
          load: list[float]) -> None:
    small, big = exports["small"], exports["big"]
    difference = big["growth_mb"] - small["growth_mb"]
    worst = max(median for _, median, _, _ in indexed)
    worst_without = max(median for _, median, _, _ in pages)
    lines = [
        f"## Staff table: a unit's staff's year over {args.staff:,} staff, and its export",
        "",
        f"A scratch PostgreSQL database: a unit of {args.staff:,} staff and one of "
        f"{args.big:,}, each an active learner with 30 learning records in {YEAR} (6 public "
        "compulsory, 3 public elective, 21 professional; every fifth person has one revoked) "
        f"and 10 in {YEAR - 1}: {ids['records']:,} rows in `learning_records`, about half the "
        "staff complete. The page is requested through the app (Flask's test client, the "
        "unit reviewer's login session and cookie checked as on any request; no network), "
        f"median of {args.runs} runs after one warm-up. It sums each person's year in one "
        "group-by (revoked rows skipped), sorts and filters over all staff, and counts the "
        "complete and incomplete, before cutting a page of 50. Target: under "
        f"{PAGE_TARGET_S:.0f} s.",
        "",
        "**The machine is shared and was busy**: 2 CPUs, other work running beside the "
        "benchmark (1-minute load average "
        f"{', '.join(f'{value:.1f}' for value in load)} at the start, between the pages and "
        "the exports, and at the end). Single runs vary (each is listed): compare medians, "
        "and numbers of the same run (both tables below are).",
        "",
        "With the index as migration 0015 makes it (as the app ships), then with it dropped "
        "in the bench database (the baseline; made again afterwards): "
        f"`{definition}`.",
        "",
        "| request (`GET /record/units/<id>?year=…`) | median with the index | runs (ms) "
        "| median without | runs (ms) | shown |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for (what, with_index, times, counts), (_, without, times_without, _) in zip(
            indexed, pages, strict=True):
        lines.append(f"| {what} | {with_index * 1000:.0f} ms | "
                     f"{', '.join(f'{t * 1000:.0f}' for t in times)} | "
                     f"{without * 1000:.0f} ms | "
                     f"{', '.join(f'{t * 1000:.0f}' for t in times_without)} | {counts} |")
    lines += ["", f"Slowest median with the index: {worst * 1000:.0f} ms — "
              f"{'under' if worst < PAGE_TARGET_S else 'OVER'} the target "
              f"(without it: {worst_without * 1000:.0f} ms)."]
    same = plans["0.1"] == plans["1.0"]
    lines += [
        "",
        "The full-ID export (`lms.records.standing.export_staff`, as the unit's reviewer or the "
        "city admin downloads it) of each unit, each run in a fresh process, median of "
        f"{args.export_runs} runs: wall-clock time; the process's own CPU time (the client's "
        "work: reading the rows and writing the sheet; on a busy machine the wall time also "
        "counts waiting for a CPU); growth of the process's peak RSS (`VmHWM`, reset through "
        "`/proc/self/clear_refs` just before) over its RSS then (app made, database "
        "connected). Beside it, in another fresh process, the streamed query alone "
        "(`standing.staff_rows`: the same server-side cursor, rows read and dropped). Rows are "
        "streamed from the cursor (`yield_per`) into openpyxl's write-only sheet; what grows "
        "with the rows is the finished .xlsx itself, returned as bytes. Target: the "
        f"difference in peak growth under {MEMORY_TARGET_MB:.0f} MB.",
        "",
        "| rows | export: wall (median) | runs (s) | export: CPU | query alone: wall | "
        "query alone: CPU | peak RSS growth | .xlsx size |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in (small, big):
        lines.append(
            f"| {int(result['rows']):,} | {result['seconds']:.1f} s | "
            f"{', '.join(f'{t:.1f}' for t in result['runs'])} | "
            f"{result['cpu_seconds']:.1f} s | {result['query_seconds']:.1f} s | "
            f"{result['query_cpu_seconds']:.1f} s | {result['growth_mb']:.1f} MB | "
            f"{result['bytes'] / 1e6:.1f} MB |")
    ratio = big["rows"] / small["rows"]
    lines += [
        "",
        f"Difference in peak growth: {difference:.1f} MB — "
        f"{'under' if difference < MEMORY_TARGET_MB else 'OVER'} the target. "
        f"{ratio:.0f}× the rows: the export's CPU time "
        f"{big['cpu_seconds'] / small['cpu_seconds']:.1f}×, its wall time "
        f"{big['seconds'] / small['seconds']:.1f}×, the query alone "
        f"{big['query_seconds'] / small['query_seconds']:.1f}× (wall). Of the "
        f"{args.big:,}-row export's {big['cpu_seconds']:.1f} s of CPU, reading the rows "
        f"from the cursor takes {big['query_cpu_seconds']:.1f} s (the query alone); the rest "
        "is making the rows and writing the sheet with openpyxl ("
        + ("with lxml" if openpyxl.LXML else "pure Python: lxml is not installed")
        + f"), and its wall time is {big['seconds'] / big['cpu_seconds']:.1f}× its CPU "
        "time on this busy machine.",
        "",
        "The plan PostgreSQL makes of the streamed query declared as a cursor (`EXPLAIN "
        f"DECLARE`, the {args.big:,}-staff unit) under `cursor_tuple_fraction` 0.1 (the "
        "default) and 1.0: "
        + (f"the same plan, whose top node is `{plans['1.0'].splitlines()[0].split('  ')[0]}`"
           + (" (a sort reads all its input before its first row out: there is no fast-start "
              "plan to prefer)." if plans["1.0"].startswith("Sort") else ".")
           if same else "DIFFERENT plans (below)."),
        "",
    ]
    if not same:
        for fraction, plan in plans.items():
            lines += [f"cursor_tuple_fraction {fraction}:", "", "```", plan, "```", ""]
    with sa.create_engine(SERVER).connect() as connection:
        version = connection.scalar(sa.text("SHOW server_version"))
    lines += report.footer({"PostgreSQL": str(version)})
    report.write_section("staff_table", "\n".join(lines))


if __name__ == "__main__":
    main()
