"""Every route × every role, anonymous included: who gets in, who is sent to log in, who is refused.

A new route fails `test_every_route_is_in_the_matrix` until it is added here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

import pytest

from lms.courses import storage, streaming
from lms.courses.models import Category, Course, CourseStatus, Video, VideoState
from lms.db import utcnow
from lms.exam.models import CourseExam, ExamAttempt, Question, QuestionBank, QuestionImport
from lms.exam.questions import true_false
from lms.extensions import db
from tests.declarations import matrix as declarations_matrix
from tests.declarations import rectification_matrix, rules_matrix
from tests.test_permissions_base import (
    ADMIN,
    BANK_KEEPERS,
    BANK_MANAGERS,
    COURSE_MANAGERS,
    EVERYONE,
    LOGIN,
    PROVIDER,
    PROVIDERS,
    ROLES,
    SIGNED_IN,
    UNIT_MANAGERS,
    Route,
    allow,
    api,
)

SUPERVISORS = {"department_reviewer", "district_reviewer", "city_admin"}  # of units

MATRIX = [
    Route("main.index", "GET", lambda w: "/", allow(EVERYONE, 302)),
    Route("main.home", "GET", lambda w: "/home", allow(SIGNED_IN)),
    Route("main.language", "GET", lambda w: "/language/en", allow(EVERYONE, 302)),
    Route("main.health", "GET", lambda w: "/healthz", allow(EVERYONE)),
    Route("auth.login", "GET", lambda w: "/login", {"anonymous": 200}, otherwise=302),
    Route("auth.login", "POST", lambda w: "/login", {"anonymous": 200}, otherwise=302),
    Route("auth.register", "GET", lambda w: "/register", allow(EVERYONE)),
    Route("auth.register", "POST", lambda w: "/register", allow(EVERYONE)),
    Route("auth.logout", "POST", lambda w: "/logout", allow(EVERYONE, 302)),
    Route("auth.logout_everywhere", "POST", lambda w: "/account/logout-everywhere",
          allow(SIGNED_IN, 302)),
    Route("auth.account", "GET", lambda w: "/account", allow(SIGNED_IN)),
    Route("auth.change_password", "GET", lambda w: "/account/password", allow(SIGNED_IN)),
    Route("auth.change_password", "POST", lambda w: "/account/password", allow(SIGNED_IN)),
    Route("staff.index", "GET", lambda w: "/staff/",
          allow(UNIT_MANAGERS) | {"unit_reviewer": 302, "other_unit_reviewer": 302}),
    Route("staff.roster", "GET", lambda w: f"/staff/units/{w.orgs.unit.id}",
          allow(UNIT_MANAGERS)),
    Route("staff.activate", "POST", lambda w: f"/staff/users/{w.people.pending.id}/activate",
          allow(UNIT_MANAGERS, 302)),
    Route("staff.reject", "POST", lambda w: f"/staff/users/{w.people.pending.id}/reject",
          allow(UNIT_MANAGERS, 302)),
    Route("staff.reset_password", "POST",
          lambda w: f"/staff/users/{w.people.learner.id}/reset-password", allow(UNIT_MANAGERS)),
    # A unit's reviewer may not reset a colleague reviewer's password, nor their own.
    Route("staff.reset_password", "POST",
          lambda w: f"/staff/users/{w.people.unit_reviewer.id}/reset-password", allow(ADMIN),
          label="reviewer-target"),
    Route("staff.import_sheet", "GET", lambda w: f"/staff/units/{w.orgs.unit.id}/import",
          allow(UNIT_MANAGERS)),
    Route("staff.import_sheet", "POST", lambda w: f"/staff/units/{w.orgs.unit.id}/import",
          allow(UNIT_MANAGERS)),
    Route("staff.import_template", "GET", lambda w: "/staff/import-template.xlsx",
          allow(UNIT_MANAGERS | {"other_unit_reviewer"})),
    Route("staff.accounts", "GET", lambda w: "/staff/accounts", allow(ADMIN)),
    Route("staff.accounts", "POST", lambda w: "/staff/accounts", allow(ADMIN)),
    Route("staff.new_account", "GET", lambda w: "/staff/accounts/new", allow(ADMIN)),
    Route("staff.new_account", "POST", lambda w: "/staff/accounts/new", allow(ADMIN)),
    Route("staff.account", "GET", lambda w: f"/staff/accounts/{w.people.learner.id}",
          allow(ADMIN)),
    Route("staff.account", "POST", lambda w: f"/staff/accounts/{w.people.learner.id}",
          allow(ADMIN)),
    Route("staff.release_id_number", "POST",
          lambda w: f"/staff/accounts/{w.people.learner.id}/release", allow(ADMIN)),
    Route("staff.revoke_role", "POST",
          lambda w: f"/staff/accounts/{w.people.learner.id}/roles/"
                    f"{w.people.learner.roles[0].id}/revoke",
          allow(ADMIN, 302)),
    Route("staff.organisations", "GET", lambda w: "/staff/organisations", allow(ADMIN)),
    Route("staff.organisations", "POST", lambda w: "/staff/organisations", allow(ADMIN)),
    Route("audit.index", "GET", lambda w: "/audit/", allow(ADMIN)),
    # Courses: the provider's draft, a published course with a ready video.
    Route("courses.catalog", "GET", lambda w: "/courses/", allow(SIGNED_IN)),
    Route("courses.my", "GET", lambda w: "/courses/my", allow(SIGNED_IN)),
    Route("courses.mine", "GET", lambda w: "/courses/mine", allow(PROVIDERS)),
    Route("courses.new", "GET", lambda w: "/courses/new", allow(PROVIDERS)),
    Route("courses.new", "POST", lambda w: "/courses/new", allow(PROVIDERS)),
    Route("courses.edit", "GET", lambda w: f"/courses/{w.draft.id}/edit",
          allow(COURSE_MANAGERS)),
    Route("courses.edit", "POST", lambda w: f"/courses/{w.draft.id}/edit", allow(PROVIDER)),
    Route("courses.cover", "POST", lambda w: f"/courses/{w.draft.id}/cover", allow(PROVIDER, 302)),
    Route("courses.submit", "POST", lambda w: f"/courses/{w.draft.id}/submit",
          allow(PROVIDER, 302)),
    Route("courses.retry", "POST", lambda w: f"/courses/videos/{w.draft_video.id}/retry",
          allow(PROVIDER, 302)),
    Route("courses.delete_video", "POST",
          lambda w: f"/courses/videos/{w.draft_video.id}/delete", allow(PROVIDER, 302)),
    Route("courses.move_video", "POST",
          lambda w: f"/courses/videos/{w.draft_video.id}/move/up", allow(PROVIDER, 302)),
    # Once submitted (or published) a course is no longer its provider's to change; returned
    # to the provider, it is again.
    Route("courses.edit", "GET", lambda w: f"/courses/{w.submitted.id}/edit",
          allow(COURSE_MANAGERS), label="submitted"),
    Route("courses.edit", "POST", lambda w: f"/courses/{w.submitted.id}/edit", allow(set()),
          label="submitted"),
    Route("courses.edit", "POST", lambda w: f"/courses/{w.published.id}/edit", allow(set()),
          label="published"),
    Route("courses.edit", "GET", lambda w: f"/courses/{w.returned.id}/edit",
          allow(COURSE_MANAGERS), label="returned"),
    Route("courses.edit", "POST", lambda w: f"/courses/{w.returned.id}/edit", allow(PROVIDER),
          label="returned"),
    Route("courses.cover", "POST", lambda w: f"/courses/{w.submitted.id}/cover", allow(set()),
          label="submitted"),
    Route("courses.cover", "POST", lambda w: f"/courses/{w.returned.id}/cover",
          allow(PROVIDER, 302), label="returned"),
    Route("courses.submit", "POST", lambda w: f"/courses/{w.submitted.id}/submit",
          allow(set()), label="submitted"),
    Route("courses.submit", "POST", lambda w: f"/courses/{w.published.id}/submit",
          allow(set()), label="published"),
    Route("courses.submit", "POST", lambda w: f"/courses/{w.returned.id}/submit",
          allow(PROVIDER, 302), label="returned"),
    Route("courses.detail", "GET", lambda w: f"/courses/{w.returned.id}", allow(COURSE_MANAGERS),
          label="returned"),
    Route("courses.review", "GET", lambda w: "/courses/review", allow(ADMIN)),
    Route("courses.publish", "POST", lambda w: f"/courses/{w.draft.id}/publish",
          allow(ADMIN, 302)),
    Route("courses.return_course", "POST", lambda w: f"/courses/{w.draft.id}/return",
          allow(ADMIN, 302)),
    Route("courses.archive", "POST", lambda w: f"/courses/{w.published.id}/archive",
          allow(ADMIN, 302)),
    Route("courses.detail", "GET", lambda w: f"/courses/{w.published.id}", allow(SIGNED_IN)),
    Route("courses.detail", "GET", lambda w: f"/courses/{w.draft.id}", allow(COURSE_MANAGERS),
          label="draft"),
    Route("courses.play", "GET",
          lambda w: f"/courses/{w.published.id}/videos/{w.ready_video.id}", allow(SIGNED_IN)),
    Route("courses.cover_image", "GET", lambda w: f"/courses/{w.published.id}/cover.jpg",
          allow(SIGNED_IN)),
    # A signed link is the learner's own: the app serves it in that learner's login only.
    Route("media.signed", "GET", lambda w: w.master_link, {"learner": 200}),
    Route("media.hls_js", "GET", lambda w: "/media/vendor/hls.min.js", allow(EVERYONE)),
    Route("api.openapi", "GET", lambda w: "/api/v1/openapi.json", allow(EVERYONE)),
    Route("api.create_token", "POST", lambda w: "/api/v1/tokens", allow(EVERYONE, 400)),
    Route("api.list_courses", "GET", lambda w: "/api/v1/courses", api(SIGNED_IN)),
    Route("api.get_course", "GET", lambda w: f"/api/v1/courses/{w.published.id}",
          api(SIGNED_IN)),
    Route("api.get_course", "GET", lambda w: f"/api/v1/courses/{w.draft.id}",
          api(COURSE_MANAGERS), label="draft"),
    Route("api.playback", "GET", lambda w: f"/api/v1/videos/{w.ready_video.id}/playback",
          api(SIGNED_IN)),
    # Only learners earn hours, and only from published courses.
    Route("api.start_playback", "POST",
          lambda w: f"/api/v1/videos/{w.ready_video.id}/playbacks", api({"learner"})),
    Route("api.start_playback", "POST",
          lambda w: f"/api/v1/videos/{w.draft_video.id}/playbacks", api(set()), label="draft"),
    # Anyone signed in gets as far as reading the body; the playback decides (tests/watching).
    Route("api.heartbeat", "POST", lambda w: "/api/v1/heartbeats", api(SIGNED_IN, 400)),
    Route("records.year", "GET", lambda w: "/record/", allow({"learner"})),
    # The staff's year: a unit's staff for its reviewer, its department's and district's
    # reviewers and the city admin (IDs masked); the full-ID export for the unit's reviewer and
    # the city admin only; the per-unit table for supervisors (a reviewer of one unit is sent
    # to it).
    Route("records.units", "GET", lambda w: "/record/units",
          allow(SUPERVISORS) | {"unit_reviewer": 302, "other_unit_reviewer": 302}),
    Route("records.units_excel", "GET", lambda w: "/record/units.xlsx",
          allow(SUPERVISORS | {"unit_reviewer", "other_unit_reviewer"})),
    Route("records.staff", "GET", lambda w: f"/record/units/{w.orgs.unit.id}",
          allow(SUPERVISORS | {"unit_reviewer"})),
    Route("records.staff", "GET", lambda w: f"/record/units/{w.orgs.other_unit.id}",
          allow({"department_reviewer", "city_admin", "other_unit_reviewer"}),
          label="other district"),
    Route("records.staff_excel", "GET", lambda w: f"/record/units/{w.orgs.unit.id}/staff.xlsx",
          allow(UNIT_MANAGERS)),
    Route("records.staff_excel", "GET",
          lambda w: f"/record/units/{w.orgs.other_unit.id}/staff.xlsx",
          allow({"other_unit_reviewer", "city_admin"}), label="other district"),
    # Question banks: the city's exam admins keep every bank, a provider its own.
    Route("exam.banks", "GET", lambda w: "/exam/banks", allow(BANK_KEEPERS)),
    Route("exam.banks", "POST", lambda w: "/exam/banks", allow(BANK_KEEPERS)),
    Route("exam.bank", "GET", lambda w: f"/exam/banks/{w.bank.id}", allow(BANK_MANAGERS)),
    Route("exam.upload", "POST", lambda w: f"/exam/banks/{w.bank.id}/import",
          allow(BANK_MANAGERS)),
    Route("exam.confirm", "POST", lambda w: f"/exam/imports/{w.pending_import.id}/confirm",
          allow({"provider"}, 302)),
    Route("exam.export_excel", "GET", lambda w: f"/exam/banks/{w.bank.id}/export.xlsx",
          allow(BANK_MANAGERS)),
    Route("exam.export_gift", "GET", lambda w: f"/exam/banks/{w.bank.id}/export.gift",
          allow(BANK_MANAGERS)),
    Route("exam.template", "GET", lambda w: "/exam/template.xlsx", allow(BANK_KEEPERS)),
    Route("exam.new_question", "GET", lambda w: f"/exam/banks/{w.bank.id}/questions/new",
          allow(BANK_MANAGERS)),
    Route("exam.new_question", "POST", lambda w: f"/exam/banks/{w.bank.id}/questions/new",
          allow(BANK_MANAGERS)),  # an empty form: shown again, saying what is missing
    Route("exam.edit_question", "GET", lambda w: f"/exam/questions/{w.question.id}",
          allow(BANK_MANAGERS)),
    Route("exam.edit_question", "POST", lambda w: f"/exam/questions/{w.question.id}",
          allow(BANK_MANAGERS)),
    Route("exam.retire_question", "POST", lambda w: f"/exam/questions/{w.question.id}/retire",
          allow(BANK_MANAGERS, 302)),
    Route("exam.restore_question", "POST",
          lambda w: f"/exam/questions/{w.question.id}/restore", allow(BANK_MANAGERS, 302)),
    # A bank a submitted or published course's exam draws from: its provider still sees and
    # exports it, but only the city's exam admins change its questions.
    Route("exam.bank", "GET", lambda w: f"/exam/banks/{w.locked_bank.id}", allow(BANK_MANAGERS),
          label="locked"),
    Route("exam.upload", "POST", lambda w: f"/exam/banks/{w.locked_bank.id}/import",
          allow({"exam_admin"}), label="locked"),
    Route("exam.confirm", "POST", lambda w: f"/exam/imports/{w.locked_import.id}/confirm",
          allow(set()), label="locked"),  # the provider's upload: the provider alone, once
    Route("exam.export_excel", "GET", lambda w: f"/exam/banks/{w.locked_bank.id}/export.xlsx",
          allow(BANK_MANAGERS), label="locked"),
    Route("exam.export_gift", "GET", lambda w: f"/exam/banks/{w.locked_bank.id}/export.gift",
          allow(BANK_MANAGERS), label="locked"),
    Route("exam.new_question", "GET", lambda w: f"/exam/banks/{w.locked_bank.id}/questions/new",
          allow({"exam_admin"}), label="locked"),
    Route("exam.new_question", "POST",
          lambda w: f"/exam/banks/{w.locked_bank.id}/questions/new", allow({"exam_admin"}),
          label="locked"),
    Route("exam.edit_question", "GET", lambda w: f"/exam/questions/{w.locked_question.id}",
          allow({"exam_admin"}), label="locked"),
    Route("exam.edit_question", "POST", lambda w: f"/exam/questions/{w.locked_question.id}",
          allow({"exam_admin"}), label="locked"),
    Route("exam.retire_question", "POST",
          lambda w: f"/exam/questions/{w.locked_question.id}/retire", allow({"exam_admin"}, 302),
          label="locked"),
    Route("exam.restore_question", "POST",
          lambda w: f"/exam/questions/{w.locked_question.id}/restore",
          allow({"exam_admin"}, 302), label="locked"),
    # Taking an exam: learners only, of a published public course; an attempt is its owner's.
    Route("exam.course_exam", "GET", lambda w: f"/exam/course/{w.public.id}", allow({"learner"})),
    Route("exam.start", "POST", lambda w: f"/exam/course/{w.public.id}/start",
          allow({"learner"}, 302)),
    Route("exam.restudy", "POST", lambda w: f"/exam/course/{w.public.id}/restudy",
          allow({"learner"}, 302)),
    Route("exam.attempt", "GET", lambda w: f"/exam/attempts/{w.attempt.id}", allow({"learner"})),
    Route("exam.save", "POST", lambda w: f"/exam/attempts/{w.attempt.id}/answers",
          allow({"learner"}, 302)),
    Route("exam.submit", "POST", lambda w: f"/exam/attempts/{w.attempt.id}/submit",
          allow({"learner"}, 302)),
    # A course's exam: its provider, the city admins and the exam admins.
    Route("exam.settings", "GET", lambda w: f"/exam/courses/{w.draft.id}",
          allow(COURSE_MANAGERS | {"exam_admin"})),
    Route("exam.settings", "POST", lambda w: f"/exam/courses/{w.draft.id}",
          allow(COURSE_MANAGERS | {"exam_admin"})),
    # Once the course is submitted its provider (and the city admin) still see the exam, but
    # only the city's exam admins change it.
    Route("exam.settings", "GET", lambda w: f"/exam/courses/{w.submitted.id}",
          allow(COURSE_MANAGERS | {"exam_admin"}), label="submitted"),
    Route("exam.settings", "POST", lambda w: f"/exam/courses/{w.submitted.id}",
          allow({"exam_admin"}), label="submitted"),
    Route("exam.settings", "GET", lambda w: f"/exam/courses/{w.published.id}",
          allow(COURSE_MANAGERS | {"exam_admin"}), label="published"),
    Route("exam.settings", "POST", lambda w: f"/exam/courses/{w.published.id}",
          allow({"exam_admin"}), label="published"),
    Route("exam.settings", "POST", lambda w: f"/exam/courses/{w.returned.id}",
          allow(COURSE_MANAGERS | {"exam_admin"}), label="returned"),
    Route("exam.course_statistics", "GET",
          lambda w: f"/exam/courses/{w.published.id}/statistics",
          allow(COURSE_MANAGERS | {"exam_admin"}), label="published"),
    Route("exam.results_excel", "GET", lambda w: f"/exam/courses/{w.published.id}/results.xlsx",
          allow(COURSE_MANAGERS | {"exam_admin"}), label="published"),
    Route("exam.course_statistics", "GET", lambda w: f"/exam/courses/{w.draft.id}/statistics",
          allow(COURSE_MANAGERS | {"exam_admin"})),
    Route("exam.results_excel", "GET", lambda w: f"/exam/courses/{w.draft.id}/results.xlsx",
          allow(COURSE_MANAGERS | {"exam_admin"})),
    # The exam over the API: learners only; an attempt is its owner's. The public course has no
    # exam (start: 409) and was never failed (restudy: 409); an empty body is no answer (400).
    Route("api.exam_standing", "GET", lambda w: f"/api/v1/courses/{w.public.id}/exam",
          api({"learner"})),
    Route("api.start_attempt", "POST", lambda w: f"/api/v1/courses/{w.public.id}/exam/attempts",
          api({"learner"}, 409)),
    Route("api.restudy", "POST", lambda w: f"/api/v1/courses/{w.public.id}/exam/restudy",
          api({"learner"}, 409)),
    Route("api.get_attempt", "GET", lambda w: f"/api/v1/attempts/{w.attempt.id}",
          api({"learner"})),
    Route("api.save_answer", "POST", lambda w: f"/api/v1/attempts/{w.attempt.id}/answers",
          api({"learner"}, 400)),
    Route("api.submit_attempt", "POST", lambda w: f"/api/v1/attempts/{w.attempt.id}/submit",
          api({"learner"})),
    Route("api.create_course", "POST", lambda w: "/api/v1/courses", api(PROVIDERS, 400),
          otherwise=403),
    Route("api.course_videos", "GET", lambda w: f"/api/v1/courses/{w.draft.id}/videos",
          api(COURSE_MANAGERS)),
    Route("api.start_upload", "POST", lambda w: f"/api/v1/courses/{w.draft.id}/videos",
          api(PROVIDER, 400)),
    Route("api.get_video", "GET", lambda w: f"/api/v1/videos/{w.draft_video.id}",
          api(COURSE_MANAGERS)),
    Route("api.upload_chunk", "PUT", lambda w: f"/api/v1/videos/{w.draft_video.id}/upload",
          api(PROVIDER, 400)),
    *declarations_matrix.ROUTES,
    *rules_matrix.ROUTES,
    *rectification_matrix.ROUTES,
]


@dataclass
class World:
    orgs: Any
    people: Any
    draft: Any = None
    draft_video: Any = None
    published: Any = None
    ready_video: Any = None
    master_link: str = ""
    bank: Any = None
    pending_import: Any = None
    public: Any = None
    attempt: Any = None
    question: Any = None
    submitted: Any = None
    returned: Any = None
    locked_bank: Any = None
    locked_question: Any = None
    locked_import: Any = None

    # Built only for the routes that use them: most of the matrix never does.
    @cached_property
    def declarations(self) -> Any:
        return declarations_matrix.build(self.people)

    @cached_property
    def rectification(self) -> Any:
        return rectification_matrix.build(self.people, self.orgs)


@pytest.fixture
def world(orgs, people, course) -> World:
    """A draft with a half-uploaded video; a published course with a ready one, whose
    rendition and cover exist on disk."""
    published = Course(title="已发布课程", category=Category.professional, provider=orgs.provider,
                       status=CourseStatus.published, cover="covers/test.jpg")
    db.session.add(published)
    draft_video = Video(course=course, title="上传中", original_filename="a.mp4", size=100)
    ready = Video(course=published, title="可播放", original_filename="b.mp4", size=100,
                  received=100, state=VideoState.ready, duration_seconds=60, rendition="")
    db.session.add_all([draft_video, ready])
    db.session.flush()
    ready.rendition = f"renditions/{ready.id}/r1"
    db.session.flush()
    folder = storage.media_root() / ready.rendition
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "master.m3u8").write_text("#EXTM3U\n")
    (storage.media_root() / "covers").mkdir(exist_ok=True)
    (storage.media_root() / "covers" / "test.jpg").write_bytes(b"\xff\xd8\xff")
    link = streaming.playback(ready, people.learner.id).master
    bank = QuestionBank(name="护理题库", provider=orgs.provider)
    # Confirmed by its uploader only (the provider); its file is read again, so it is real.
    pending = QuestionImport(bank=bank, user_id=people.provider.id, filename="a.gift",
                             format="gift", data="题 {=甲 ~乙}".encode())
    public = Course(title="公需课", category=Category.public_compulsory, provider=orgs.provider,
                    status=CourseStatus.published)
    now = utcnow()
    attempt = ExamAttempt(user_id=people.learner.id, course=public, number=1, paper=[],
                          answers={}, started_at=now, deadline=now + timedelta(hours=1),
                          total=Decimal(0), pass_mark=Decimal(1))  # fails: no credit
    question = Question.from_draft(bank, true_false("护士可以开具处方。", False))
    db.session.add_all([bank, pending, public, attempt, question])
    # A submitted course, one returned to its provider, and the provider's bank that the
    # published course's exam draws from.
    submitted = Course(title="待审核课程", category=Category.professional, provider=orgs.provider,
                       status=CourseStatus.submitted)
    returned = Course(title="已退回课程", category=Category.professional, provider=orgs.provider,
                      status=CourseStatus.returned, review_note="视频画面不清晰")
    locked_bank = QuestionBank(name="已用题库", provider=orgs.provider)
    locked_question = Question.from_draft(locked_bank, true_false("护士可以开具处方。", False))
    locked_import = QuestionImport(bank=locked_bank, user_id=people.provider.id,
                                   filename="a.gift", format="gift", data="题 {=甲 ~乙}".encode())
    db.session.add_all([submitted, returned, locked_bank, locked_question, locked_import])
    db.session.flush()
    db.session.add(CourseExam(course=published, banks=[locked_bank.id], counts=[
        {"type": "true_false", "count": 1, "points": "1"}], pass_mark=Decimal(1)))
    db.session.flush()
    return World(orgs, people, course, draft_video, published, ready, link, bank, pending,
                 public, attempt, question, submitted, returned, locked_bank, locked_question,
                 locked_import)


def test_every_route_and_method_is_in_the_matrix(app):
    routed = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == {(route.endpoint, route.method) for route in MATRIX}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", MATRIX, ids=lambda r: r.id)
def test_access(route: Route, role: str, client, people, world, login_as):
    if role != "anonymous":
        login_as(getattr(people, role))
    url = route.url(world)
    if route.endpoint.startswith("api.") and route.method != "GET":
        token = {"X-CSRFToken": client.csrf_token("/login" if role == "anonymous" else "/home")}
        response = client.open(url, method=route.method, json={}, headers=token)
    elif route.method == "POST":
        response = client.submit(url)
    else:
        response = client.get(url)
    expected = route.expect.get(role, route.otherwise)
    if expected == LOGIN:
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]
    # Whatever the page, nobody's full ID number is in it, but the one rules.md §2 names: a
    # pending registration's, on its own unit's roster, for that unit's reviewer.
    body = response.get_data().decode("utf-8", "replace")
    for person in vars(people).values():
        if (person is people.pending and role == "unit_reviewer"
                and route.endpoint == "staff.roster"):
            assert person.id_number in body
            continue
        assert person.id_number not in body
