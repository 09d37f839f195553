"""The Excel template Chinese exam admins keep their questions in: one question per row.

    题型 | 题干 | 选项A … 选项H | 正确答案 | 解析 | 难度 | 分值

题型 is 单选 / 多选 / 判断; 正确答案 is "B", "ABD", "A,B,D" (any separator), or for 判断
对/错, 正确/错误, √/×. The template carries an example row marked 【示例】, which is refused
if left in. Rows are numbered as Excel shows them.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from lms.exam.formats import MAX_QUESTIONS, Reading
from lms.exam.questions import LETTERS, MAX_OPTIONS, Draft, QuestionType, letters, true_false

log = logging.getLogger(__name__)

OPTION_HEADERS = tuple(f"选项{letter}" for letter in LETTERS)
HEADERS = ("题型", "题干", *OPTION_HEADERS, "正确答案", "解析", "难度", "分值")
REQUIRED = ("题型", "题干", "正确答案")
EXAMPLE = "【示例】"
_TYPES = {"单选": QuestionType.single, "单选题": QuestionType.single,
          "多选": QuestionType.multiple, "多选题": QuestionType.multiple,
          "判断": QuestionType.true_false, "判断题": QuestionType.true_false}
_TRUE = {"对", "正确", "√", "是", "T", "TRUE", "Y"}
_FALSE = {"错", "错误", "×", "否", "F", "FALSE", "N"}
_DIFFICULTY = {"易": 1, "容易": 1, "较易": 2, "中": 3, "中等": 3, "较难": 4, "难": 5, "困难": 5}
#: Uncompressed bytes a workbook may unpack to (a zip bomb stops here).
MAX_UNPACKED = 200 * 1024 * 1024
#: Empty rows in a row before reading stops (sheets carry formatted empty rows below the data).
MAX_BLANK_RUN = 500

#: What an .xlsx file is sent as.
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NotAWorkbook(ValueError):
    """The file as a whole cannot be read as an .xlsx workbook; str() says why."""


def read(data: bytes) -> Reading:
    sheet = _first_sheet(data)
    reading = Reading()
    rows = sheet.iter_rows()
    header = next(rows, None)
    columns = _columns(header or ())
    missing = [name for name in (*REQUIRED, "选项A", "选项B") if name not in columns]
    if missing:
        reading.refuse(1, "缺少列：" + "、".join(missing) + "（请使用下载的模板）")
        return reading
    merged = [r for r in sheet.merged_cells.ranges if r.max_row > 1]
    blank_run = 0
    for row in rows:
        number = row[0].row
        cells = {name: row[index] if index < len(row) else None
                 for name, index in columns.items()}
        values = {name: _text(cell.value if cell is not None else None)
                  for name, cell in cells.items()}
        if not any(values.values()):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if len(reading.questions) + len(reading.problems) >= MAX_QUESTIONS:
            reading.refuse(0, f"文件中的题目超过 {MAX_QUESTIONS} 道")
            break
        problem = _cell_problem(number, cells, merged)
        if problem:
            reading.refuse(number, problem)
            continue
        _row(reading, number, values)
    return reading


def _first_sheet(data: bytes) -> Any:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise NotAWorkbook("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后上传")
    if not data.startswith(b"PK\x03\x04"):
        raise NotAWorkbook("文件不是 Excel（.xlsx）工作簿")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED:
                raise NotAWorkbook("工作簿解压后过大，请拆分成几个文件")
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
        return book.worksheets[0]
    except NotAWorkbook:
        raise
    except Exception:  # openpyxl and zipfile raise many kinds of error on a damaged file
        log.info("unreadable question workbook", exc_info=True)
        raise NotAWorkbook("文件不是有效的 Excel（.xlsx）工作簿，或已损坏") from None


def _columns(header: Any) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _text(cell.value).replace(" ", "")
        if name in HEADERS and name not in columns:
            columns[name] = index
    return columns


def _cell_problem(number: int, cells: dict[str, Any], merged: list[Any]) -> str | None:
    for name, cell in cells.items():
        if cell is not None and cell.data_type == "f":
            return f"“{name}”是公式，请复制后“粘贴为数值”"
    for area in merged:
        if area.min_row <= number <= area.max_row:
            return f"有合并的单元格（{area.coord}），请取消合并，每题一行"
    return None


def _row(reading: Reading, number: int, values: dict[str, str]) -> None:
    kind = _TYPES.get(values.get("题型", "").replace(" ", ""))
    stem = values.get("题干", "")
    if stem.startswith(EXAMPLE):
        reading.refuse(number, "这是模板中的示例，请删除这一行")
        return
    if kind is None:
        reading.refuse(number, f"题型“{values.get('题型', '')}”无效，应为 单选、多选 或 判断")
        return
    extra = _extra(values)
    if isinstance(extra, str):
        reading.refuse(number, extra)
        return
    explanation, difficulty, points = extra
    answer = values.get("正确答案", "").upper().replace(" ", "")
    if kind is QuestionType.true_false:
        if answer not in _TRUE | _FALSE:
            reading.refuse(number, f"判断题的正确答案“{answer}”无效，应为 对 或 错")
            return
        reading.add(number, replace(true_false(stem, answer in _TRUE, explanation),
                                    difficulty=difficulty, points=points))
        return
    options = [values.get(name, "") for name in OPTION_HEADERS]
    while options and not options[-1]:
        options.pop()
    chosen = re.sub(r"[,，、;；/\s]", "", answer)
    if not chosen or any(c not in LETTERS for c in chosen) or len(set(chosen)) < len(chosen):
        reading.refuse(number, f"正确答案“{values.get('正确答案', '')}”无效，"
                               f"应为选项字母，如 B 或 ABD")
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
            return f"难度“{text}”无效，应为 1–5 或 易、较易、中、较难、难"
    points: Decimal | None = None
    text = values.get("分值", "")
    if text:
        try:
            points = Decimal(text)
        except InvalidOperation:
            return f"分值“{text}”不是数字"
    return values.get("解析", ""), difficulty, points


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- writing: the template, and a bank exported into it -------------------------------------


def workbook(drafts: list[Draft] | None = None) -> bytes:
    """The template with ``drafts`` in it, or with example rows when there are none."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "题目"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    rows = drafts if drafts is not None else _EXAMPLES
    for draft in rows:
        sheet.append(_cells(draft))
    widths = {"A": 8, "B": 48, **{chr(ord("C") + i): 18 for i in range(MAX_OPTIONS)}}
    widths.update({"K": 10, "L": 36, "M": 8, "N": 8})
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.number_format = "@"
    kinds = DataValidation(type="list", formula1='"单选,多选,判断"', allow_blank=False)
    sheet.add_data_validation(kinds)
    kinds.add("A2:A10001")
    sheet.freeze_panes = "B2"
    notes = book.create_sheet("填写说明")
    for line in _NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
    Draft(QuestionType.single, f"{EXAMPLE}成人高血压的诊断标准是收缩压不低于",
          ("120 mmHg", "140 mmHg", "160 mmHg"), frozenset({1}), "见《中国高血压防治指南》", 2,
          Decimal(2)),
    Draft(QuestionType.multiple, f"{EXAMPLE}以下属于抗菌药物的有",
          ("青霉素", "头孢呋辛", "阿司匹林"), frozenset({0, 1}), "", 3, Decimal(3)),
    true_false(f"{EXAMPLE}医师可以不经患者同意公开其病历。", False),
]
_NOTES = [
    "每题一行，第一行是表头，请勿修改表头。",
    "题型：单选、多选 或 判断。",
    "选项A–选项H：选择题至少填两个选项，从选项A起连续填写；判断题不填选项。",
    "正确答案：单选填一个字母（如 B）；多选填两个以上字母（如 ABD 或 A,B,D）；判断填 对 或 错。",
    "解析、难度（1–5，或 易、较易、中、较难、难）、分值 可不填。",
    "以【示例】开头的三行是示例，导入前请删除。",
    "不要合并单元格，不要使用公式（请“粘贴为数值”）。一个文件最多 10000 题。",
]
