"""Attempts (rules §5): the exam opens when every video is complete; the paper is drawn and
frozen at the start; answers are saved as the learner goes; the server's clock ends the
attempt; two failures close the exam; a pass credits the course's hours once."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.db import utcnow
from lms.exam import attempts
from lms.exam.attempts import AttemptClosed, BadAnswer, ExamClosed
from lms.exam.models import ExamAttempt, StudyCycle
from lms.extensions import db
from lms.records.models import LearningRecord
from lms.watching.models import VideoProgress


def answer(attempt, learner, right) -> None:
    """Answer the questions of the types in ``right`` correctly and the others wrongly."""
    for question in attempt.paper:
        ids = [o["id"] for o in question["options"]]
        wrong = [i for i in ids if i not in question["correct"]][:1]
        attempts.save_answer(learner, attempt.id, question["key"],
                             question["correct"] if question["type"] in right else wrong)


def credits(learner) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)
                             .where(LearningRecord.user_id == learner.id))


def test_the_exam_opens_only_when_every_video_is_complete(people, exam_course, clock):
    with pytest.raises(ExamClosed, match="请先看完本课程的全部视频"):
        attempts.start(people.learner, exam_course)


def test_a_started_attempt_is_frozen_and_resumed_not_drawn_again(people, watched, clock):
    first = attempts.start(people.learner, watched)
    assert len(first.paper) == 20 and first.number == 1
    assert first.deadline - first.started_at == timedelta(minutes=30)
    assert attempts.start(people.learner, watched).id == first.id  # reopened, same paper


def test_a_pass_credits_the_hours_once_however_often_submitted(people, watched, clock):
    attempt = attempts.start(people.learner, watched)
    answer(attempt, people.learner, right={"single"})  # 10 × 6: exactly the pass mark
    for _ in range(3):  # a double click, a retry
        done = attempts.submit(people.learner, attempt.id)
    assert done.passed and done.score == 60
    assert credits(people.learner) == 1
    with pytest.raises(ExamClosed, match="你已通过"):
        attempts.start(people.learner, watched)


def test_two_failures_close_the_exam_with_the_reason(people, watched, clock):
    for number in (1, 2):
        attempt = attempts.start(people.learner, watched)
        assert attempt.number == number
        answer(attempt, people.learner, right={"true_false"})  # 10 × 4 = 40
        assert attempts.submit(people.learner, attempt.id).passed is False
    with pytest.raises(ExamClosed, match="两次考试均未通过，请申请重新学习"):
        attempts.start(people.learner, watched)
    assert credits(people.learner) == 0
    assert attempts.standing(people.learner, watched).locked


def test_the_servers_clock_ends_the_attempt_with_what_was_saved(people, watched, clock):
    attempt = attempts.start(people.learner, watched)
    answer(attempt, people.learner, right={"single", "true_false"})
    clock.advance(31 * 60)
    with pytest.raises(AttemptClosed, match="考试时间已到"):
        attempts.save_answer(people.learner, attempt.id, attempt.paper[0]["key"], [])
    late = attempts.submit(people.learner, attempt.id)  # a late submit changes nothing
    assert late.timed_out and late.submitted_at == attempt.deadline
    assert late.score == 100 and late.passed and credits(people.learner) == 1


def test_an_answer_saved_meanwhile_by_another_request_is_kept(people, watched, clock):
    attempt = attempts.start(people.learner, watched)
    db.session.commit()
    first, second = attempt.paper[0], attempt.paper[1]
    attempts.get(people.learner, attempt.id)  # this request read the attempt, then waited …
    # … while another request (another tab, another server) saved an answer and committed.
    db.session.connection().execute(sa.update(ExamAttempt.__table__)
                                    .where(ExamAttempt.id == attempt.id)
                                    .values(answers={first["key"]: first["correct"]}))
    attempts.save_answer(people.learner, attempt.id, second["key"], second["correct"])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ExamAttempt, attempt.id).answers == {
        first["key"]: first["correct"], second["key"]: second["correct"]}


def test_answers_outside_the_paper_are_refused(people, watched, clock, orgs):
    attempt = attempts.start(people.learner, watched)
    single = next(q for q in attempt.paper if q["type"] == "single")
    with pytest.raises(BadAnswer, match="不在你的试卷上"):
        attempts.save_answer(people.learner, attempt.id, "someone-elses-key", [])
    with pytest.raises(BadAnswer, match="不属于这道题"):
        attempts.save_answer(people.learner, attempt.id, single["key"], ["0123456789ab"])
    with pytest.raises(BadAnswer, match="只能选一个"):
        attempts.save_answer(people.learner, attempt.id, single["key"],
                             [o["id"] for o in single["options"][:2]])


def test_someone_elses_attempt_is_refused(people, watched, clock):
    from werkzeug.exceptions import Forbidden

    attempt = attempts.start(people.learner, watched)
    with pytest.raises(Forbidden):
        attempts.submit(people.provider, attempt.id)
    with pytest.raises(Forbidden):
        attempts.save_answer(people.provider, attempt.id, attempt.paper[0]["key"], [])


def test_a_learner_takes_the_exam_in_the_browser_and_finds_the_hours(client, people, login_as,
                                                                     watched, clock):
    login_as(people.learner)
    course_page = client.get(f"/courses/{watched.id}").get_data(as_text=True)
    assert f'href="/exam/course/{watched.id}">课程考试' in course_page
    assert "开始第 1 次考试" in client.get(f"/exam/course/{watched.id}").get_data(as_text=True)
    started = client.submit(f"/exam/course/{watched.id}/start")
    attempt = attempts.standing(people.learner, watched).open
    assert started.location.endswith(f"/exam/attempts/{attempt.id}")
    page = client.get(f"/exam/attempts/{attempt.id}").get_data(as_text=True)
    assert "correct" not in page and "explanation" not in page  # nothing tells the answer
    token = {"X-CSRFToken": client.csrf_token(f"/exam/attempts/{attempt.id}")}
    for question in attempt.paper:  # as the page saves each answer when it is chosen
        saved = client.post(f"/exam/attempts/{attempt.id}/answers", headers=token,
                            json={"key": question["key"], "options": question["correct"]})
        assert saved.get_json() == {"saved": True, "key": question["key"],
                                    "options": sorted(question["correct"])}
    foreign = client.post(f"/exam/attempts/{attempt.id}/answers", headers=token,
                          json={"key": attempt.paper[0]["key"], "options": ["ffffffffffff"]})
    assert foreign.status_code == 422 and "不属于这道题" in foreign.get_json()["message"]
    result = client.submit(f"/exam/attempts/{attempt.id}/answers", {"submit": "1"},
                           follow_redirects=True).get_data(as_text=True)
    assert "100 分" in result and "通过" in result
    assert "1.0 / 20" in client.get("/record/").get_data(as_text=True)  # public compulsory


def test_re_studying_archives_the_progress_and_opens_two_fresh_attempts(client, people,
                                                                       login_as, watched, clock):
    for _ in range(2):
        attempt = attempts.start(people.learner, watched)
        answer(attempt, people.learner, right={"true_false"})
        attempts.submit(people.learner, attempt.id)
    db.session.commit()
    login_as(people.learner)
    page = client.submit(f"/exam/course/{watched.id}/restudy", follow_redirects=True)
    assert "已申请重新学习" in page.get_data(as_text=True)
    now = attempts.standing(people.learner, watched)
    assert (now.cycle, now.attempts, len(now.history), now.videos_complete) == (2, [], 2, False)
    [cycle] = db.session.scalars(sa.select(StudyCycle))
    assert cycle.archived_progress[0]["covered"] == 2700.0  # kept, not deleted
    with pytest.raises(ExamClosed, match="请先看完"):
        attempts.start(people.learner, watched)
    progress = db.session.get(VideoProgress, (people.learner.id, watched.videos[0].id))
    progress.covered, progress.completed_at = 2700.0, utcnow()  # watched again
    fresh = attempts.start(people.learner, watched)
    assert (fresh.cycle, fresh.number) == (2, 1)
    answer(fresh, people.learner, right={"single"})
    assert attempts.submit(people.learner, fresh.id).passed and credits(people.learner) == 1


def test_re_studying_is_only_for_a_closed_exam(people, watched, clock):
    with pytest.raises(ExamClosed, match="两次考试均未通过后"):
        attempts.restudy(people.learner, watched)


def test_an_attempt_left_open_is_graded_and_credited_when_the_learner_next_looks(
    client, people, login_as, watched, clock
):
    attempt = attempts.start(people.learner, watched)
    answer(attempt, people.learner, right={"single"})
    db.session.commit()
    clock.advance(3600)  # the tab was closed; the time ran out long ago
    login_as(people.learner)
    page = client.get(f"/exam/course/{watched.id}").get_data(as_text=True)
    assert "已通过" in page and credits(people.learner) == 1


def test_the_papers_own_saving_never_says_saved_when_nothing_was(client, people, login_as,
                                                                  watched, clock):
    """The page saves each answer as it is chosen (exam.js): it is told ``saved`` only when
    the answer is stored, else why not in the API's one error shape; the whole form's button
    says 答案已保存 only then too."""
    attempt = attempts.start(people.learner, watched)
    db.session.commit()
    login_as(people.learner)
    url = f"/exam/attempts/{attempt.id}/answers"
    page = client.get(f"/exam/attempts/{attempt.id}").get_data(as_text=True)
    assert 'data-text-not-saved="未保存：{why}"' in page
    token = {"X-CSRFToken": client.csrf_token(f"/exam/attempts/{attempt.id}")}
    first, second = attempt.paper[0], attempt.paper[1]

    def stored() -> dict:
        return db.session.get(ExamAttempt, attempt.id, populate_existing=True).answers

    def refused(response, status: int, code: str, field: str | None = None) -> str:
        body = response.get_json()
        assert response.status_code == status and "saved" not in body, body
        assert (body["error"], body["field"]) == (code, field), body
        return body["message"]

    assert client.post(url, headers=token, json={"key": first["key"], "options": [
        first["correct"][0]]}).get_json()["saved"] is True
    assert "不在你的试卷上" in refused(
        client.post(url, headers=token, json={"key": "nope", "options": []}),
        422, "bad_answer", "key")
    assert "不属于这道题" in refused(
        client.post(url, headers=token, json={"key": second["key"], "options": ["f" * 12]}),
        422, "bad_answer", "options")
    for body in ([], "x", 1, None, {"key": second["key"]}, {"key": 1, "options": []}):
        answer = client.post(url, headers=token, data=json.dumps(body),
                             content_type="application/json")
        assert answer.status_code == 400 and "saved" not in answer.get_json(), body
    for text in ("{", "[" * 1000 + "]" * 1000):
        refused(client.post(url, headers=token, data=text, content_type="application/json"),
                400, "invalid_json")
    assert stored() == {first["key"]: [first["correct"][0]]}

    # The form's button: nothing chosen, a question not on the paper.
    empty = client.submit(url, {"save": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "没有选择任何答案" in empty and "答案已保存" not in empty
    foreign = client.submit(url, {"save": "1", "q-nope": "x"}, follow_redirects=True)
    assert "答案未保存：这道题不在你的试卷上" in foreign.get_data(as_text=True)

    # Time runs out: neither the script nor the form is told anything was saved.
    clock.advance(31 * 60)
    assert "考试时间已到" in refused(
        client.post(url, headers=token, json={"key": second["key"], "options": []}),
        409, "attempt_closed")
    late = client.submit(url, {"save": "1", f"q-{second['key']}": second["correct"][0]},
                         follow_redirects=True).get_data(as_text=True)
    assert "答案已保存" not in late
    assert stored() == {first["key"]: [first["correct"][0]]}

    # Logged out: the script is told so, not sent to the login page as if all were well.
    client.submit("/logout")
    gone = client.post(url, headers=token, json={"key": second["key"], "options": []})
    refused(gone, 401, "unauthenticated")
