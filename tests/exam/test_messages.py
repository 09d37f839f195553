"""Every message of the exams goes through gettext, like the rest of the platform: Chinese by
default, English for a reader who chose it; the files exchanged with exam admins stay in the
template's Chinese whoever downloads them."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import openpyxl
from flask_babel import force_locale

from lms.config import PROJECT_ROOT
from lms.exam import services
from lms.exam.formats import excel
from lms.exam.models import Question
from lms.exam.questions import Draft, QuestionType
from lms.extensions import db
from tests.exam.test_banks import admin, bank, upload  # noqa: F401  (fixtures)
from tests.exam.test_excel import messages, row, saved, sheet_with

CJK = re.compile(r"[\u4e00-\u9fff]")
GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext"}
#: Data, not messages: the text of a true/false question's two options, stored with it.
DATA = {("lms/exam/questions.py", "正确"), ("lms/exam/questions.py", "错误")}
#: The Excel template's own words — its headers, the spellings it accepts, its example questions
#: and its instructions sheet — stay Chinese whoever downloads it: the importer reads them back.
#: Its messages (what is wrong with a row) go through gettext like every other.
FORMAT = {"lms/exam/formats/excel.py"}


def _literals_outside_gettext(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {node.body[0].value for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and CJK.search(node.value)) or node in docstrings:
            continue
        holder = parents[node]
        while isinstance(holder, ast.JoinedStr | ast.FormattedValue):
            holder = parents[holder]
        if isinstance(holder, ast.keyword) and holder.arg == "description":
            continue  # the OpenAPI document's
        if isinstance(holder, ast.Call) and isinstance(holder.func, ast.Name):
            first = holder.args[0] if holder.args else None
            if holder.func.id in GETTEXT and first in (node, parents[node]):
                continue
            if holder.func.id == "operation":
                continue  # an API operation's summary, in the OpenAPI document
        found.append((node.lineno, node.value))
    return found


def test_every_chinese_literal_of_the_exams_is_a_message_through_gettext():
    outside = []
    for path in sorted((PROJECT_ROOT / "lms/exam").rglob("*.py")):
        name = str(path.relative_to(PROJECT_ROOT))
        if name in FORMAT:
            continue
        outside += [f"{name}:{line}: {text}" for line, text in _literals_outside_gettext(path)
                    if (name, text) not in DATA]
    assert outside == []


def test_the_exams_refusals_follow_the_readers_language(app, client, admin, bank,  # noqa: F811
                                                        course):
    client.get("/language/en")
    page = upload(client, bank, "::1:: 请简述 {}\n".encode(), "a.gift").get_data(as_text=True)
    assert "Essay questions are not supported" in page and "不支持问答题" not in page
    with app.test_request_context():
        assert services.exam_problems(course) == ["还没有设置考试（题库和各题型的题数）"]
        with force_locale("en"):
            assert services.exam_problems(course) == [
                "The exam has not been set yet (banks and the number of questions of each type)"]


def test_what_is_wrong_with_a_template_row_is_said_in_the_readers_language(app):
    """The template keeps its Chinese words; what is wrong with a row follows the reader."""
    book, _sheet = sheet_with(row("问答", "题干", "甲", "乙", answer="A"),
                              row("单选", "题干", "甲", "乙", answer="Z", points="几分"))
    data = saved(book)
    with app.test_request_context():
        assert messages(excel.read(data)) == [
            "第 2 行：题型“问答”无效，应为 单选、多选 或 判断",
            "第 3 行：分值“几分”不是数字"]
        with force_locale("en"):
            english = " ".join(messages(excel.read(data)))
    assert "Question type “问答” is not valid" in english
    assert "Points “几分” is not a number" in english


def test_the_template_and_an_export_stay_in_chinese_for_an_english_reader(
    client, admin, bank  # noqa: F811
):
    drafts = [Draft(QuestionType.single, "题一", ("甲", "乙"), frozenset({0}))]
    db.session.add_all(Question.from_draft(bank, d) for d in drafts)
    db.session.commit()
    client.get("/language/en")
    sheet = client.get(f"/exam/banks/{bank.id}/export.xlsx")
    assert [d for _, d in excel.read(sheet.data).questions] == drafts  # reads back
    rows = openpyxl.load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True)
    assert next(rows)[0] == "题型" and next(rows)[0] == "单选"
    template = client.get("/exam/template.xlsx")
    assert template.status_code == 200
    example = list(openpyxl.load_workbook(io.BytesIO(template.data)).active.iter_rows(
        min_row=2, max_row=2, values_only=True))[0]
    assert example[0] == "单选"
    assert "question-import-template.xlsx" in template.headers["Content-Disposition"]
