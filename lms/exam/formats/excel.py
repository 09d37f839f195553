"""The Excel template Chinese exam admins keep their questions in: one question per row.

    题型 | 题干 | 选项A … 选项H | 正确答案 | 解析 | 难度 | 分值

题型 is 单选 / 多选 / 判断; 正确答案 is "B", "ABD", "A,B,D" (any separator), or for 判断
对/错, 正确/错误, √/×. The template carries example rows marked 【示例】, which are refused
if left in. Rows are numbered as Excel shows them. The file is read by ``lms.files.intake`` and
written by ``lms.files.export``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from lms.exam.formats import MAX_QUESTIONS, Reading
from lms.exam.questions import LETTERS, MAX_OPTIONS, Draft, QuestionType, letters, true_false
from lms.files import export, intake
from lms.files.template import MARKER, SheetTemplate, cell_text

OPTION_HEADERS = tuple(f"选项{letter}" for letter in LETTERS)
HEADERS = ("题型", "题干", *OPTION_HEADERS, "正确答案", "解析", "难度", "分值")
REQUIRED = ("题型", "题干", "正确答案")
_TYPES = {"单选": QuestionType.single, "单选题": QuestionType.single,
          "多选": QuestionType.multiple, "多选题": QuestionType.multiple,
          "判断": QuestionType.true_false, "判断题": QuestionType.true_false}
_TRUE = {"对", "正确", "√", "是", "T", "TRUE", "Y"}
_FALSE = {"错", "错误", "×", "否", "F", "FALSE", "N"}
_DIFFICULTY = {"易": 1, "容易": 1, "较易": 2, "中": 3, "中等": 3, "较难": 4, "难": 5, "困难": 5}
#: What an .xlsx file is sent as.
MEDIA_TYPE = export.XLSX_MEDIA_TYPE


def read(data: bytes) -> Reading:
    """Every question of the first sheet; a file that cannot be read raises ``intake.Refused``."""
    sheet = intake.read_workbook(data, max_rows=MAX_QUESTIONS, keep_formulas=True,
                                 template=TEMPLATE)
    reading = Reading()
    rows = iter(sheet)
    header = next(rows, None)
    columns = _columns(header.cells if header else ())
    missing = [name for name in (*REQUIRED, "选项A", "选项B") if name not in columns]
    if missing:
        reading.refuse(header.number if header else 1,
                       _("缺少列：%(columns)s（请使用下载的模板）", columns="、".join(missing)))
        return reading
    # Merged cells are listed after the rows: the rows (at most MAX_QUESTIONS) are read first.
    taken: list[intake.Row] = []
    too_many = False
    try:
        taken.extend(rows)
    except intake.TooManyRows:
        too_many = True
    for row in taken:
        cells = {name: row.cells[index] if index < len(row.cells) else None
                 for name, index in columns.items()}
        values = {name: cell_text(value) for name, value in cells.items()}
        if not any(values.values()):  # text only outside the template's columns
            continue
        if row.refused:
            reading.refuse(row.number, row.refused)
            continue
        problem = _cell_problem(row.number, cells, sheet.merged)
        if problem:
            reading.refuse(row.number, problem)
            continue
        _row(reading, row.number, values)
    if too_many:
        reading.refuse(0, _("文件中的题目超过 %(n)d 道", n=MAX_QUESTIONS))
    return reading


def _columns(header: Sequence[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell_text(cell).replace(" ", "")
        if name in HEADERS and name not in columns:
            columns[name] = index
    return columns


def _cell_problem(number: int, cells: dict[str, object],
                  merged: list[intake.MergedCells]) -> str | None:
    for name, value in cells.items():
        if isinstance(value, intake.Formula):
            return _("“%(column)s”是公式，请复制后“粘贴为数值”", column=name)
    for area in merged:
        if area.min_row <= number <= area.max_row:
            return _("有合并的单元格（%(cells)s），请取消合并，每题一行", cells=area.coord)
    return None


def _row(reading: Reading, number: int, values: dict[str, str]) -> None:
    kind = _TYPES.get(values.get("题型", "").replace(" ", ""))
    stem = values.get("题干", "")
    if kind is None:
        reading.refuse(number, _("题型“%(value)s”无效，应为 单选、多选 或 判断",
                                 value=values.get("题型", "")))
        return
    extra = _extra(values)
    if isinstance(extra, str):
        reading.refuse(number, extra)
        return
    explanation, difficulty, points = extra
    answer = values.get("正确答案", "").upper().replace(" ", "")
    if kind is QuestionType.true_false:
        if answer not in _TRUE | _FALSE:
            reading.refuse(number, _("判断题的正确答案“%(value)s”无效，应为 对 或 错",
                                     value=answer))
            return
        reading.add(number, replace(true_false(stem, answer in _TRUE, explanation),
                                    difficulty=difficulty, points=points))
        return
    options = [values.get(name, "") for name in OPTION_HEADERS]
    while options and not options[-1]:
        options.pop()
    chosen = re.sub(r"[,，、;；/\s]", "", answer)
    if not chosen or any(c not in LETTERS for c in chosen) or len(set(chosen)) < len(chosen):
        reading.refuse(number, _("正确答案“%(value)s”无效，应为选项字母，如 B 或 ABD",
                                 value=values.get("正确答案", "")))
        return
    reading.add(number, Draft(kind, stem, tuple(options),
                              frozenset(LETTERS.index(c) for c in chosen),
                              explanation, difficulty, points))


def _extra(values: dict[str, str]) -> tuple[str, int | None, Decimal | None] | str:
    """The optional columns, or what is wrong with them."""
    difficulty: int | None = None
    text = values.get("难度", "")
    if text:
        difficulty = _DIFFICULTY.get(text) or (int(text) if text.isdigit() else None)
        if difficulty is None:
            return _("难度“%(value)s”无效，应为 1–5 或 易、较易、中、较难、难", value=text)
    points: Decimal | None = None
    text = values.get("分值", "")
    if text:
        try:
            points = Decimal(text)
        except InvalidOperation:
            return _("分值“%(value)s”不是数字", value=text)
    return values.get("解析", ""), difficulty, points


# --- writing: the template, and a bank exported into it -------------------------------------


def workbook(drafts: list[Draft] | None = None) -> bytes:
    """The template with ``drafts`` in it, or with its example rows when there are none."""
    book = export.Workbook()
    widths = (8, 48, *[18] * MAX_OPTIONS, 10, 36, 8, 8)
    sheet = book.sheet(TEMPLATE.title, widths=widths, freeze="B2", text_columns=len(HEADERS),
                       wrap=True)
    sheet.choices("A2:A10001", ("单选", "多选", "判断"))
    sheet.header(HEADERS)
    sheet.rows(TEMPLATE.examples if drafts is None else (_cells(draft) for draft in drafts))
    book.sheet("填写说明", widths=(100,)).rows([line] for line in _NOTES)
    return book.save()


def _cells(draft: Draft) -> list[object]:
    options = [] if draft.type is QuestionType.true_false else list(draft.options)
    if draft.type is QuestionType.true_false:
        answer = "对" if draft.answer == {0} else "错"
    else:
        answer = letters(draft.answer)
    return [draft.type.label, draft.stem, *options, *[""] * (MAX_OPTIONS - len(options)),
            answer, draft.explanation, draft.difficulty or "",
            str(draft.points) if draft.points is not None else ""]


_EXAMPLES = [
    Draft(QuestionType.single, f"{MARKER}成人高血压的诊断标准是收缩压不低于",
          ("120 mmHg", "140 mmHg", "160 mmHg"), frozenset({1}), "见《中国高血压防治指南》", 2,
          Decimal(2)),
    Draft(QuestionType.multiple, f"{MARKER}以下属于抗菌药物的有",
          ("青霉素", "头孢呋辛", "阿司匹林"), frozenset({0, 1}), "", 3, Decimal(3)),
    true_false(f"{MARKER}医师可以不经患者同意公开其病历。", False),
]
#: The downloadable template; its example rows are refused if left in.
TEMPLATE = SheetTemplate("题目", HEADERS, examples=tuple(tuple(_cells(d)) for d in _EXAMPLES))
_NOTES = [
    "每题一行，第一行是表头，请勿修改表头。",
    "题型：单选、多选 或 判断。",
    "选项A–选项H：选择题至少填两个选项，从选项A起连续填写；判断题不填选项。",
    "正确答案：单选填一个字母（如 B）；多选填两个以上字母（如 ABD 或 A,B,D）；判断填 对 或 错。",
    "解析、难度（1–5，或 易、较易、中、较难、难）、分值 可不填。",
    "以【示例】开头的三行是示例，导入前请删除。",
    "不要合并单元格，不要使用公式（请“粘贴为数值”）。一个文件最多 10000 题。",
]
