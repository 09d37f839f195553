"""A course's exam in numbers, for those who set it (rules §5): how many sat it and passed,
how the scores spread, which questions are most often answered wrongly, and every submitted
attempt as an Excel sheet.

A course may have tens of thousands of attempts. Counts and the score histogram are SQL
aggregates over all of them; only the most-wrong questions need the frozen papers, and those
are streamed (``yield_per``) as two JSON columns, never as ORM objects, from the latest
``MAX_PAPERS`` submitted attempts: decoding a paper's JSON costs about half a millisecond, so
every paper of a 50,000-attempt course would hold the page for half a minute, while a few
thousand papers rank the questions just as well. An attempt whose time ran out but
that nobody has looked at since is still open in the database (it is graded when the learner
next looks): it is counted as open, and said so, not graded here — a report does not write.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms import clock
from lms.auth.guards import require
from lms.auth.idcard import mask_id_number
from lms.auth.models import User
from lms.courses.models import Course
from lms.exam import services
from lms.exam.attempts import ATTEMPTS_PER_CYCLE
from lms.exam.models import ExamAttempt, StudyCycle
from lms.extensions import db
from lms.files import export
from lms.orgs.models import Organisation
from lms.records.services import CITY_TIME

logger = logging.getLogger(__name__)

#: Score buckets: 0–9 % … 80–89 %, and 90–100 % (a full score goes in the last).
BUCKETS = 10
#: A question's wrong rate is shown only once it has been drawn this often: with fewer, one
#: learner's slip moves the rate by more than 10 points and the ranking is noise.
MIN_DRAWN = 10
#: Questions listed as most often wrong.
TOP_WRONG = 10
#: Submitted papers, the latest, that the most-wrong questions are counted over.
MAX_PAPERS = 5000
#: Attempts read per round trip when streaming papers or export rows.
BATCH = 500

#: The results workbook is for people to read (nothing imports it): in the reader's language.
HEADERS = (_l("姓名"), _l("身份证号"), _l("单位"), _l("轮次"), _l("第几次"), _l("开始时间"),
           _l("交卷时间"), _l("用时"), _l("得分"), _l("总分"), _l("是否通过"), _l("超时交卷"))
_ONE_DECIMAL = Decimal("0.1")


# --- pure helpers ----------------------------------------------------------------------------


def bucket_of(score: Decimal, total: Decimal) -> int:
    """The bucket (0–9) of a score as a share of its attempt's total: 0–9 % is 0, 90–100 % is 9.
    The same comparisons as the SQL in ``_histogram`` (no division, so no rounding)."""
    for k in range(BUCKETS - 1, 0, -1):
        if score * BUCKETS >= total * k:
            return k
    return 0


@dataclass(frozen=True)
class Bucket:
    index: int
    count: int

    @property
    def low(self) -> int:
        return self.index * 100 // BUCKETS

    @property
    def high(self) -> int:
        return 100 if self.index == BUCKETS - 1 else self.low + 100 // BUCKETS - 1

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


def buckets(counts: Mapping[int, int]) -> list[Bucket]:
    """All ten buckets, empty ones too, from counts per bucket index."""
    return [Bucket(i, int(counts.get(i, 0))) for i in range(BUCKETS)]


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_ONE_DECIMAL, ROUND_HALF_UP)


def one_decimal(value: Any) -> Decimal | None:
    """An SQL average (float on SQLite, long Decimal on PostgreSQL) to one decimal."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(_ONE_DECIMAL, ROUND_HALF_UP)


@dataclass
class Tally:
    """How often a question was drawn, and answered wrongly, over submitted attempts."""

    question_id: int
    stem: str
    drawn: int = 0
    wrong: int = 0

    @property
    def rate(self) -> Decimal:
        return percent(self.wrong, self.drawn) or Decimal(0)


def tally(papers_and_answers: Iterable[tuple[Sequence[Mapping[str, Any]], Mapping[str, Any]]]
          ) -> dict[int, Tally]:
    """Per bank question: times drawn and times wrong. Wrong: the chosen options are not
    exactly the correct ones (an unanswered question is wrong; a half-credited multiple choice
    is wrong too). The stem is the first paper's met (``_papers`` gives the newest first),
    as papers freeze the stem when they are drawn."""
    found: dict[int, Tally] = {}
    for paper, answers in papers_and_answers:
        for question in paper:
            qid = int(question["question_id"])
            row = found.get(qid)
            if row is None:
                row = found[qid] = Tally(qid, question["stem"])
            row.drawn += 1
            if set(answers.get(question["key"]) or ()) != set(question["correct"]):
                row.wrong += 1
    return found


def most_wrong(tallies: Iterable[Tally], minimum: int = MIN_DRAWN,
               limit: int = TOP_WRONG) -> list[Tally]:
    """The ``limit`` questions drawn at least ``minimum`` times with the highest wrong rate;
    ties: more often wrong first, then the older question."""
    eligible = [t for t in tallies if t.drawn >= minimum and t.wrong > 0]
    eligible.sort(key=lambda t: (-Fraction(t.wrong, t.drawn), -t.wrong, t.question_id))
    return eligible[:limit]


@dataclass(frozen=True)
class Bar:
    bucket: Bucket
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    """Where the histogram's bars go in an SVG of ``width`` × ``height`` user units."""

    bars: list[Bar]
    #: Where the pass mark's line goes; None when there is no pass mark to mark.
    pass_x: float | None
    width: int = 330
    height: int = 200
    left: int = 15
    step: int = 30
    bar_width: int = 24
    top: int = 32
    baseline: int = 166

    @property
    def peak(self) -> int:
        return max((bar.bucket.count for bar in self.bars), default=0)


def chart(histogram: Sequence[Bucket], pass_percent: Decimal | None) -> Chart:
    """Bars scaled to the fullest bucket; the pass-mark line at its share of the total."""
    shape = Chart([], None)
    room = shape.baseline - shape.top
    peak = max((b.count for b in histogram), default=0)
    bars = []
    for i, bucket in enumerate(histogram):
        height = round(room * bucket.count / peak, 1) if peak else 0.0
        if bucket.count and height < 2:
            height = 2.0  # one attempt among thousands still shows
        bars.append(Bar(bucket, shape.left + i * shape.step + (shape.step - shape.bar_width) / 2,
                        shape.baseline - height, height))
    pass_x = None
    if pass_percent is not None and 0 <= pass_percent <= 100:
        pass_x = round(shape.left + float(pass_percent) * shape.step * BUCKETS / 100, 1)
    return Chart(bars, pass_x)


def spent(started: datetime, submitted: datetime) -> timedelta:
    """Time taken, to the second."""
    return timedelta(seconds=int((submitted - started).total_seconds()))


def local(moment: datetime) -> datetime:
    """A UTC moment as the city's wall-clock time to the second, naive (Excel has no time
    zones)."""
    return moment.astimezone(CITY_TIME).replace(tzinfo=None, microsecond=0)


# --- the numbers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    #: Learners with at least one attempt, open or submitted.
    learners: int
    #: Learners with at least one submitted attempt, and of them those who passed.
    learners_submitted: int
    learners_passed: int
    submitted: int
    passed: int
    open: int
    #: Open attempts whose time has run out: graded when the learner next looks.
    open_expired: int
    timed_out: int
    average_score: Decimal | None
    #: Average score as a share of each attempt's total, in per cent.
    average_percent: Decimal | None
    #: The attempts' totals: equal unless the exam was changed after some were drawn.
    lowest_total: Decimal | None
    highest_total: Decimal | None
    #: Learners whose current study cycle has two failed attempts and no pass.
    locked: int
    #: 申请重新学习: study cycles applied for.
    restudies: int

    @property
    def learner_pass_rate(self) -> Decimal | None:
        return percent(self.learners_passed, self.learners_submitted)

    @property
    def attempt_pass_rate(self) -> Decimal | None:
        return percent(self.passed, self.submitted)


@dataclass(frozen=True)
class Statistics:
    summary: Summary
    histogram: list[Bucket]
    chart: Chart
    most_wrong: list[Tally]
    #: Submitted papers the questions were counted over, and whether that is fewer than all.
    papers: int
    papers_capped: bool
    #: Questions drawn at least once, and at least ``min_drawn`` times.
    questions_seen: int
    questions_ranked: int
    min_drawn: int
    limit: int
    pass_mark: Decimal | None
    total: Decimal | None
    pass_percent: Decimal | None


def course_statistics(actor: User, course: Course, *, min_drawn: int = MIN_DRAWN,
                      limit: int = TOP_WRONG) -> Statistics:
    require(course.can_see_exam(actor))
    summary = _summary(course)
    histogram = buckets(_histogram(course))
    exam = services.exam_of(course)
    total = exam.total if exam is not None else None
    pass_mark = exam.pass_mark if exam is not None else None
    pass_percent = (pass_mark * 100 / total).quantize(_ONE_DECIMAL, ROUND_HALF_UP) \
        if total and pass_mark is not None else None
    tallies = tally(_papers(course, MAX_PAPERS))
    papers = min(summary.submitted, MAX_PAPERS)
    ranked = [t for t in tallies.values() if t.drawn >= min_drawn]
    return Statistics(summary, histogram, chart(histogram, pass_percent),
                      most_wrong(ranked, min_drawn, limit), papers,
                      summary.submitted > MAX_PAPERS, len(tallies), len(ranked),
                      min_drawn, limit, pass_mark, total, pass_percent)


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _summary(course: Course) -> Summary:
    a = ExamAttempt
    submitted = a.submitted_at.is_not(None)
    row = db.session.execute(
        sa.select(
            sa.func.count(sa.distinct(a.user_id)),
            sa.func.count(sa.distinct(sa.case((submitted, a.user_id)))),
            sa.func.count(sa.distinct(sa.case((a.passed.is_(True), a.user_id)))),
            sa.func.count(a.submitted_at),
            _count_if(a.passed.is_(True)),
            _count_if(a.submitted_at.is_(None)),
            _count_if(sa.and_(a.submitted_at.is_(None), a.deadline < clock.now())),
            _count_if(sa.and_(submitted, a.timed_out.is_(True))),
            sa.func.avg(a.score),
            # a float factor: SQLite divides integers as integers
            sa.func.avg(a.score * 100.0 / a.total),
            sa.func.min(sa.case((submitted, a.total))),
            sa.func.max(sa.case((submitted, a.total))),
        ).where(a.course_id == course.id)
    ).one()
    restudies = db.session.scalar(
        sa.select(sa.func.count()).select_from(StudyCycle).where(StudyCycle.course_id == course.id)
    )
    return Summary(
        learners=row[0], learners_submitted=row[1], learners_passed=row[2], submitted=row[3],
        passed=int(row[4]), open=int(row[5]), open_expired=int(row[6]), timed_out=int(row[7]),
        average_score=one_decimal(row[8]), average_percent=one_decimal(row[9]),
        lowest_total=one_decimal(row[10]), highest_total=one_decimal(row[11]),
        locked=_locked(course), restudies=restudies or 0,
    )


def _locked(course: Course) -> int:
    """Learners whose current cycle (the latest StudyCycle's, or 1) has two failures and no
    pass — the rule of ``attempts.Standing.locked``, in SQL."""
    current = (sa.select(StudyCycle.user_id, sa.func.max(StudyCycle.cycle).label("cycle"))
               .where(StudyCycle.course_id == course.id)
               .group_by(StudyCycle.user_id).subquery())
    a = ExamAttempt
    learners = (
        sa.select(a.user_id)
        .outerjoin(current, current.c.user_id == a.user_id)
        .where(a.course_id == course.id, a.cycle == sa.func.coalesce(current.c.cycle, 1))
        .group_by(a.user_id)
        .having(_count_if(a.passed.is_(False)) >= ATTEMPTS_PER_CYCLE,
                _count_if(a.passed.is_(True)) == 0)
    ).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(learners)) or 0


def _histogram(course: Course) -> dict[int, int]:
    """Submitted attempts per score bucket, counted by the database."""
    a = ExamAttempt
    # score / total >= k / 10, compared as score * 10 >= total * k: exact on both databases
    index = sa.case(*[(a.score * BUCKETS >= a.total * k, k) for k in range(BUCKETS - 1, 0, -1)],
                    else_=0)
    scored = (sa.select(index.label("bucket"))
              .where(a.course_id == course.id, a.submitted_at.is_not(None),
                     a.score.is_not(None))
              .subquery())
    rows = db.session.execute(
        sa.select(scored.c.bucket, sa.func.count()).group_by(scored.c.bucket)
    )
    return {int(bucket): count for bucket, count in rows}


def _papers(course: Course, limit: int) -> Iterable[tuple[list[Any], dict[str, Any]]]:
    """The latest ``limit`` submitted attempts' papers and answers, newest first, streamed in
    batches."""
    result = db.session.execute(
        sa.select(ExamAttempt.paper, ExamAttempt.answers)
        .where(ExamAttempt.course_id == course.id, ExamAttempt.submitted_at.is_not(None))
        .order_by(ExamAttempt.id.desc())
        .limit(limit)
        .execution_options(yield_per=BATCH)
    )
    for paper, answers in result:
        yield paper, answers or {}


# --- the Excel export --------------------------------------------------------------------------


def full_id_numbers(actor: User) -> bool:
    """Whether the export carries whole ID numbers: only for the city's HR admins, who keep
    the accounts and match learners against HR records by that number; a provider or an exam
    admin needs the results, not the people's identities, and gets them masked as pages do."""
    return actor.is_city_admin


def results_workbook(actor: User, course: Course) -> bytes:
    """Every submitted attempt, one row each, oldest submission first."""
    require(course.can_see_exam(actor))
    full = full_id_numbers(actor)
    book = export.Workbook()
    sheet = book.sheet(_("考试成绩"), widths=(10, 22, 28, 6, 7, 20, 20, 10, 8, 8, 9, 9),
                       freeze="A2")
    sheet.header(str(title) for title in HEADERS)
    sheet.rows(_cells(row, full) for row in _result_rows(course))
    return book.save()


def _result_rows(course: Course) -> Iterable[sa.Row[Any]]:
    a = ExamAttempt
    return db.session.execute(
        sa.select(User.name, User.id_number, Organisation.name, a.cycle, a.number,
                  a.started_at, a.submitted_at, a.score, a.total, a.passed, a.timed_out)
        .join(User, User.id == a.user_id)
        .outerjoin(Organisation, Organisation.id == User.unit_id)
        .where(a.course_id == course.id, a.submitted_at.is_not(None))
        .order_by(a.submitted_at, a.id)
        .execution_options(yield_per=BATCH)
    )


def _cells(row: sa.Row[Any], full: bool) -> list[Any]:
    """One attempt's row; names and units are written as text by ``export`` (a name that starts
    with "=" is not a formula)."""
    (name, id_number, unit, cycle, number, started, submitted, score, total, passed,
     timed_out) = row
    return [name, id_number if full else mask_id_number(id_number), unit or "", cycle, number,
            local(started), local(submitted), spent(started, submitted), score, total,
            _("是") if passed else _("否"), _("是") if timed_out else _("否")]
