"""Question banks for exam admins and providers: list, create, import (preview, then all or
nothing), export, the Excel template, questions written, edited and retired one at a time; a
course's exam settings."""

from __future__ import annotations

import io
from decimal import Decimal

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.auth.guards import actor, require, require_role
from lms.auth.models import Role
from lms.courses.models import Course
from lms.exam import bp, learner_views, report_views, services  # noqa: F401  (their routes)
from lms.exam.formats import MAX_BYTES, excel
from lms.exam.forms import BankForm, ExamForm, ImportForm, QuestionForm
from lms.exam.models import CourseExam, Question, QuestionBank, ShowAfter
from lms.exam.questions import plain, split_tags
from lms.extensions import db
from lms.forms import choice_list
from lms.orgs.models import Organisation
from lms.pagination import paginate

#: Questions shown in an import's preview; problems shown at most.
PREVIEW, PROBLEMS_SHOWN = 20, 500


@bp.route("/banks", methods=["GET", "POST"])
@login_required
def banks() -> str | Response:
    user = require_role(Role.exam_admin, Role.provider)
    form = BankForm()
    owners = [] if not user.has_role(Role.exam_admin) else [("", _("市题库（题库管理员）"))]
    owners += [(str(a.org_id), a.org.name) for a in user.roles
               if a.role is Role.provider and a.org is not None]
    form.provider_id.choices = choice_list(owners)
    if form.validate_on_submit():
        provider = (db.session.get(Organisation, int(form.provider_id.data))
                    if form.provider_id.data else None)
        bank = services.create_bank(user, form.name.data, form.description.data or "", provider)
        db.session.commit()
        flash(_("题库“%(name)s”已创建。", name=bank.name), "success")
        return redirect(url_for("exam.bank", bank_id=bank.id))
    listed = services.banks_for(user)
    return render_template("exam/banks.html", banks=listed, form=form,
                           counts={b.id: services.counts(b) for b in listed})


@bp.route("/banks/<int:bank_id>")
@login_required
def bank(bank_id: int) -> str:
    found = services.get_bank(actor(), bank_id)
    return _bank_page(found, ImportForm(), request.args.get("page", 1, type=int),
                      retired=bool(request.args.get("retired")))


def _bank_page(found: QuestionBank, form: ImportForm, number: int = 1,
               retired: bool = False) -> str:
    page = paginate(services.questions(found, retired=retired), number, 50)
    locked = None if found.can_change(actor()) else services.bank_locked(found)
    return render_template("exam/bank.html", bank=found, page=page, form=form, retired=retired,
                           locked=locked,
                           drafts=[q.draft() for q in page.items],
                           ids=[q.id for q in page.items], counts=services.counts(found))


@bp.route("/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(bank_id: int) -> str | Response:
    found = services.get_bank(actor(), bank_id)
    services.require_change(actor(), found)
    return _question_page(found, None, QuestionForm())


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(question_id: int) -> str | Response:
    question = services.get_question(actor(), question_id)
    services.require_change(actor(), question.bank)
    form = QuestionForm()
    if request.method == "GET":
        form.fill(question.draft())
    return _question_page(question.bank, question, form)


def _question_page(found: QuestionBank, question: Question | None,
                   form: QuestionForm) -> str | Response:
    if form.validate_on_submit():
        try:
            services.save_question(actor(), found, form.draft(), question)
        except services.QuestionRefused as refused:
            db.session.rollback()
            flash(_("未保存：%(why)s", why=str(refused)), "error")
        else:
            db.session.commit()
            flash(_("题目已保存；已经抽出的试卷不受影响。") if question else _("题目已添加。"),
                  "success")
            return redirect(url_for("exam.bank", bank_id=found.id))
    return render_template("exam/question.html", bank=found, question=question, form=form)


@bp.route("/questions/<int:question_id>/retire", methods=["POST"])
@login_required
def retire_question(question_id: int) -> Response:
    return _set_retired(question_id, True)


@bp.route("/questions/<int:question_id>/restore", methods=["POST"])
@login_required
def restore_question(question_id: int) -> Response:
    return _set_retired(question_id, False)


def _set_retired(question_id: int, retired: bool) -> Response:
    question = services.get_question(actor(), question_id)
    services.require_change(actor(), question.bank)
    short = services.set_retired(actor(), question, retired)
    db.session.commit()
    flash(_("题目已停用，今后不再抽到；已经抽出的试卷不受影响。") if retired
          else _("题目已恢复使用。"), "success")
    if short:
        flash(_("注意：这些课程的考试题目已不够组卷，请补充题目或修改考试设置：%(titles)s",
                titles="、".join(course.title for course in short)), "error")
    return redirect(url_for("exam.bank", bank_id=question.bank_id, retired=1 if not retired
                            else None))


@bp.route("/banks/<int:bank_id>/import", methods=["POST"])
@login_required
def upload(bank_id: int) -> str | Response:
    found = services.get_bank(actor(), bank_id)
    services.require_change(actor(), found)
    form = ImportForm()
    if not form.validate_on_submit():
        return _bank_page(found, form)
    received = form.file.data
    try:
        data = received.read(MAX_BYTES + 1)  # one byte more than allowed tells it is too big
    finally:
        received.close()  # a big upload is a temporary file
    filename = received.filename or ""
    chosen = form.format.data
    kind = services.guess_format(filename, data) if chosen == "auto" else chosen
    pending, reading = services.stash(actor(), found, filename, kind, data)
    db.session.commit()
    return render_template("exam/preview.html", bank=found, pending=pending, reading=reading,
                           format_label=services.FORMATS[kind], filename=filename,
                           drafts=[draft for _, draft in reading.questions[:PREVIEW]],
                           shown=PREVIEW, problems_shown=PROBLEMS_SHOWN)


@bp.route("/imports/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm(import_id: int) -> Response:
    try:
        done = services.confirm_import(actor(), import_id)
    except (services.ImportRefused, services.ImportExpired) as refused:
        db.session.rollback()
        flash(_("导入失败，未导入任何题目：%(why)s", why=str(refused)), "error")
        return redirect(request.referrer or url_for("exam.banks"))
    db.session.commit()
    flash(_("已导入 %(n)d 道题。", n=done.imported or 0), "success")
    return redirect(url_for("exam.bank", bank_id=done.bank_id))


@bp.route("/banks/<int:bank_id>/export.xlsx")
@login_required
def export_excel(bank_id: int) -> Response:
    found = services.get_bank(actor(), bank_id)
    return send_file(io.BytesIO(services.export_excel(found)), mimetype=excel.MEDIA_TYPE,
                     as_attachment=True, download_name=f"{found.name}.xlsx")


@bp.route("/banks/<int:bank_id>/export.gift")
@login_required
def export_gift(bank_id: int) -> Response:
    found = services.get_bank(actor(), bank_id)
    data = services.export_gift(found).encode("utf-8")
    # Werkzeug adds "; charset=utf-8" to a text/* type itself: naming it here doubled it.
    return send_file(io.BytesIO(data), mimetype="text/plain", as_attachment=True,
                     download_name=f"{found.name}.gift.txt")


@bp.route("/template.xlsx")
@login_required
def template() -> Response:
    require_role(Role.exam_admin, Role.provider)
    return send_file(io.BytesIO(services.template()), mimetype=excel.MEDIA_TYPE, as_attachment=True,
                     download_name=_("题库导入模板.xlsx"))


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@login_required
def settings(course_id: int) -> str | Response:
    user = actor()
    course = db.get_or_404(Course, course_id)
    require(course.can_see_exam(user))
    editable = course.can_set_exam(user)
    if request.method == "POST":
        require(editable, str(services.EXAM_LOCKED))
    exam = services.exam_of(course)
    form = ExamForm()
    form.banks.choices = choice_list([(b.id, b.name) for b in services.usable_banks(user)])
    if request.method == "GET" and exam is not None:
        _fill(form, exam)
    if form.validate_on_submit():
        services.save_exam(user, course, services.ExamFields(
            banks=form.banks.data, tags=list(split_tags(form.tags.data)),
            counts={k: (n, Decimal(str(p))) for k, (n, p) in form.counts().items()},
            pass_mark=form.pass_mark.data, minutes=form.minutes.data,
            shuffle_questions=form.shuffle_questions.data,
            shuffle_options=form.shuffle_options.data,
            show_after=ShowAfter(form.show_after.data), partial_credit=form.partial_credit.data,
        ))
        db.session.commit()
        flash(_("考试设置已保存。"), "success")
        return redirect(url_for("exam.settings", course_id=course.id))
    return render_template("exam/settings.html", course=course, form=form, exam=exam,
                           editable=editable, locked=services.EXAM_LOCKED,
                           problems=services.exam_problems(course) if exam else [], plain=plain)


def _fill(form: ExamForm, exam: CourseExam) -> None:
    form.banks.data, form.tags.data = list(exam.banks), "，".join(exam.tags)
    for row in exam.counts:
        getattr(form, f"{row['type']}_count").data = int(row["count"])
        getattr(form, f"{row['type']}_points").data = Decimal(row["points"])
    form.pass_mark.data, form.minutes.data = exam.pass_mark, exam.minutes
    form.shuffle_questions.data, form.shuffle_options.data = (exam.shuffle_questions,
                                                              exam.shuffle_options)
    form.show_after.data, form.partial_credit.data = exam.show_after.value, exam.partial_credit

