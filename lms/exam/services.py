"""Question banks: who keeps which, and importing and exporting their questions (rules §5).

An import is checked, shown, then taken all or nothing: the uploaded file is kept between its
preview and its confirmation (``QuestionImport``), read again when confirmed, and imported once
however often confirm is pressed.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import PurePath

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms import clock
from lms.audit import services as audit
from lms.auth.guards import require
from lms.auth.models import Role, User
from lms.courses import hooks
from lms.courses.models import Course
from lms.db import rowcount
from lms.exam import papers
from lms.exam.formats import MAX_BYTES, Problem, Reading, aiken, excel, gift, text
from lms.exam.models import CourseExam, Question, QuestionBank, QuestionImport, ShowAfter
from lms.exam.questions import Draft, QuestionType, plain, problems
from lms.extensions import db
from lms.files import intake
from lms.orgs.models import Organisation

FORMATS = {"excel": _l("Excel 模板（.xlsx）"), "gift": "GIFT（Moodle）", "aiken": "Aiken（Moodle）"}


class ImportExpired(ValueError):
    """The previewed file was let go before it was confirmed."""


class ImportRefused(ValueError):
    """The file has problems (listed in ``reading``): nothing was imported."""

    def __init__(self, reading: Reading) -> None:
        super().__init__("；".join(str(p) for p in reading.problems[:3]))
        self.reading = reading


# --- banks -----------------------------------------------------------------------------------


def provider_ids(user: User) -> list[int]:
    """The providers ``user`` works for."""
    return [a.org_id for a in user.roles if a.role is Role.provider and a.org_id is not None]


def banks_for(user: User) -> list[QuestionBank]:
    """The banks ``user`` keeps: all of them for an exam admin, a provider's own for a provider."""
    query = sa.select(QuestionBank).order_by(QuestionBank.name, QuestionBank.id)
    if not user.has_role(Role.exam_admin):
        query = query.where(QuestionBank.provider_id.in_(provider_ids(user)))
    return list(db.session.scalars(query))


def _keeping(bank: QuestionBank) -> list[audit.Capacity]:
    """Who may change ``bank``, as ``QuestionBank.can_manage`` says."""
    return [Role.exam_admin, (Role.provider, bank.provider)]


@audit.privileged("bank.create")
def create_bank(actor: User, name: str, description: str = "",
                provider: Organisation | None = None) -> QuestionBank:
    """A new bank, the city's (``provider`` None) or a provider's."""
    bank = QuestionBank(name=name.strip(), description=description.strip(), provider=provider,
                        created_by_id=actor.id)
    require(bank.can_manage(actor))
    db.session.add(bank)
    db.session.flush()
    audit.record(actor, "bank.create", bank, acting_as=_keeping(bank),
                 details={"provider": provider.name if provider else None})
    return bank


def get_bank(actor: User, bank_id: int) -> QuestionBank:
    bank = db.get_or_404(QuestionBank, bank_id)
    require(bank.can_manage(actor))
    return bank


def questions(bank: QuestionBank, *, retired: bool = False) -> sa.Select[tuple[Question]]:
    """The bank's questions in use (or those retired), oldest first."""
    return (sa.select(Question)
            .where(Question.bank_id == bank.id,
                   Question.retired_at.is_not(None) if retired else Question.retired_at.is_(None))
            .order_by(Question.id))


def counts(bank: QuestionBank) -> dict[str, int]:
    """Questions in use per type."""
    rows = db.session.execute(
        sa.select(Question.type, sa.func.count())
        .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        .group_by(Question.type)
    )
    return {kind.value: n for kind, n in rows}


# --- questions, one at a time ------------------------------------------------------------------


class QuestionRefused(ValueError):
    """The question as written is not well formed; str() says why, in the admin's words."""


def get_question(actor: User, question_id: int) -> Question:
    question = db.get_or_404(Question, question_id)
    require(question.bank.can_manage(actor))
    return question


def require_change(actor: User, bank: QuestionBank) -> None:
    """403 unless ``actor`` may change ``bank``'s questions (``QuestionBank.can_change``),
    saying why when it is the courses drawing from it that stop a keeper of the bank."""
    if bank.can_change(actor):
        return
    require(False, bank_locked(bank) if bank.can_manage(actor) else None)


def bank_locked(bank: QuestionBank) -> str:
    titles = "、".join(f"“{course.title}”" for course in bank.drawn_by_submitted()[:5])
    return _("课程%(titles)s已提交审核或已发布，其考试从本题库抽题：题目只能由市题库管理员修改。",
             titles=titles)


@audit.privileged("question.create", "question.edit")
def save_question(actor: User, bank: QuestionBank, draft: Draft,
                  question: Question | None = None) -> Question:
    """Add ``draft`` to ``bank``, or make ``question`` say it instead. Papers already drawn
    keep their own copy, so an edit changes only the papers drawn after it."""
    require(question is None or question.bank_id == bank.id)
    require_change(actor, bank)
    found = problems(draft)
    if found:
        raise QuestionRefused("；".join(found))
    action = "question.create" if question is None else "question.edit"
    if question is None:
        question = Question.from_draft(bank, draft)
        db.session.add(question)
    else:
        question.amend(draft)
    db.session.flush()
    audit.record(actor, action, question, acting_as=_keeping(bank), details={"bank": bank.name})
    return question


@audit.privileged("question.retire", "question.restore")
def set_retired(actor: User, question: Question, retired: bool) -> list[Course]:
    """Take a question out of use (or back into it); the courses whose exams can no longer be
    drawn because of it, so that the admin is told. A repeated click changes nothing: the
    question keeps the moment it was first retired."""
    require_change(actor, question.bank)
    if (question.retired_at is not None) != retired:
        question.retired_at = clock.now() if retired else None
        db.session.flush()
        audit.record(actor, "question.retire" if retired else "question.restore", question,
                     acting_as=_keeping(question.bank), details={"bank": question.bank.name})
    if not retired:
        return []
    drawing = db.session.scalars(sa.select(CourseExam))
    return [exam.course for exam in drawing
            if question.bank_id in exam.banks and exam_problems(exam.course)]


# --- import ------------------------------------------------------------------------------------


def guess_format(filename: str, data: bytes) -> str:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or filename.lower().endswith(
        (".xlsx", ".xls")
    ):
        return "excel"
    head = data[:20000].decode("utf-8", "ignore")
    if re.search(r"^\s*(ANSWER|ＡＮＳＷＥＲ)\s*[:：]", head, re.MULTILINE | re.IGNORECASE):
        return "aiken"
    return "gift"


def read_file(format: str, data: bytes) -> Reading:
    """Every question in the file and every problem with it; nothing is written."""
    if len(data) > MAX_BYTES:
        return _whole_file(_("文件超过 %(n)d MB，请拆分成几个文件", n=MAX_BYTES // (1024 * 1024)))
    if not data:
        return _whole_file(_("文件是空的"))
    try:
        if format == "excel":
            reading = excel.read(data)
        else:
            reader = {"gift": gift.read, "aiken": aiken.read}[format]
            reading = reader(text.decode(data))
    except (intake.Refused, text.NotText) as exc:
        return _whole_file(str(exc))
    if not reading.questions and not reading.problems:
        reading.refuse(0, _("文件中没有找到题目"))
    return reading


def _whole_file(message: str) -> Reading:
    return Reading(problems=[Problem(0, message)])


def stash(actor: User, bank: QuestionBank, filename: str, format: str,
          data: bytes) -> tuple[QuestionImport | None, Reading]:
    """Check an uploaded file; keep it for its confirmation when it has no problems."""
    require(format in FORMATS)
    require_change(actor, bank)
    reading = read_file(format, data)
    if not reading.ok:
        return None, reading
    pending = QuestionImport(bank=bank, user_id=actor.id, filename=PurePath(filename).name[:200],
                             format=format, data=data)
    db.session.add(pending)
    db.session.flush()
    return pending, reading


@audit.privileged("questions.import")
def confirm_import(actor: User, import_id: int) -> QuestionImport:
    """Import a checked file's questions, all of them, once."""
    pending = db.session.scalar(
        sa.select(QuestionImport).where(QuestionImport.id == import_id).with_for_update()
    )
    if pending is None:
        raise ImportExpired(_("预览已过期（超过一天未确认），请重新上传文件"))
    require(pending.user_id == actor.id)
    require_change(actor, pending.bank)
    if pending.imported_at is not None:  # a second click, a retried request
        return pending
    reading = read_file(pending.format, pending.data)
    if not reading.ok:
        raise ImportRefused(reading)
    db.session.add_all(Question.from_draft(pending.bank, draft) for _, draft in reading.questions)
    pending.imported_at, pending.imported, pending.data = clock.now(), len(reading.questions), b""
    db.session.flush()
    audit.record(actor, "questions.import", pending.bank, acting_as=_keeping(pending.bank),
                 details={"count": pending.imported, "file": pending.filename})
    return pending


def prune_imports(older_than: timedelta) -> int:
    """Forget files previewed but never confirmed, ``older_than`` ago or more; imported ones
    stay (their file already let go) as the record of who imported what, when."""
    removed = db.session.execute(
        sa.delete(QuestionImport).where(QuestionImport.imported_at.is_(None),
                                        QuestionImport.created_at < clock.now() - older_than)
    )
    return rowcount(removed)


# --- export ------------------------------------------------------------------------------------


#: The language of the Excel template, whoever downloads it: its column names and question
#: types (``QuestionType.label``) are what the importer reads back.
SHEET_LOCALE = "zh_Hans_CN"


def template() -> bytes:
    """The Excel template with its example rows."""
    with force_locale(SHEET_LOCALE):
        return excel.workbook()



def export_excel(bank: QuestionBank) -> bytes:
    drafts = [q.draft() for q in db.session.scalars(questions(bank))]
    with force_locale(SHEET_LOCALE):
        return excel.workbook(drafts)


def export_gift(bank: QuestionBank) -> str:
    return gift.write([q.draft() for q in db.session.scalars(questions(bank))])


# --- a course's exam ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamFields:
    banks: list[int]
    tags: list[str]
    #: question type → (how many, points each)
    counts: dict[QuestionType, tuple[int, Decimal]]
    pass_mark: Decimal = Decimal(60)
    minutes: int = 60
    shuffle_questions: bool = True
    shuffle_options: bool = True
    show_after: ShowAfter = ShowAfter.score
    partial_credit: bool = False


#: Why the exam of a course out of its provider's hands cannot be changed by them.
EXAM_LOCKED = _l("课程已提交审核或已发布，考试设置只能由市题库管理员修改。")


def usable_banks(user: User) -> list[QuestionBank]:
    """Banks ``user`` may draw a course's papers from: the city's and their own."""
    query = sa.select(QuestionBank).order_by(QuestionBank.name, QuestionBank.id)
    if not user.has_role(Role.exam_admin):
        query = query.where(sa.or_(QuestionBank.provider_id.is_(None),
                                   QuestionBank.provider_id.in_(provider_ids(user))))
    return list(db.session.scalars(query))


def exam_of(course: Course) -> CourseExam | None:
    return db.session.get(CourseExam, course.id)


def _settings(exam: CourseExam | None) -> dict[str, object]:
    """An exam's settings as the audit record compares them."""
    if exam is None:
        return {}
    return {"banks": list(exam.banks), "tags": list(exam.tags),
            "counts": [dict(row) for row in exam.counts],
            "pass_mark": plain(Decimal(exam.pass_mark)), "minutes": exam.minutes,
            "shuffle_questions": exam.shuffle_questions, "shuffle_options": exam.shuffle_options,
            "show_after": ShowAfter(exam.show_after).value, "partial_credit": exam.partial_credit}


@audit.privileged("exam.settings")
def save_exam(actor: User, course: Course, fields: ExamFields) -> CourseExam:
    require(course.can_set_exam(actor), str(EXAM_LOCKED) if course.can_see_exam(actor) else None)
    allowed = {bank.id for bank in usable_banks(actor)}
    require(set(fields.banks) <= allowed)
    before = _settings(exam_of(course))
    exam = exam_of(course) or CourseExam(course=course)
    exam.banks, exam.tags = sorted(set(fields.banks)), [t for t in fields.tags if t]
    exam.counts = [{"type": kind.value, "count": count, "points": str(points)}
                   for kind, (count, points) in fields.counts.items()]
    exam.pass_mark, exam.minutes = fields.pass_mark, fields.minutes
    exam.shuffle_questions, exam.shuffle_options = (fields.shuffle_questions,
                                                    fields.shuffle_options)
    exam.show_after, exam.partial_credit = fields.show_after, fields.partial_credit
    db.session.add(exam)
    db.session.flush()
    changed = {key: [before.get(key), value] for key, value in _settings(exam).items()
               if before.get(key) != value}
    audit.record(actor, "exam.settings", course,
                 acting_as=[Role.exam_admin, (Role.provider, course.provider), Role.city_admin],
                 details={"changed": changed})
    return exam


def candidates(bank_ids: list[int]) -> papers.Pool:
    """Every question in use in these banks, as a paper may draw it: what the rules choose by
    is known now, the rest of a question is read once it is drawn (a paper of 50 from a bank
    of 5,000 reads 50 whole, not 5,000)."""
    return papers.Pool(_groups(sorted(set(bank_ids))), _drafts)


def _groups(bank_ids: list[int]) -> list[papers.Group]:
    """The questions in use in these banks, in groups alike in what the rules choose by. Every
    attempt draws from them and they seldom change, so each process reads them once per
    version of the banks: how many questions are in use and when one last changed, read with
    every draw (an import adds questions; an edit, a retirement or a restoration changes
    ``updated_at``)."""
    in_use = (Question.bank_id.in_(bank_ids), Question.retired_at.is_(None))
    count, changed = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(Question.updated_at)).where(*in_use)).one()
    return _read_groups((str(db.engine.url), tuple(bank_ids), count, changed))


@functools.lru_cache(maxsize=256)
def _read_groups(version: tuple[str, tuple[int, ...], int, datetime | None]
                 ) -> list[papers.Group]:
    bank_ids = version[1]
    tags = sa.cast(Question.tags, sa.Text)
    rows = db.session.execute(  # a bank of thousands comes back in a few rows
        sa.select(Question.bank_id, Question.type, tags,
                  sa.func.aggregate_strings(sa.cast(Question.id, sa.Text), ","))
        .where(Question.bank_id.in_(bank_ids), Question.retired_at.is_(None))
        .group_by(Question.bank_id, Question.type, tags)
    )
    return [papers.Group(bank_id, kind, tuple(json.loads(written)),
                         sorted(int(i) for i in ids.split(",")))
            for bank_id, kind, written, ids in rows]


def _drafts(ids: list[int]) -> dict[int, papers.Draft]:
    """The drafts of the questions drawn, read as rows: a paper reads only what it copies."""
    drafts: dict[int, papers.Draft] = {}
    for at in range(0, len(ids), 1000):  # within SQLite's limit on parameters
        rows = db.session.execute(
            sa.select(Question.id, Question.type, Question.stem, Question.options,
                      Question.answer, Question.explanation)
            .where(Question.id.in_(ids[at:at + 1000])))
        drafts.update((i, papers.Draft(kind, stem, tuple(options), frozenset(answer), why))
                      for i, kind, stem, options, answer, why in rows)
    return drafts


@hooks.publish_check
def public_course_exam(course: Course) -> list[str]:
    """A public course is published only with an exam whose papers can be drawn."""
    if not course.category.is_public:
        return []
    if missing := exam_problems(course):
        return [_("公需科目课程须有有效的考试才能发布：%(why)s", why=_("；").join(missing))]
    return []


def exam_problems(course: Course) -> list[str]:
    """Why papers cannot be drawn for ``course`` as its exam is set; empty when they can."""
    exam = exam_of(course)
    if exam is None or not exam.rules():
        return [_("还没有设置考试（题库和各题型的题数）")]
    found = papers.shortfalls(exam.rules(), candidates(exam.banks))
    if exam.pass_mark > exam.total:
        found.append(_("及格分 %(mark)s 高于总分 %(total)s", mark=plain(exam.pass_mark),
                       total=plain(exam.total)))
    return found
