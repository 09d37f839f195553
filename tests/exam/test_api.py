"""The learner's exam over the JSON API (rules §5): the same flow as the pages, with a bearer
token or the browser's cookie and CSRF header; the paper never carries its answers while open;
the server's clock ends the attempt; a pass credits the course once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from lms.auth.models import Role
from lms.courses.models import Category
from lms.exam import services
from lms.exam.models import ExamAttempt, Question, ShowAfter
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db
from lms.records.models import LearningRecord
from tests.factories import PASSWORD, make_user
from tests.watching.conftest import FakeClock, Player, published_course

EXPLAINED = "依据《专业技术人员继续教育规定》第{n}条"


@pytest.fixture
def clock(app, monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setitem(app.extensions, "clock", fake)
    monkeypatch.setitem(app.config, "PRESENCE_MIN_SECONDS", 0)  # no 1 + 2 = ? while watching
    return fake


def exam_course(people, orgs, show_after: ShowAfter = ShowAfter.answers_after_pass) -> Any:
    """A published public course of one 5-minute video whose exam draws 10 single-choice
    questions (6 points) and 10 true/false (4 points), every one with an explanation."""
    course = published_course(people, orgs, 300, title="新时代工匠精神",
                              category=Category.public_compulsory)
    bank = services.create_bank(people.exam_admin, "公需科目题库")
    db.session.add_all(
        [Question.from_draft(bank, Draft(QuestionType.single, f"单选{n}", ("甲", "乙", "丙"),
                                         frozenset({n % 3}), EXPLAINED.format(n=n)))
         for n in range(15)]
        + [Question.from_draft(bank, true_false(f"判断{n}", n % 2 == 0,
                                                EXPLAINED.format(n=100 + n)))
           for n in range(15)])
    db.session.flush()
    services.save_exam(people.exam_admin, course, services.ExamFields(
        [bank.id], [], {QuestionType.single: (10, Decimal(6)),
                        QuestionType.true_false: (10, Decimal(4))},
        minutes=30, show_after=show_after))
    db.session.commit()
    return course


class App:
    """A learner's app or page script: every call goes through /api/v1 with one credential."""

    def __init__(self, client: Any, headers: dict[str, str], bearer: str | None = None) -> None:
        self.client, self.headers, self.bearer = client, headers, bearer

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1{path}", headers=self.headers, json=body)

    def ok(self, response: Any) -> dict:
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def watch(self, clock: FakeClock, course: Any) -> None:
        """Watch every video to its end through the watching API."""
        for video in course.ready_videos:
            player = Player(self.client, clock, video, bearer=self.bearer)
            player.press_play()
            assert player.play(video.duration_seconds)["complete"]

    def save(self, attempt_id: int, key: str, options: list[str]) -> Any:
        return self.post(f"/attempts/{attempt_id}/answers", {"key": key, "options": options})


def with_token(client: Any, user: Any) -> App:
    answer = client.post("/api/v1/tokens", json={"id_number": user.id_number,
                                                 "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    token = answer.get_json()["token"]
    return App(client, {"Authorization": f"Bearer {token}"}, bearer=token)


def with_cookie(client: Any, user: Any, login_as: Any) -> App:
    login_as(user, browser=client)
    return App(client, {"X-CSRFToken": client.csrf_token("/home")})


def server_paper(attempt_id: int) -> list[dict]:
    """The paper as the server keeps it, answers included: what the test knows, not the app."""
    return db.session.get(ExamAttempt, attempt_id, populate_existing=True).paper


def answer_all(app: App, attempt_id: int, right: set[str]) -> None:
    """Answer the questions of the types in ``right`` correctly and the others wrongly."""
    for question in server_paper(attempt_id):
        wrong = [o["id"] for o in question["options"] if o["id"] not in question["correct"]]
        chosen = question["correct"] if question["type"] in right else wrong[:1]
        assert app.save(attempt_id, question["key"], chosen).status_code == 200


def credits(user: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)
                             .where(LearningRecord.user_id == user.id))


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def assert_no_answers(body: dict) -> None:
    assert not keys_in(body) & {"correct", "question_id", "explanation"}
    assert "依据《" not in json.dumps(body, ensure_ascii=False)


def test_the_whole_exam_cycle_with_a_bearer_token(new_client, people, orgs, clock):
    course = exam_course(people, orgs)
    learner = with_token(new_client(), people.learner)

    before = learner.ok(learner.get(f"/courses/{course.id}/exam"))
    assert before["exam"] == {"questions": 20, "total": "100", "pass_mark": "60", "minutes": 30,
                              "show_after": "answers_after_pass"}
    assert (before["can_start"], before["videos_complete"]) == (False, False)
    assert "请先看完本课程的全部视频" in before["reason"]
    early = learner.post(f"/courses/{course.id}/exam/attempts")
    assert early.status_code == 409
    assert early.get_json() == {"error": "exam_closed", "message": before["reason"],
                                "field": None}

    learner.watch(clock, course)
    ready = learner.ok(learner.get(f"/courses/{course.id}/exam"))
    assert ready["can_start"] and ready["reason"] is None and ready["attempts_left"] == 2

    # The first attempt: its paper has no answers in it.
    first = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    assert (first["state"], first["number"], first["cycle"]) == ("open", 1, 1)
    assert first["seconds_left"] == 30 * 60 and first["result"] is None
    assert len(first["paper"]) == 20 and first["answers"] == {}
    assert_no_answers(first)
    question = first["paper"][0]
    option = question["options"][0]["id"]
    saved = learner.ok(learner.save(first["id"], question["key"], [option]))
    assert saved["answered"] == 1 and saved["options"] == [option]

    # The tab is closed; starting again resumes the same paper and its saved answer.
    resumed = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    assert (resumed["id"], resumed["paper"]) == (first["id"], first["paper"])
    assert resumed["answers"] == {question["key"]: [option]}
    learner.ok(learner.save(first["id"], question["key"], []))  # cleared
    assert learner.ok(learner.get(f"/attempts/{first['id']}"))["answers"] == {
        question["key"]: []}

    # Two failures close the exam, with the reason.
    for number, attempt in ((1, first), (2, None)):
        if attempt is None:
            attempt = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
            assert attempt["number"] == number and attempt["id"] != first["id"]
        answer_all(learner, attempt["id"], right={"true_false"})  # 10 × 4 = 40
        failed = learner.ok(learner.post(f"/attempts/{attempt['id']}/submit"))
        result = failed["result"]
        assert (failed["state"], result["score"], result["passed"]) == ("submitted", "40", False)
        assert result["locked"] is (number == 2)
        # Not passed: after the first, nothing of the questions (another attempt is left);
        # after the second, the wrong questions, never their answers.
        if number == 1:
            assert result["withheld"] and result["wrong"] is None
        else:
            assert not result["withheld"] and len(result["wrong"]) == 10
        assert result["answers"] is None
        assert failed["paper"] is None and failed["answers"] is None
        assert_no_answers(failed)
    locked = learner.ok(learner.get(f"/courses/{course.id}/exam"))
    assert locked["locked"] and not locked["can_start"] and locked["attempts_left"] == 0
    assert "两次考试均未通过，请申请重新学习" in locked["reason"]
    assert [a["score"] for a in locked["attempts"]] == ["40", "40"]
    refused = learner.post(f"/courses/{course.id}/exam/attempts")
    assert refused.status_code == 409 and refused.get_json()["message"] == locked["reason"]

    # 申请重新学习: watch again, two fresh attempts.
    again = learner.ok(learner.post(f"/courses/{course.id}/exam/restudy"))
    assert (again["cycle"], again["attempts"], len(again["history"])) == (2, [], 2)
    assert not again["videos_complete"] and not again["locked"]
    assert learner.post(f"/courses/{course.id}/exam/restudy").status_code == 409
    learner.watch(clock, course)
    fresh = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    assert (fresh["cycle"], fresh["number"]) == (2, 1)
    answer_all(learner, fresh["id"], right={"single", "true_false"})
    passed = learner.ok(learner.post(f"/attempts/{fresh['id']}/submit"))
    assert passed["result"]["passed"] and passed["result"]["score"] == "100"
    # A pass under answers_after_pass shows every answer and its explanation.
    paper = {q["key"]: q for q in server_paper(fresh["id"])}
    for shown in passed["result"]["answers"]:
        kept = paper[shown["key"]]
        assert shown["correct"] == kept["correct"] == shown["chosen"]
        assert shown["explanation"] == kept["explanation"]
    assert learner.ok(learner.post(f"/attempts/{fresh['id']}/submit")) == passed  # again
    assert credits(people.learner) == 1

    done = learner.ok(learner.get(f"/courses/{course.id}/exam"))
    assert done["passed"] and not done["can_start"] and "你已通过" in done["reason"]
    assert len(done["history"]) == 3


def test_a_browser_takes_the_exam_with_its_cookie_and_csrf_header(
    new_client, people, orgs, login_as, clock
):
    course = exam_course(people, orgs, show_after=ShowAfter.wrong)
    browser = new_client()
    page = with_cookie(browser, people.learner, login_as)
    page.watch(clock, course)
    unprotected = browser.post(f"/api/v1/courses/{course.id}/exam/attempts")
    assert unprotected.status_code == 400  # no X-CSRFToken: refused
    attempt = page.ok(page.post(f"/courses/{course.id}/exam/attempts"))
    assert_no_answers(attempt)
    answer_all(page, attempt["id"], right={"single"})  # 60: exactly the pass mark
    for _ in range(2):  # a double click
        result = page.ok(page.post(f"/attempts/{attempt['id']}/submit"))["result"]
        assert (result["score"], result["passed"]) == ("60", True)
    assert credits(people.learner) == 1
    # "wrong": the ten true/false questions, without their answers, as on the result page.
    assert result["answers"] is None and len(result["wrong"]) == 10
    assert_no_answers(result)
    html = browser.get(f"/exam/attempts/{attempt['id']}").get_data(as_text=True)
    assert all(q["stem"] in html for q in result["wrong"])


def test_score_only_shows_no_question(new_client, people, orgs, clock):
    course = exam_course(people, orgs, show_after=ShowAfter.score)
    learner = with_token(new_client(), people.learner)
    learner.watch(clock, course)
    attempt = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    answer_all(learner, attempt["id"], right={"single", "true_false"})
    result = learner.ok(learner.post(f"/attempts/{attempt['id']}/submit"))["result"]
    assert (result["score"], result["wrong"], result["answers"]) == ("100", None, None)


def test_someone_elses_attempt_is_refused_and_unknown_ones_are_404(
    new_client, people, orgs, clock
):
    course = exam_course(people, orgs)
    learner = with_token(new_client(), people.learner)
    learner.watch(clock, course)
    attempt = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    key = attempt["paper"][0]["key"]
    colleague = make_user(Role.learner, unit=orgs.unit, name="王刚")
    db.session.commit()
    for user in (colleague, people.provider):
        other = with_token(new_client(), user)
        assert other.get(f"/attempts/{attempt['id']}").status_code == 403
        assert other.save(attempt["id"], key, []).status_code == 403
        assert other.post(f"/attempts/{attempt['id']}/submit").status_code == 403
    assert other.get(f"/courses/{course.id}/exam").status_code == 403  # a provider takes none
    assert learner.ok(learner.get(f"/attempts/{attempt['id']}"))["state"] == "open"
    missing = learner.get("/attempts/999999")
    assert missing.status_code == 404 and missing.get_json()["message"]
    assert learner.get("/courses/999999/exam").status_code == 404
    assert db.session.get(ExamAttempt, attempt["id"], populate_existing=True).submitted_at is None


def test_answers_from_another_paper_or_malformed_are_refused(new_client, people, orgs, clock):
    course = exam_course(people, orgs)
    learner = with_token(new_client(), people.learner)
    learner.watch(clock, course)
    first = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    answer_all(learner, first["id"], right={"true_false"})
    learner.ok(learner.post(f"/attempts/{first['id']}/submit"))
    second = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    old, new = first["paper"][0], second["paper"][0]

    foreign_key = learner.save(second["id"], old["key"], [old["options"][0]["id"]])
    assert foreign_key.status_code == 422
    assert foreign_key.get_json() == {"error": "bad_answer", "message": "这道题不在你的试卷上",
                                      "field": "key"}
    foreign_option = learner.save(second["id"], new["key"], [old["options"][0]["id"]])
    assert foreign_option.status_code == 422
    assert "不属于这道题" in foreign_option.get_json()["message"]
    single = next(q for q in second["paper"] if q["type"] == "single")
    two = learner.save(second["id"], single["key"], [o["id"] for o in single["options"][:2]])
    assert two.status_code == 422 and "只能选一个" in two.get_json()["message"]
    closed = learner.save(first["id"], old["key"], [])
    assert closed.status_code == 409 and closed.get_json()["error"] == "attempt_closed"
    for body, field in (({"key": new["key"], "options": "甲"}, "options"),
                        ({"key": new["key"]}, "options"), ({"options": []}, "key"),
                        ({"key": new["key"], "options": [], "correct": True}, "correct"),
                        ({"key": 1, "options": []}, "key"),
                        ({"key": new["key"], "options": [new["options"][0]["id"], 1]},
                         "options.1"),
                        ({"key": new["key"], "options": None}, "options")):
        malformed = learner.post(f"/attempts/{second['id']}/answers", body)
        assert malformed.status_code == 400, body
        assert malformed.get_json()["field"] == field, body
    assert learner.ok(learner.get(f"/attempts/{second['id']}"))["answers"] == {}


def test_the_servers_clock_ends_the_attempt_with_what_was_saved(new_client, people, orgs,
                                                                 clock):
    course = exam_course(people, orgs)
    learner = with_token(new_client(), people.learner)
    learner.watch(clock, course)
    attempt = learner.ok(learner.post(f"/courses/{course.id}/exam/attempts"))
    answer_all(learner, attempt["id"], right={"single"})  # 60, saved before the deadline
    clock.advance(10 * 60)
    assert learner.ok(learner.get(f"/attempts/{attempt['id']}"))["seconds_left"] == 20 * 60
    clock.advance(20 * 60 + 1)
    key = attempt["paper"][0]["key"]
    late = learner.save(attempt["id"], key, [attempt["paper"][0]["options"][0]["id"]])
    assert late.status_code == 409
    assert late.get_json() == {"error": "attempt_closed", "field": None,
                               "message": "考试时间已到，已按保存的答案交卷"}
    kept = db.session.get(ExamAttempt, attempt["id"], populate_existing=True)
    assert kept.timed_out and kept.score == 60  # the refusal keeps what the clock did
    graded = learner.ok(learner.get(f"/attempts/{attempt['id']}"))
    assert graded["state"] == "submitted" and graded["seconds_left"] == 0
    assert graded["result"]["timed_out"] and graded["result"]["score"] == "60"
    assert graded["result"]["submitted_at"] == attempt["deadline"]
    assert credits(people.learner) == 1
    resubmitted = learner.ok(learner.post(f"/attempts/{attempt['id']}/submit"))
    assert resubmitted == graded and credits(people.learner) == 1


EXAM_PATHS = {
    ("/api/v1/courses/{course_id}/exam", "get"): (None, "ExamStanding", set()),
    ("/api/v1/courses/{course_id}/exam/attempts", "post"): (None, "Attempt", {"409"}),
    ("/api/v1/courses/{course_id}/exam/restudy", "post"): (None, "ExamStanding", {"409"}),
    ("/api/v1/attempts/{attempt_id}", "get"): (None, "Attempt", set()),
    ("/api/v1/attempts/{attempt_id}/answers", "post"): ("AnswerSave", "AnswerSaved",
                                                        {"409", "422"}),
    ("/api/v1/attempts/{attempt_id}/submit", "post"): (None, "Attempt", set()),
}


def test_the_openapi_document_describes_the_exam(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for (path, method), (body, response, errors) in EXAM_PATHS.items():
        entry = document["paths"][path][method]
        assert entry["tags"] == ["exam"]
        ok = entry["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{response}"}
        if body:
            sent = entry["requestBody"]["content"]["application/json"]["schema"]
            assert sent == {"$ref": f"#/components/schemas/{body}"}
        else:
            assert "requestBody" not in entry
        assert {"401", "403", "404"} | errors <= set(entry["responses"])
        for status in errors:
            refusal = entry["responses"][status]["content"]["application/json"]["schema"]
            assert refusal == {"$ref": "#/components/schemas/Error"}
    # The open paper's schema has no place for an answer.
    item = schemas["PaperItem"]["properties"]
    assert not set(item) & {"correct", "question_id", "explanation"}
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas
    validate(document)  # as OpenAPI 3.1


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return ([value["$ref"]] if "$ref" in value else []) + [
            r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


# --- what a result shows, and when (rules §5) ----------------------------------------------------

WITHHELD = "答错的题将在你通过考试或用完本轮考试机会后显示"


def sit(page: App, course: Any, right: set[str]) -> tuple[dict, list[dict]]:
    """An attempt answered with the types in ``right`` right, submitted: the API's result and
    the questions answered wrongly, as the server keeps them."""
    attempt = page.ok(page.post(f"/courses/{course.id}/exam/attempts"))
    answer_all(page, attempt["id"], right)
    result = page.ok(page.post(f"/attempts/{attempt['id']}/submit"))["result"]
    assert result == page.ok(page.get(f"/attempts/{attempt['id']}"))["result"]
    return {**result, "id": attempt["id"]}, [
        q for q in server_paper(attempt["id"]) if q["type"] not in right]


def result_page(browser: Any, attempt_id: int) -> str:
    page = browser.get(f"/exam/attempts/{attempt_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def assert_nothing_of(wrong: list[dict], *shown: str) -> None:
    """None of the questions in ``wrong``: no key, no stem, no option id (the learner's choice
    or the right one) in what the learner is shown."""
    for text in shown:
        for question in wrong:
            assert question["key"] not in text and question["stem"] not in text
            assert not any(o["id"] in text for o in question["options"])


@pytest.mark.parametrize("show", list(ShowAfter))
def test_a_failed_attempt_that_leaves_another_shows_the_score_and_pass_mark_only(
    new_client, people, orgs, login_as, clock, show
):
    course = exam_course(people, orgs, show_after=show)
    browser = new_client()
    page = with_cookie(browser, people.learner, login_as)
    page.watch(clock, course)
    result, wrong = sit(page, course, right={"true_false"})  # 40 of 100: failed
    html = result_page(browser, result["id"])
    assert "40 分" in html and "及格分 60。" in html and "还可以再考一次。" in html
    assert "答错的题（" not in html and "✓" not in html and "依据《" not in html
    assert_nothing_of(wrong, html)
    assert (WITHHELD in html) is (show is not ShowAfter.score)
    assert (result["score"], result["pass_mark"], result["passed"]) == ("40", "60", False)
    assert (result["wrong"], result["answers"]) == (None, None)
    assert result["withheld"] is (show is not ShowAfter.score)
    assert_no_answers(result)
    assert_nothing_of(wrong, json.dumps(result, ensure_ascii=False))


@pytest.mark.parametrize("show", list(ShowAfter))
def test_once_no_attempt_is_left_the_wrong_questions_are_shown_as_the_exam_allows(
    new_client, people, orgs, login_as, clock, show
):
    course = exam_course(people, orgs, show_after=show)
    browser = new_client()
    page = with_cookie(browser, people.learner, login_as)
    page.watch(clock, course)
    first, first_wrong = sit(page, course, right={"true_false"})
    second, wrong = sit(page, course, right={"true_false"})
    assert (second["passed"], second["locked"], second["withheld"]) == (False, True, False)
    assert second["answers"] is None  # no pass: never the answers
    assert_no_answers(second)
    html = result_page(browser, second["id"])
    assert WITHHELD not in html and "✓" not in html and "依据《" not in html
    if show is ShowAfter.score:
        assert second["wrong"] is None and "答错的题（" not in html
        assert_nothing_of(wrong, json.dumps(second, ensure_ascii=False), html)
    else:  # the ten single-choice questions answered wrongly, without their answers
        assert {q["key"] for q in second["wrong"]} == {q["key"] for q in wrong}
        assert "答错的题（10）" in html and all(q["stem"] in html for q in wrong)
    # The round is over: the first attempt's result now shows as much as the second's.
    again = page.ok(page.get(f"/attempts/{first['id']}"))["result"]
    assert not again["withheld"] and (again["wrong"] is None) is (show is ShowAfter.score)
    if again["wrong"] is not None:
        assert {q["key"] for q in again["wrong"]} == {q["key"] for q in first_wrong}


@pytest.mark.parametrize("show", list(ShowAfter))
def test_after_a_pass_the_details_are_shown_as_the_exam_allows(
    new_client, people, orgs, login_as, clock, show
):
    course = exam_course(people, orgs, show_after=show)
    browser = new_client()
    page = with_cookie(browser, people.learner, login_as)
    page.watch(clock, course)
    first, _wrong = sit(page, course, right={"true_false"})  # failed: nothing shown yet
    assert first["wrong"] is None and first["withheld"] is (show is not ShowAfter.score)
    passed, wrong = sit(page, course, right={"single"})  # 60: exactly the pass mark
    assert (passed["score"], passed["passed"], passed["withheld"]) == ("60", True, False)
    html = result_page(browser, passed["id"])
    assert WITHHELD not in html and "本课程学时已计入" in html
    if show is ShowAfter.score:
        assert (passed["wrong"], passed["answers"]) == (None, None)
        assert "答错的题（" not in html and "依据《" not in html
        assert_nothing_of(wrong, json.dumps(passed, ensure_ascii=False), html)
        return
    assert {q["key"] for q in passed["wrong"]} == {q["key"] for q in wrong}
    assert "答错的题（10）" in html and all(q["stem"] in html for q in wrong)
    if show is ShowAfter.wrong:
        assert passed["answers"] is None and "依据《" not in html and "✓" not in html
        assert_no_answers(passed)
        return
    # answers_after_pass: every question with the learner's choice, its answer and why.
    paper = {q["key"]: q for q in server_paper(passed["id"])}
    assert {q["key"] for q in passed["answers"]} == set(paper)
    for shown in passed["answers"]:
        kept = paper[shown["key"]]
        assert shown["correct"] == sorted(kept["correct"])
        assert shown["explanation"] == kept["explanation"] and shown["explanation"] in html
        assert shown["chosen"] == (kept["correct"] if kept["type"] == "single" else
                                   [o["id"] for o in kept["options"]
                                    if o["id"] not in kept["correct"]][:1])
    # The failed first attempt of a passed round shows its wrong questions, never answers.
    earlier = page.ok(page.get(f"/attempts/{first['id']}"))["result"]
    assert not earlier["withheld"] and len(earlier["wrong"]) == 10
    assert earlier["answers"] is None
