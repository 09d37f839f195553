"""A learner on a phone goes through a public course's whole exam cycle (rules §4–§6): the exam
is closed until the video is watched through the real player; two failed attempts (answers
autosaved as chosen, kept when the page is closed) lock it; 申请重新学习 starts watching over;
after watching again a fresh attempt passes, and the course's hours are in the year page, once.

Nothing is faked: watching is credited by real heartbeats, and the test reads the attempt's
frozen paper from the database only to know which options to pick."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from lms.auth.models import Role, RoleAssignment, User
from lms.auth.services import user_by_id_number
from lms.courses import storage
from lms.courses.models import Category, Course, CourseStatus, Video, VideoState
from lms.courses.tasks import process_video
from lms.db import utcnow
from lms.demo import seed_demo
from lms.exam import services as exams
from lms.exam.models import ExamAttempt, Question, ShowAfter
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind
from lms.records.models import LearningRecord
from tests import media
from tests.browser.conftest import needs_chromium
from tests.browser.test_login_flows import log_in
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.servers import Server

pytestmark = [pytest.mark.browser, needs_chromium]

TITLE = "法治素养与依法行政"
VIDEO_SECONDS = 4
#: Only in the bank (and in the answers shown after a pass): never on the paper.
EXPLANATION = "依据《宪法》第五条。"


@pytest.fixture(scope="module")
def exam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live server as `live_server`, with heartbeats every 2 s (the player's progress moves
    while a short video plays), and a published public course with an exam."""
    with fresh_database("exam-cycle", tmp_path_factory.mktemp("exam-db")) as url:
        app = make_app(url, JOBS_EAGER=False, HEARTBEAT_BATCHING=True, HEARTBEAT_SECONDS=2,
                       MEDIA_ROOT=tmp_path_factory.mktemp("exam-media"))
        with app.app_context():
            flask_migrate.upgrade()
            accounts = {role: id_number for role, id_number, _ in seed_demo()}
            db.session.commit()
            course_id = _course_with_exam(accounts)
        server = Server(app)
        try:
            yield {"url": server.url, "accounts": accounts, "app": app, "course_id": course_id}
        finally:
            server.stop()


def _course_with_exam(accounts: dict[str, str]) -> int:
    """A published 公需科目 course of one real video, transcoded like any upload, and its exam:
    2 single (20 points each), 1 multiple (20) and 2 true/false (20) from a bank of 4 + 2 + 4,
    pass mark 60, the answers shown after a pass."""
    provider = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == OrgKind.provider)
    )
    exam_admin = user_by_id_number(accounts["exam_admin"])
    city_admin = db.session.scalar(
        sa.select(User).join(User.roles).where(RoleAssignment.role == Role.city_admin)
    )
    assert provider and exam_admin and city_admin
    course = Course(title=TITLE, description="公需科目：宪法与法治。", provider=provider,
                    category=Category.public_compulsory, status=CourseStatus.submitted,
                    submitted_at=utcnow())
    video = Video(course=course, position=1, title="第一讲 宪法与法治", original_filename="1.mp4",
                  size=1, received=1, state=VideoState.uploading)
    db.session.add_all([course, video])
    db.session.flush()
    path = storage.upload_path(video.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    media.video(path, seconds=VIDEO_SECONDS, extra=("-f", "mp4"))
    video.size = video.received = path.stat().st_size
    video.state = VideoState.queued
    db.session.commit()
    process_video(video.id)
    db.session.refresh(video)
    assert video.state is VideoState.ready, video.reason
    course.status, course.published_at = CourseStatus.published, utcnow()
    course.published_by_id = city_admin.id

    bank = exams.create_bank(exam_admin, "法治素养题库")
    options = ("宪法", "法律", "行政法规", "地方性法规")
    drafts = (
        [Draft(QuestionType.single, f"单选题{n}：我国的根本大法是？", options, frozenset({0}),
               EXPLANATION) for n in range(1, 5)]
        + [Draft(QuestionType.multiple, f"多选题{n}：下列属于法律渊源的有？", options,
                 frozenset({0, 1}), EXPLANATION) for n in range(1, 3)]
        + [true_false(f"判断题{n}：宪法具有最高的法律效力。", True, EXPLANATION)
           for n in range(1, 5)]
    )
    db.session.add_all(Question.from_draft(bank, draft) for draft in drafts)
    db.session.flush()
    exams.save_exam(exam_admin, course, exams.ExamFields(
        [bank.id], [], {QuestionType.single: (2, Decimal(20)),
                        QuestionType.multiple: (1, Decimal(20)),
                        QuestionType.true_false: (2, Decimal(20))},
        minutes=30, show_after=ShowAfter.answers_after_pass))
    assert exams.exam_problems(course) == []
    db.session.commit()
    return course.id


# --- what the test reads from the database (never shown to the browser) ---------------------


def _attempts(app: Flask, course_id: int) -> list[ExamAttempt]:
    with app.app_context():
        rows = list(db.session.scalars(
            sa.select(ExamAttempt).where(ExamAttempt.course_id == course_id)
            .order_by(ExamAttempt.id)
        ))
        db.session.expunge_all()
        return rows


def _credits(app: Flask, course_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(LearningRecord)
            .where(LearningRecord.course_id == course_id)
        )


def _picks(attempt: ExamAttempt, right: set[str]) -> dict[str, list[str]]:
    """The options to choose for each question: the correct ones for the types in ``right``,
    a wrong one for the others."""
    picks = {}
    for question in attempt.paper:
        ids = [o["id"] for o in question["options"]]
        picks[question["key"]] = (
            sorted(question["correct"]) if question["type"] in right
            else [next(i for i in ids if i not in question["correct"])]
        )
    return picks


# --- what the learner does in the browser ---------------------------------------------------


def _watch(page: Any, base: str, course_id: int) -> str:
    """Open the course's video, play it to its end, wait for the server to call it complete;
    return the progress the player showed before playing."""
    page.goto(f"{base}/courses/{course_id}")
    page.get_by_role("link", name="第一讲 宪法与法治").click()
    page.wait_for_function("() => document.querySelector('.player-progress').textContent")
    before = page.locator(".player-progress").inner_text()
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    page.locator("video").evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').ended",
                           timeout=(VIDEO_SECONDS + 20) * 1000)
    page.get_by_text("本视频已完成").wait_for(timeout=10_000)
    assert int(page.locator(".player-verified").get_attribute("value")) >= 95
    return before


def _answer(page: Any, picks: dict[str, list[str]]) -> None:
    """Choose the options question by question, a question's taps all at once as a quick
    thumb makes them (each tap is saved as it is made); then wait until the page says every
    question chosen is saved."""
    for key, chosen in picks.items():
        page.evaluate("""([key, chosen]) => {
            for (const input of document.querySelectorAll(`input[name="q-${key}"]`)) {
                if (input.checked !== chosen.includes(input.value)) input.click();
            }
        }""", [key, chosen])
    page.wait_for_function("""keys => keys.every(key =>
        document.querySelector(`input[name="q-${key}"]`).closest("fieldset")
            .querySelector(".save-state").textContent === "已保存")""", arg=list(picks))


def _chosen(page: Any) -> dict[str, list[str]]:
    """What the paper shows as chosen, question by question."""
    return page.evaluate("""() => {
        const chosen = {};
        for (const input of document.querySelectorAll('.exam-paper input[name^="q-"]')) {
            const key = input.name.slice(2);
            chosen[key] = chosen[key] || [];
            if (input.checked) chosen[key].push(input.value);
        }
        for (const key in chosen) chosen[key].sort();
        return chosen;
    }""")


def _score(page: Any) -> str:
    return " ".join(page.locator(".credit").inner_text().split())


def _start(page: Any, base: str, course_id: int, number: int) -> None:
    page.goto(f"{base}/exam/course/{course_id}")
    page.get_by_role("button", name=f"开始第 {number} 次考试").click()
    page.locator(".exam-paper").wait_for()
    page.wait_for_load_state("load")  # the paper is there before its deferred script listens


def _submit(page: Any) -> None:
    page.get_by_role("button", name="交卷").click()
    page.get_by_role("heading", name="考试结果").wait_for()


def test_watch_fail_twice_restudy_and_pass(exam_server, chromium, screenshot_dir: Path):
    base, app, course_id = exam_server["url"], exam_server["app"], exam_server["course_id"]
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    # Every confirm() (start, submit, re-study) is answered yes, on every page of the context.
    context.on("page", lambda page: page.on("dialog", lambda dialog: dialog.accept()))
    phone = context.new_page()
    try:
        log_in(phone, base, exam_server["accounts"]["learner"])
        phone.get_by_text("您好，张伟").wait_for()

        # The exam is closed until the video is complete. (The course page's link to it,
        # 课程考试, is missing for learners: courses/detail.html asks has_role("learner").)
        phone.goto(f"{base}/exam/course/{course_id}")
        phone.get_by_text("看完本课程的全部视频后才能参加考试。").wait_for()
        assert phone.get_by_role("button", name=re.compile("开始第")).count() == 0
        phone.screenshot(path=screenshot_dir / "exam-closed-phone.png", full_page=True)

        assert "（0%）" in _watch(phone, base, course_id)
        assert _credits(app, course_id) == 0  # a public course is credited when its exam is passed

        # First attempt: every answer wrong, each saved as it is chosen.
        _start(phone, base, course_id, 1)
        html = phone.content()
        assert "correct" not in html and EXPLANATION not in html  # the answers stay on the server
        phone.get_by_text(re.compile(r"剩余 (29|30):\d\d")).wait_for()  # the server's deadline
        (first,) = _attempts(app, course_id)
        wrong = _picks(first, right=set())
        # Every option of the multiple-choice question ticked, then all but a wrong one taken
        # back: what is saved is what the page shows, however the saves overtake each other.
        (multiple,) = [q for q in first.paper if q["type"] == "multiple"]
        _answer(phone, {multiple["key"]: sorted(o["id"] for o in multiple["options"])})
        _answer(phone, wrong)
        assert _attempts(app, course_id)[0].answers == wrong
        phone.screenshot(path=screenshot_dir / "paper-phone.png", full_page=True)

        # The tab is closed and the paper opened again: every answer is still chosen.
        paper_url = phone.url
        phone.close()
        phone = context.new_page()
        phone.goto(paper_url)
        assert _chosen(phone) == wrong
        _submit(phone)
        assert _score(phone) == "0 分 / 100"
        phone.get_by_text("未通过").wait_for()
        phone.get_by_text("还可以再考一次。", exact=False).wait_for()
        # Another attempt is left: the score and the pass mark only, never which were wrong
        # (a true/false question marked wrong is its answer, and may be drawn again).
        phone.get_by_text("答错的题将在你通过考试或用完本轮考试机会后显示", exact=False).wait_for()
        html = phone.content()
        assert EXPLANATION not in html and "✓" not in html and "答错的题（" not in html
        assert not any(q["stem"] in html or q["key"] in html for q in first.paper)
        phone.screenshot(path=screenshot_dir / "failed-phone.png", full_page=True)

        # Second attempt: only the true/false questions right, 40 points, fails too.
        _start(phone, base, course_id, 2)
        second = _attempts(app, course_id)[1]
        assert second.number == 2 and second.paper != first.paper  # a freshly drawn paper
        # An option the server does not know (a page tampered with) is not saved, and the page
        # says so rather than 已保存.
        tampered = second.paper[0]["key"]
        phone.evaluate("""key => {
            const input = document.querySelector(`input[name="q-${key}"]`);
            input.value = "ffffffffffff";
            input.click();
        }""", tampered)
        phone.get_by_text("未保存：所选的选项不属于这道题").wait_for()
        assert tampered not in _attempts(app, course_id)[1].answers
        phone.reload()
        picks = _picks(second, right={"true_false"})
        _answer(phone, picks)
        assert _attempts(app, course_id)[1].answers == picks
        _submit(phone)
        assert _score(phone) == "40 分 / 100"
        phone.get_by_text("两次考试均未通过，请申请重新学习本课程。", exact=False).wait_for()
        # No attempt left in this round: the questions answered wrongly, without answers.
        phone.get_by_role("heading", name="答错的题（3）").wait_for()
        assert EXPLANATION not in phone.content() and "✓" not in phone.content()

        # The exam is locked, saying why, and offers re-study.
        phone.goto(f"{base}/exam/course/{course_id}")
        phone.get_by_role("alert").filter(has_text="两次考试均未通过，考试已关闭").wait_for()
        assert phone.get_by_role("button", name=re.compile("开始第")).count() == 0
        phone.screenshot(path=screenshot_dir / "locked-phone.png", full_page=True)
        phone.get_by_role("button", name="申请重新学习").click()
        phone.get_by_text("已申请重新学习").wait_for()
        phone.get_by_text("看完本课程的全部视频后才能参加考试。").wait_for()
        history = phone.locator("table").inner_text()
        assert "第 1 轮第 1 次" in history and "第 1 轮第 2 次" in history

        # Watching starts over: the course page shows nothing watched, the player 0 %.
        phone.goto(f"{base}/courses/{course_id}")
        watched = phone.get_by_role("progressbar", name="已验证观看")
        assert float(watched.get_attribute("value")) == 0
        assert phone.get_by_text("已完成", exact=True).count() == 0
        phone.screenshot(path=screenshot_dir / "restudy-phone.png", full_page=True)
        assert "（0%）" in _watch(phone, base, course_id)

        # A fresh attempt of the new round, every answer right: passed, the answers shown.
        _start(phone, base, course_id, 1)
        third = _attempts(app, course_id)[2]
        assert (third.cycle, third.number) == (2, 1)
        picks = _picks(third, right={"single", "multiple", "true_false"})
        _answer(phone, picks)  # two options of the multiple-choice question, saved in order
        assert _attempts(app, course_id)[2].answers == picks
        _submit(phone)
        assert _score(phone) == "100 分 / 100"
        phone.get_by_text("本课程学时已计入").wait_for()
        phone.get_by_text(EXPLANATION).first.wait_for()
        phone.screenshot(path=screenshot_dir / "passed-phone.png", full_page=True)

        # The submit sent again (a second tap, a resent form) changes nothing.
        token = phone.locator('input[name="csrf_token"]').first.get_attribute("value")
        again = context.request.post(f"{base}/exam/attempts/{third.id}/submit",
                                     form={"csrf_token": token})
        assert again.ok

        # The year page has the course's hours, credited once.
        phone.goto(f"{base}/exam/course/{course_id}")
        phone.get_by_text("已通过").wait_for()
        phone.goto(f"{base}/record/")
        row = phone.locator("table.records tr", has_text=TITLE)
        row.get_by_role("link", name=TITLE).wait_for()
        assert row.count() == 1
        assert "公需科目·必修" in row.inner_text() and "网络课程" in row.inner_text()
        phone.screenshot(path=screenshot_dir / "year-phone.png", full_page=True)
        assert _credits(app, course_id) == 1
    finally:
        context.close()
