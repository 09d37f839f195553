"""A course's exam statistics (rules §5): numbers, the score histogram, the questions most often
answered wrongly and the results as Excel, from real attempts of several learners; who may see
them; and that the page carries no answer's option id."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from lms.auth.idcard import mask_id_number
from lms.db import utcnow
from lms.exam import attempts, statistics
from lms.exam.models import ExamAttempt
from lms.exam.questions import Draft, QuestionType
from lms.exam.statistics import Bucket, Tally, bucket_of, chart, most_wrong, tally
from lms.extensions import db
from lms.watching.models import VideoProgress
from tests.exam.conftest import examined
from tests.factories import make_user

CITY = ZoneInfo("Asia/Shanghai")


# --- pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("score", "total", "bucket"), [
    ("0", "100", 0), ("9.9", "100", 0), ("10", "100", 1), ("59.5", "100", 5), ("60", "100", 6),
    ("89.9", "100", 8), ("90", "100", 9), ("100", "100", 9), ("27", "30", 9), ("26.9", "30", 8),
    ("2.5", "50", 0), ("5", "50", 1),
])
def test_a_score_falls_in_its_tenth_of_the_total(score, total, bucket):
    assert bucket_of(Decimal(score), Decimal(total)) == bucket


def test_buckets_are_labelled_and_the_last_takes_a_full_score():
    labels = [b.label for b in statistics.buckets({})]
    assert labels[0] == "0–9" and labels[5] == "50–59" and labels[9] == "90–100"


def test_the_ranking_needs_enough_draws_and_breaks_ties_plainly():
    tallies = [Tally(1, "甲", 20, 5), Tally(2, "乙", 9, 9), Tally(3, "丙", 10, 5),
               Tally(4, "丁", 20, 10), Tally(5, "戊", 30, 0), Tally(6, "己", 12, 6)]
    assert [t.question_id for t in most_wrong(tallies, minimum=10)] == [4, 6, 3, 1]
    assert [t.question_id for t in most_wrong(tallies, minimum=10, limit=2)] == [4, 6]
    assert [t.question_id for t in most_wrong(tallies, minimum=1)][0] == 2  # 9 of 9


def test_unanswered_and_half_right_count_as_wrong():
    paper = [{"key": "k1", "question_id": 7, "stem": "多选", "correct": ["a", "b"]},
             {"key": "k2", "question_id": 8, "stem": "单选", "correct": ["c"]}]
    found = tally([(paper, {"k1": ["b", "a"], "k2": ["c"]}),
                   (paper, {"k1": ["a"]}),  # half right; k2 unanswered
                   (paper, {"k1": [], "k2": ["d"]})])
    assert (found[7].drawn, found[7].wrong) == (3, 2)
    assert (found[8].drawn, found[8].wrong, found[8].rate) == (3, 2, Decimal("66.7"))


def test_the_chart_scales_to_the_fullest_bucket_and_marks_the_pass_mark():
    drawn = chart([Bucket(i, n) for i, n in enumerate([0, 1, 0, 0, 4, 0, 0, 0, 2, 0])],
                  Decimal(60))
    heights = [bar.height for bar in drawn.bars]
    assert heights[4] == drawn.baseline - drawn.top and heights[0] == 0
    assert heights[1] == pytest.approx(heights[4] / 4, abs=0.1)
    assert drawn.pass_x == drawn.left + 6 * drawn.step
    assert chart(statistics.buckets({}), None).pass_x is None


# --- a course sat by several learners ----------------------------------------------------------


@pytest.fixture
def exam_course(course, people):
    """Every paper draws all five single-choice questions 题1 … 题5 of its bank, 20 points
    each; 60 passes."""
    return examined(course, people.exam_admin,
                    [Draft(QuestionType.single, f"题{n}", ("甲", "乙", "丙", "丁"),
                           frozenset({n % 4})) for n in range(1, 6)],
                    {QuestionType.single: (5, Decimal(20))})


def learner(orgs, course, name):
    """A learner of the unit who has watched every video of ``course``."""
    person = make_user(unit=orgs.unit, name=name)
    for video in course.videos:
        db.session.add(VideoProgress(user_id=person.id, video_id=video.id, coverage=[[0, 2700]],
                                     covered=2700.0, position=2700.0, completed_at=utcnow()))
    db.session.flush()
    return person


def sit(person, course, clock, wrong=(), blank=(), minutes=5, submit=True):
    """An attempt with the questions (by stem) in ``wrong`` answered wrongly, those in
    ``blank`` not answered, the others right; submitted after ``minutes``."""
    attempt = attempts.start(person, course)
    for question in attempt.paper:
        if question["stem"] in blank:
            continue
        wrong_ids = [o["id"] for o in question["options"] if o["id"] not in question["correct"]]
        chosen = wrong_ids[:1] if question["stem"] in wrong else question["correct"]
        attempts.save_answer(person, attempt.id, question["key"], chosen)
    clock.advance(minutes * 60)
    if submit:
        attempts.submit(person, attempt.id)
    return attempt


@pytest.fixture
def sat(exam_course, orgs, people, clock):
    """Nine learners, ten submitted attempts:

    张一 100 | 张二 40, 80 | 张三 20, 40 (locked) | 张四 0, 40, then re-studies |
    张六 80 by the clock | 张七 100 | 张八 80 | 张五 answering | 张九 out of time, not looked at.
    """
    c = exam_course
    q = [f"题{n}" for n in range(1, 6)]
    expired = sit(learner(orgs, c, "张九"), c, clock, submit=False, minutes=0)
    sit(learner(orgs, c, "张一"), c, clock)
    two = learner(orgs, c, "张二")
    sit(two, c, clock, wrong=q[:3])
    sit(two, c, clock, wrong=q[:1])
    three = learner(orgs, c, "张三")
    sit(three, c, clock, wrong=q[:4])
    sit(three, c, clock, wrong=q[:3])
    four = learner(orgs, c, "张四")
    sit(four, c, clock, wrong=q[:4], blank=q[4:])
    sit(four, c, clock, wrong=q[:3])
    attempts.restudy(four, c)
    six = learner(orgs, c, "张六")
    sit(six, c, clock, wrong=q[:1], minutes=31, submit=False)
    assert attempts.standing(six, c).history[0].timed_out  # graded by the clock when looked at
    sit(learner(orgs, c, "张七"), c, clock)
    sit(learner(orgs, c, "张八"), c, clock, wrong=q[4:])
    sit(learner(orgs, c, "张五"), c, clock, submit=False, minutes=0)
    db.session.commit()
    assert expired.submitted_at is None and clock() > expired.deadline
    return c


def test_the_numbers(people, sat):
    found = statistics.course_statistics(people.provider, sat)
    s = found.summary
    assert (s.learners, s.learners_submitted, s.learners_passed) == (9, 7, 5)
    assert (s.submitted, s.passed, s.open, s.open_expired, s.timed_out) == (10, 5, 2, 1, 1)
    assert s.learner_pass_rate == Decimal("71.4") and s.attempt_pass_rate == Decimal("50.0")
    assert s.average_score == Decimal("58.0") and s.average_percent == Decimal("58.0")
    assert s.lowest_total == s.highest_total == Decimal(100)
    assert (s.locked, s.restudies) == (1, 1)  # 张三; 张四 re-studies and is no longer locked


def test_the_histogram(people, sat):
    found = statistics.course_statistics(people.city_admin, sat)
    assert [b.count for b in found.histogram] == [1, 0, 1, 0, 3, 0, 0, 0, 3, 2]
    assert found.pass_percent == Decimal(60) and found.chart.pass_x is not None


def test_the_most_wrong_questions(people, sat):
    found = statistics.course_statistics(people.exam_admin, sat)
    assert found.min_drawn == statistics.MIN_DRAWN == 10
    assert [(t.stem, t.drawn, t.wrong, t.rate) for t in found.most_wrong] == [
        ("题1", 10, 7, Decimal("70.0")), ("题2", 10, 5, Decimal("50.0")),
        ("题3", 10, 5, Decimal("50.0")), ("题4", 10, 2, Decimal("20.0")),
        ("题5", 10, 2, Decimal("20.0")),
    ]
    fewer = statistics.course_statistics(people.exam_admin, sat, min_drawn=11)
    assert fewer.most_wrong == [] and fewer.questions_seen == 5


def rows_of(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_results_as_excel(client, login_as, people, sat):
    login_as(people.provider)
    response = client.get(f"/exam/courses/{sat.id}/results.xlsx")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = rows_of(response)
    assert rows[0] == ["姓名", "身份证号", "单位", "轮次", "第几次", "开始时间", "交卷时间", "用时",
                       "得分", "总分", "是否通过", "超时交卷"]
    body = rows[1:]
    assert [(r[0], r[3], r[4], r[8], r[10], r[11]) for r in body] == [
        ("张一", 1, 1, 100, "是", "否"), ("张二", 1, 1, 40, "否", "否"),
        ("张二", 1, 2, 80, "是", "否"), ("张三", 1, 1, 20, "否", "否"),
        ("张三", 1, 2, 40, "否", "否"), ("张四", 1, 1, 0, "否", "否"),
        ("张四", 1, 2, 40, "否", "否"), ("张六", 1, 1, 80, "是", "是"),
        ("张七", 1, 1, 100, "是", "否"), ("张八", 1, 1, 80, "是", "否"),
    ]
    assert {r[2] for r in body} == {"威海市立医院"} and {r[9] for r in body} == {100}
    one = db.session.scalars(sa.select(ExamAttempt).where(ExamAttempt.course_id == sat.id,
                                                          ExamAttempt.submitted_at.is_not(None))
                             .order_by(ExamAttempt.submitted_at, ExamAttempt.id)).first()
    assert body[0][5] == one.started_at.astimezone(CITY).replace(tzinfo=None, microsecond=0)
    assert body[0][6] == one.submitted_at.astimezone(CITY).replace(tzinfo=None, microsecond=0)
    assert body[0][7] == timedelta(minutes=5)
    assert body[7][7] == timedelta(minutes=30)  # timed out: submitted at the deadline
    # a provider sees ID numbers masked, as on every page
    assert all("*" in r[1] and len(r[1]) == 18 for r in body)


def test_the_city_admin_gets_whole_id_numbers(client, login_as, people, sat):
    login_as(people.city_admin)
    body = rows_of(client.get(f"/exam/courses/{sat.id}/results.xlsx"))[1:]
    masked = {r[1] for r in body}
    assert all("*" not in n and len(n) == 18 for n in masked)
    assert statistics.full_id_numbers(people.city_admin)
    assert not statistics.full_id_numbers(people.exam_admin)
    assert mask_id_number(body[0][1]) != body[0][1]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0",
                                  "@SUM(1+1)", "-1+1"])
def test_a_name_is_written_as_text_not_as_a_formula(people, exam_course, orgs, clock, name):
    sit(learner(orgs, exam_course, name), exam_course, clock)
    data = statistics.results_workbook(people.exam_admin, exam_course)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    cell = openpyxl.load_workbook(io.BytesIO(data)).active["A2"]
    assert cell.data_type == "s" and cell.value == name


@pytest.mark.parametrize(("who", "status"), [
    ("provider", 200), ("city_admin", 200), ("exam_admin", 200),
    ("other_provider", 403), ("learner", 403), ("unit_reviewer", 403),
])
def test_who_may_see_the_statistics_and_the_export(client, login_as, people, exam_course, who,
                                                   status):
    login_as(getattr(people, who))
    assert client.get(f"/exam/courses/{exam_course.id}/statistics").status_code == status
    assert client.get(f"/exam/courses/{exam_course.id}/results.xlsx").status_code == status


def test_no_one_signed_in_is_sent_to_log_in(client, exam_course):
    assert client.get(f"/exam/courses/{exam_course.id}/statistics").status_code == 302


def test_an_unknown_course_is_not_found(client, login_as, people):
    login_as(people.city_admin)
    assert client.get("/exam/courses/999999/statistics").status_code == 404


def test_the_page_shows_the_numbers_and_no_option_ids(client, login_as, people, sat):
    login_as(people.provider)
    html = client.get(f"/exam/courses/{sat.id}/statistics").get_data(as_text=True)
    assert "71.4%" in html and "50.0%" in html
    assert "<svg" in html and 'role="img"' in html and "<title" in html
    assert "90–100%：2 次" in html  # the counts as text
    assert "及格 60%" in html and "至少 10 次" in html
    assert "题1" in html and "70.0%" in html
    for attempt in db.session.scalars(sa.select(ExamAttempt)
                                      .where(ExamAttempt.course_id == sat.id)):
        for question in attempt.paper:
            for option in question["options"]:
                assert option["id"] not in html
            assert question["key"] not in html


def test_the_settings_page_links_to_the_statistics(client, login_as, people, exam_course):
    login_as(people.provider)
    html = client.get(f"/exam/courses/{exam_course.id}").get_data(as_text=True)
    assert f"/exam/courses/{exam_course.id}/statistics" in html


def test_a_course_no_one_has_sat(client, login_as, people, exam_course):
    found = statistics.course_statistics(people.exam_admin, exam_course)
    assert found.summary.submitted == 0 and found.summary.learner_pass_rate is None
    assert found.summary.average_score is None and found.most_wrong == []
    login_as(people.exam_admin)
    html = client.get(f"/exam/courses/{exam_course.id}/statistics").get_data(as_text=True)
    assert "还没有人交卷" in html
    assert rows_of(client.get(f"/exam/courses/{exam_course.id}/results.xlsx"))[1:] == []


def test_the_most_wrong_count_only_the_latest_papers_of_a_busy_course(client, login_as, people,
                                                                      sat, monkeypatch):
    monkeypatch.setattr(statistics, "MAX_PAPERS", 4)  # 张八, 张七, 张六 and 张四's second
    found = statistics.course_statistics(people.exam_admin, sat, min_drawn=1)
    assert (found.papers, found.papers_capped) == (4, True)
    assert found.summary.submitted == 10 and sum(b.count for b in found.histogram) == 10
    assert [(t.stem, t.drawn, t.wrong) for t in found.most_wrong] == [
        ("题1", 4, 2), ("题2", 4, 1), ("题3", 4, 1), ("题5", 4, 1)]
    login_as(people.exam_admin)
    html = client.get(f"/exam/courses/{sat.id}/statistics").get_data(as_text=True)
    assert "只统计最近的 4 份试卷" in html
