"""No request ends in a 5xx: every route, as anonymous and as one person holding every role (by
the login cookie with its CSRF token, and by a bearer token for the API), with every integer in
its path out of range and in range, and every field any form has, in its form and in its query
string, holding numbers no number field can hold; every JSON operation with bodies nested a
thousand deep, not objects, not JSON, and each field of the wrong type. Under ``/api/v1`` every
error is the one shape, with an English code and no English for people.

Each request's writes are rolled back after it (a savepoint of the test's transaction), so a
route that deletes or archives leaves the next one the same world to work on.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from wtforms import DecimalField, FloatField, IntegerField
from wtforms.fields.core import UnboundField

from lms.auth import tokens
from lms.auth.models import Role, RoleAssignment
from lms.courses.models import Category, Course, Video
from lms.declarations import rectification
from lms.exam import attempts
from lms.exam.models import Question, QuestionImport
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db
from lms.forms import Form
from lms.jsonapi import OPERATIONS
from lms.records.services import year_of
from lms.watching import services as watching
from lms.watching.models import VideoProgress
from tests.declarations.conftest import submitted
from tests.exam.conftest import examined
from tests.factories import PASSWORD, make_user
from tests.test_api import CODE, NOT_PROSE

#: Numbers no id can be: 0 and -1 (which an ``int`` route does not match), past PostgreSQL's
#: integer, past SQLite's.
OUT_OF_RANGE = ["0", "-1", str(2**31), str(2**63), str(2**64)]
HUGE = str(2**64)
#: The path's other arguments.
TEXT_ARGS = {"code": "zh_Hans_CN", "sig": "x", "rest": "master.m3u8", "direction": "up"}
#: Query parameters any page or operation might read, all wrong.
QUERY = {"page": HUGE, "topic": HUGE, "series": HUGE, "provider": HUGE, "q": "%_\\",
         "category": "x", "retired": "1", "next": "//evil.example"}
#: Values for every field any form has, posted and in a GET's query string: a number past any
#: id, NUL, and what no number field can hold (a signalling NaN, which ``math.isnan`` refuses
#: outright, NaN, infinities, and an integer past a float's range, which it overflows on).
FORM_VALUES = [HUGE, "\x00", "sNaN", "NaN", "Infinity", "-1e999", "9" * 400]
ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
#: Routes that end the login the walk goes on with: logged in again after them.
LOGS_OUT = {"auth.logout", "auth.logout_everywhere"}


@dataclass
class World:
    everyone: Any
    bearer: str
    #: Real ids, by path argument: one set around a draft course, one around a public one.
    real: list[dict[str, int]]
    bodies: dict[str, dict[str, Any]]


@pytest.fixture
def world(people, orgs) -> World:
    """One person with every role, and one of everything they can act on: a draft course with
    an upload under way, a published public course with its video, exam, bank and the person's
    open attempt and playback, a question file awaiting confirmation."""
    everyone = make_user(Role.learner, unit=orgs.unit, name="全能")
    for role, org in [(Role.provider, orgs.provider), (Role.exam_admin, None),
                      (Role.unit_reviewer, orgs.unit), (Role.department_reviewer, orgs.department),
                      (Role.district_reviewer, orgs.district), (Role.city_admin, None)]:
        everyone.roles.append(RoleAssignment(role=role, org=org))
    draft = Course(title="草稿课程", category=Category.professional, provider=orgs.provider,
                   created_by_id=everyone.id)
    db.session.add(draft)
    db.session.flush()
    draft_video = Video(course=draft, title="上传中", original_filename="a.mp4", size=100)
    public = Course(title="公需课", category=Category.professional, provider=orgs.provider,
                    created_by_id=everyone.id)
    db.session.add_all([draft_video, public])
    db.session.flush()
    examined(public, everyone,
             [Draft(QuestionType.single, f"单选{n}", ("甲", "乙"), frozenset({0}))
              for n in range(3)] + [true_false(f"判断{n}", True) for n in range(3)],
             {QuestionType.single: (2, Decimal(10)), QuestionType.true_false: (2, Decimal(10))})
    video = public.videos[0]
    db.session.add(VideoProgress(user_id=everyone.id, video_id=video.id, coverage=[[0, 2700]],
                                 covered=2700.0, position=2700.0,
                                 completed_at=watching.clock.now()))
    db.session.flush()
    attempt = attempts.start(everyone, public)
    playback, _, _ = watching.start(everyone, video)
    question = db.session.scalars(db.select(Question)).first()
    pending = QuestionImport(bank=question.bank, user_id=everyone.id, filename="a.gift",
                             format="gift", data="题 {=甲 ~乙}".encode())
    db.session.add(pending)
    declaration = submitted(everyone)
    order = rectification.issue(everyone, orgs.other_unit, "抽查发现材料不实",
                                rectification.today() + timedelta(days=30))
    bearer, _ = tokens.issue(everyone)
    db.session.commit()
    common = {
        "declaration_id": declaration.id, "evidence_id": declaration.evidence[0].id,
        "order_id": order.id,
        "attempt_id": attempt.id, "bank_id": question.bank_id, "question_id": question.id,
        "import_id": pending.id, "unit_id": orgs.unit.id, "user_id": people.learner.id,
        "assignment_id": people.learner.roles[0].id, "year": year_of(watching.clock.now()),
        "expires": int(time.time()) + 3600,
    }
    bodies = {
        "api.create_token": {"id_number": everyone.id_number, "password": PASSWORD},
        "api.create_course": {"provider_id": orgs.provider.id, "title": "新课",
                              "description": "", "category": "professional", "topic_id": None,
                              "title_series_ids": []},
        "api.start_upload": {"filename": "a.mp4", "size": 10, "title": "第一讲"},
        "api.heartbeat": {"playback": playback, "seq": 1, "position": 0.0, "playing": True,
                          "visible": True, "presence_answer": None},
        "api.save_answer": {"key": attempt.paper[0]["key"], "options": []},
    }
    return World(everyone, bearer, [
        {**common, "course_id": draft.id, "video_id": draft_video.id},
        {**common, "course_id": public.id, "video_id": video.id},
    ], bodies)


class Walk:
    """Sends requests, each in a savepoint rolled back after it, and notes what went wrong."""

    def __init__(self, client: Any, database: Any) -> None:
        self.client, self.connection = client, database.get_bind()
        self.failures: list[str] = []
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def send(self, who: str, method: str, url: str, what: str = "", **kwargs: Any) -> Any:
        """Sends the request; ``what`` says what it holds, in a failure's note."""
        self.sent += 1
        savepoint = self.connection.begin_nested()
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as exc:  # a 500: TESTING lets the exception through
            self.failures.append(
                f"{who} {method} {url[:120]}{what}: {type(exc).__name__}: {exc}"[:400])
            return None
        finally:
            savepoint.rollback()
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            self.failures.append(f"{who} {method} {url[:120]}{what}: {response.status_code}")
        elif url.startswith("/api/v1/") and response.status_code >= 400:
            problem = shape_problem(response)
            if problem:
                self.failures.append(f"{who} {method} {url[:120]}{what}: {problem}")
        return response

    def check(self) -> None:
        assert self.failures == [], (
            f"{len(self.failures)} of {self.sent} ({sorted(self.statuses.items())}):\n"
            + "\n".join(self.failures))


def shape_problem(response: Any) -> str | None:
    """What keeps ``response`` from being the API's one error shape, if anything."""
    if not response.is_json:
        return f"{response.status_code} not JSON: {response.get_data(as_text=True)[:100]}"
    body = response.get_json()
    if not isinstance(body, dict) or not {"error", "message", "field"} <= set(body):
        return f"{response.status_code} not the error shape: {body}"
    extra = set(body) - {"error", "message", "field"}
    if extra and not (body["error"] == "offset_mismatch" and extra == {"video"}):
        return f"{response.status_code} more than the error shape: {body}"
    if not (isinstance(body["error"], str) and CODE.match(body["error"])):
        return f"{response.status_code} error is no code: {body}"
    message = body["message"]
    words = re.sub(r"'[^']*'", "", message)
    for allowed in (body["field"] or "", *NOT_PROSE):  # the field first: "true_false_points"
        words = words.replace(allowed, "") if allowed else words
    if re.search(r"[A-Za-z]{2,}", words) or not re.search(r"[\u4e00-\u9fff]", message):
        return f"{response.status_code} message not for people: {body}"
    return None


def rules(app: Any) -> Iterator[tuple[Any, str]]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def urls(rule: Any, world: World) -> Iterator[tuple[str, bool]]:
    """The rule's path with every integer argument out of range, then with real ids (and
    then with a wrong query string too); whether the ids are real."""
    def build(number: Callable[[str], str]) -> str:
        return ARG.sub(lambda m: number(m.group(2)) if (m.group(1) or "default") == "int"
                       else TEXT_ARGS.get(m.group(2), "x"), rule.rule)

    if any(m.group(1) == "int" for m in ARG.finditer(rule.rule)):
        for wrong in OUT_OF_RANGE:
            yield build(lambda name, wrong=wrong: wrong), False
    for real in world.real:
        yield build(lambda name, real=real: str(real[name])), True
        if rule.arguments.isdisjoint({"course_id", "video_id"}):
            break  # one set of real ids is enough where no course is named


def form_fields() -> tuple[list[str], list[str]]:
    """The name of every field of every form of the platform, and of every number field."""
    found: set[str] = set()
    numbers: set[str] = set()
    stack = list(Form.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        for name in dir(form):
            field = getattr(form, name)
            if isinstance(field, UnboundField):
                found.add(name)
                if issubclass(field.field_class, (DecimalField, FloatField, IntegerField)):
                    numbers.add(name)
    return sorted(found), sorted(numbers)


def _short(value: str) -> str:
    return repr(value) if len(value) <= 24 else f"{value[:6]!r}… ({len(value)} characters)"


def log_in(client: Any, user: Any) -> str:
    answer = client.submit("/login", {"id_number": user.id_number, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return client.csrf_token("/home")


@pytest.mark.parametrize("who", ["anonymous", "everyone", "bearer"])
def test_no_route_answers_a_5xx(app, client, database, world, who):
    walk = Walk(client, database)
    csrf = log_in(client, world.everyone) if who == "everyone" else client.csrf_token("/login")
    fields, numbers = form_fields()
    assert numbers, "no number field found"
    # Every field holding each value; then the runs of digits in the number fields alone, as
    # a page may refuse them in a text field before it reads its numbers (the audit's search
    # refuses a full ID number).
    filled = [(f" (every field {_short(value)})", dict.fromkeys(fields, value))
              for value in FORM_VALUES]
    filled += [(f" (number fields {_short(value)})", dict.fromkeys(numbers, value))
               for value in FORM_VALUES if value.isdigit()]
    for rule, method in rules(app):
        api = rule.rule.startswith("/api/v1/")
        if who == "bearer" and not api:
            continue  # without the cookie a page sees the anonymous
        headers = ({"Authorization": f"Bearer {world.bearer}"} if who == "bearer"
                   else {"X-CSRFToken": csrf} if api else {})
        for url, real in urls(rule, world):
            if method == "GET":
                walk.send(who, method, url, headers=headers)
                if real:
                    walk.send(who, method, url, query_string=QUERY, headers=headers)
                    for what, query in filled:  # a search form reads its fields from the query
                        walk.send(who, method, url, what, query_string=query, headers=headers)
            elif api:
                walk.send(who, method, url, json={}, headers=headers)
            else:
                walk.send(who, method, url, data={"csrf_token": csrf})
                if real:  # every field any form has, holding each of the values
                    for what, form in filled:
                        walk.send(who, method, url, what, data={"csrf_token": csrf, **form})
                    for text in ("[1, 2]", NOT_JSON[3]):  # JSON, which a page's form is not
                        walk.send(who, method, url, data=text, headers={"X-CSRFToken": csrf},
                                  content_type="application/json")
            if rule.endpoint in LOGS_OUT and who == "everyone":
                csrf = log_in(client, world.everyone)
    walk.check()


#: Values of the wrong type (or the right type, but wrong) for any field of a JSON body.
WRONG_VALUES: list[Any] = [None, True, 0, -1, 1.5, 2**31, 2**63, 2**64, -(2**64), 1e308, "",
                           "x", "1", "x" * 10_000, "\x00", "\ud800", [], [1], ["x"] * 1000, {},
                           {"a": 1}]
NOT_OBJECTS = ["[]", '"x"', "1", "null", "true"]
NOT_JSON = ["", "{", "{'a': 1}", "[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000,
            '{"a": "\\ud800"}', "NaN", b"\xff\xfe{".decode("latin-1")]


def _bodies(body: dict[str, Any]) -> Iterator[str]:
    yield from NOT_OBJECTS + NOT_JSON
    for name in body:
        for wrong in WRONG_VALUES:
            yield json.dumps({**body, name: wrong})
        yield json.dumps({key: value for key, value in body.items() if key != name})
        yield json.dumps({**body, name: {"a": [[[[]]]]}})
    yield json.dumps({**body, "unknown": 1})
    yield json.dumps(body)


@pytest.mark.parametrize("who", ["session", "bearer"])
def test_no_json_body_answers_a_5xx(app, client, database, world, who):
    walk = Walk(client, database)
    headers = ({"X-CSRFToken": log_in(client, world.everyone)} if who == "session"
               else {"Authorization": f"Bearer {world.bearer}"})
    real = world.real[0]  # the draft course: its provider may upload to it
    endpoints = {(rule.rule, method): rule.endpoint for rule, method in rules(app)}
    operations = [op for op in OPERATIONS if op.body is not None]
    assert {endpoints["/api/v1" + op.path, op.method] for op in operations} == set(world.bodies)
    for op in operations:
        url = "/api/v1" + ARG.sub(lambda m: str(real[m.group(2)]), op.path)
        body = world.bodies[endpoints["/api/v1" + op.path, op.method]]
        for text in _bodies(body):
            walk.send(who, op.method, url, data=text, content_type="application/json",
                      headers=headers)
        walk.send(who, op.method, url, data=json.dumps(body), content_type="text/plain",
                  headers=headers)
    if who == "session":  # the exam paper's own saving takes an answer as JSON too
        url = f"/exam/attempts/{real['attempt_id']}/answers"
        for text in _bodies(world.bodies["api.save_answer"]):
            walk.send(who, "POST", url, data=text, content_type="application/json",
                      headers=headers)
    # The upload's raw body: its offset header missing, not a number, out of range.
    upload = f"/api/v1/videos/{real['video_id']}/upload"
    for offset in (None, "x", "-1", HUGE, str(2**31), "10", "0"):
        extra = {} if offset is None else {"Upload-Offset": offset}
        walk.send(who, "PUT", upload, data=b"\x00" * 10, headers={**headers, **extra},
                  content_type="application/offset+octet-stream")
    walk.check()

