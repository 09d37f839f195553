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
one warm-up. Target: under 1 s.

Part 2, the export: ``lms.records.standing.export_staff`` of each unit, each in a fresh child
process; the growth of the process's peak RSS (``VmHWM``, reset by writing 5 to
/proc/self/clear_refs just before the export) over its RSS then (app made, database connected).
Target: 50,000 rows grow the peak less than 20 MB more than 5,000 do.

    .venv/bin/python bench/staff_table.py [--staff 5000] [--big 50000] [--runs 7]
    .venv/bin/python bench/staff_table.py --index      # also with the index proposed below

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LMS_SECRET_KEY", "bench-secret-key")

import flask_migrate  # noqa: E402
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
#: The index this benchmark weighs (made by hand in the bench database, never by the app): the
#: year's counted rows of each person, with what the sums read, so the group-by reads the index
#: alone.
INDEX = ("CREATE INDEX ix_learning_records_counted_year_user ON learning_records"
         " (year, user_id) INCLUDE (category, seconds) WHERE revoked_at IS NULL")
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


unit_id, admin_id, year = (int(a) for a in sys.argv[1:4])
app = create_app({"SQLALCHEMY_DATABASE_URI": url_of(DATABASE)})
with app.app_context():
    admin = db.session.get(User, admin_id)
    unit = db.session.get(Organisation, unit_id)
    admin.roles  # loaded before the measure, as a login does
    db.session.execute(sa.text("SELECT 1"))
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak (VmHWM) starts again from here
    before = status("VmRSS")
    began = time.perf_counter()
    data = standing.export_staff(admin, unit, standing.StaffQuery(year=year))
    seconds = time.perf_counter() - began
    peak = status("VmHWM")
    db.session.rollback()
print(json.dumps({"growth_mb": peak - before, "before_mb": before, "seconds": seconds,
                  "bytes": len(data)}))
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


def measure_export(unit_id: int, admin_id: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", EXPORT, str(unit_id), str(admin_id),
                           str(YEAR)], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=1800, check=True)
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--big", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--index", action="store_true",
                        help="time the pages again with the proposed index made by hand")
    parser.add_argument("--keep", action="store_true", help="leave the database for a look")
    args = parser.parse_args()

    create_database()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url_of(DATABASE)})
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            ids = seed(app, args.staff, args.big)
        print("pages, without the index:", flush=True)
        pages = time_pages(app, ids, args.runs)
        indexed = None
        if args.index:
            with app.app_context(), db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(INDEX)
                connection.exec_driver_sql("ANALYZE learning_records")
            print("pages, with the index:", flush=True)
            indexed = time_pages(app, ids, args.runs)
        exports = {}
        for name, unit_id, rows in (("small", ids["unit"], args.staff),
                                    ("big", ids["big"], args.big)):
            exports[name] = {**measure_export(unit_id, ids["admin"]), "rows": rows}
            print(f"  export of {rows} rows: {exports[name]}", flush=True)
        with app.app_context():
            db.engine.dispose()
    finally:
        if not args.keep:
            drop_database()
    write(args, ids, pages, indexed, exports)


def write(args: argparse.Namespace, ids: dict[str, int], pages: list, indexed: list | None,
          exports: dict[str, dict[str, float]]) -> None:
    small, big = exports["small"], exports["big"]
    difference = big["growth_mb"] - small["growth_mb"]
    worst = max(median for _, median, _, _ in pages)
    lines = [
        "## Staff table: a unit's staff's year over 5,000 staff, and its export",
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
        "| request (`GET /record/units/<id>?year=…`) | median | runs (ms) | shown |",
        "| --- | ---: | --- | --- |",
    ]
    for what, median, times, counts in pages:
        lines.append(f"| {what} | {median * 1000:.0f} ms | "
                     f"{', '.join(f'{t * 1000:.0f}' for t in times)} | {counts} |")
    lines += ["", f"Slowest median: {worst * 1000:.0f} ms — "
              f"{'under' if worst < PAGE_TARGET_S else 'OVER'} the target."]
    if indexed:
        lines += [
            "",
            "The same with the index below made by hand in the bench database (the app's "
            f"migrations do not have it): `{INDEX}`.",
            "",
            "| request | median without | median with |",
            "| --- | ---: | ---: |",
        ]
        for (what, without, _, _), (_, with_index, _, _) in zip(pages, indexed, strict=True):
            lines.append(f"| {what} | {without * 1000:.0f} ms | {with_index * 1000:.0f} ms |")
    lines += [
        "",
        "The full-ID export (`lms.records.standing.export_staff`, as the unit's reviewer or the "
        "city admin downloads it) of each unit, each in a fresh process: growth of the "
        "process's peak RSS (`VmHWM`, reset through `/proc/self/clear_refs` just before) over "
        "its RSS then (app made, database connected). Rows are streamed from a server-side "
        "cursor (`yield_per`) into openpyxl's "
        "write-only sheet; what grows with the rows is the finished .xlsx itself, returned as "
        f"bytes. Target: the difference under {MEMORY_TARGET_MB:.0f} MB.",
        "",
        "| rows | peak RSS growth | time | .xlsx size |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for result in (small, big):
        lines.append(f"| {int(result['rows']):,} | {result['growth_mb']:.1f} MB | "
                     f"{result['seconds']:.1f} s | {result['bytes'] / 1e6:.1f} MB |")
    lines += ["", f"Difference: {difference:.1f} MB — "
              f"{'under' if difference < MEMORY_TARGET_MB else 'OVER'} the target.", ""]
    with sa.create_engine(SERVER).connect() as connection:
        version = connection.scalar(sa.text("SHOW server_version"))
    lines += report.footer({"PostgreSQL": str(version)})
    report.write_section("staff_table", "\n".join(lines))


if __name__ == "__main__":
    main()
