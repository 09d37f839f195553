"""The Excel template (rules §5): what an exam admin downloads, fills in and uploads; every
problem tied to the row Excel shows; damaged, disguised or huge files refused whole, never a
crash; a bank exported into the template or as GIFT reads back the same."""

import io
import random
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.exam.formats import excel, gift
from lms.exam.formats.excel import HEADERS
from lms.exam.questions import TRUE_FALSE, Draft, QuestionType, true_false
from lms.files.intake import Refused

BANK = [
    Draft(QuestionType.single, "成人高血压的诊断标准是收缩压不低于",
          ("120 mmHg", "140 mmHg", "160 mmHg"), frozenset({1}), "见指南", 2, Decimal(2)),
    Draft(QuestionType.multiple, "以下属于抗菌药物的有 {注意} = #",
          ("青霉素", "头孢呋辛", "阿司匹林", "万古霉素"), frozenset({0, 1, 3}), "", 3,
          Decimal("2.5")),
    true_false("医师可以不经患者同意公开其病历。", False, "《医师法》第二十三条"),
]


#: Built once: a workbook records when it was saved, and hypothesis needs the same bytes each time.
VALID = excel.workbook(BANK)


def sheet_with(*rows, header=HEADERS):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    return book, sheet


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(kind, stem, *options, answer, explanation="", difficulty=None, points=None):
    padded = [*options, *[None] * (8 - len(options))]
    return [kind, stem, *padded, answer, explanation, difficulty, points]


def messages(reading):
    return [str(p) for p in reading.problems]


def test_the_template_has_the_headers_and_example_rows_that_must_be_deleted():
    data = excel.workbook()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    assert messages(excel.read(data)) == [
        f"第 {n} 行：这是模板中的示例行，请删除后再导入。" for n in (2, 3, 4)]


def test_a_filled_template_reads_every_answer_spelling():
    book, _ = sheet_with(
        row("单选", "题一", "甲", "乙", "丙", answer="b"),
        row("多选题", "题二", "甲", "乙", "丙", "丁", answer="A,B，D", difficulty="较难", points=3),
        row("多选", "题三", "甲", "乙", "丙", answer="A C", difficulty=2, points=1.5),
        row("判断", "题四", answer="对"),
        row("判断", "题五", answer="错误"),
        row("判断", "题六", answer="×"),
        [None] * 14,
        row("单选", 120, 1, 2.0, answer="B"),  # numbers typed into cells
    )
    reading = excel.read(saved(book))
    assert messages(reading) == []
    got = [(n, d.type.value, d.stem, d.options, sorted(d.answer), d.difficulty, d.points)
           for n, d in reading.questions]
    assert got == [
        (2, "single", "题一", ("甲", "乙", "丙"), [1], None, None),
        (3, "multiple", "题二", ("甲", "乙", "丙", "丁"), [0, 1, 3], 4, Decimal(3)),
        (4, "multiple", "题三", ("甲", "乙", "丙"), [0, 2], 2, Decimal("1.5")),
        (5, "true_false", "题四", TRUE_FALSE, [0], None, None),
        (6, "true_false", "题五", TRUE_FALSE, [1], None, None),
        (7, "true_false", "题六", TRUE_FALSE, [1], None, None),
        (9, "single", "120", ("1", "2"), [1], None, None),
    ]


def test_every_bad_row_is_named_by_its_row_and_nothing_is_taken_from_a_bad_file():
    book, sheet = sheet_with(
        row("单选", "", "甲", "乙", answer="A"),
        row("单选", "题", "甲", "乙", answer="E"),
        row("单选", "题", "甲", "乙", answer="AB"),
        row("多选", "题", "甲", "乙", answer="A"),
        row("填空", "题", "甲", "乙", answer="A"),
        row("判断", "题", answer="也许"),
        row("单选", "题", "甲", "乙", answer="1"),
        row("单选", "=CONCAT(\"a\",\"b\")", "甲", "乙", answer="A"),
        row("单选", "题", "甲", "乙", answer="A", difficulty="很难"),
        row("单选", "题", "甲", "乙", answer="A", points="两分"),
        row("单选", "合并", "甲", "乙", answer="A"),
        row("单选", "合并", "甲", "乙", answer="A"),
    )
    sheet.merge_cells("A12:A13")
    reading = excel.read(saved(book))
    assert messages(reading) == [
        "第 2 行：题干为空",
        "第 3 行：正确答案 E 没有对应的选项",
        "第 4 行：单选题只能有一个正确答案",
        "第 5 行：多选题至少要有两个正确答案",
        "第 6 行：题型“填空”无效，应为 单选、多选 或 判断",
        "第 7 行：判断题的正确答案“也许”无效，应为 对 或 错",
        "第 8 行：正确答案“1”无效，应为选项字母，如 B 或 ABD",
        "第 9 行：“题干”是公式，请复制后“粘贴为数值”",
        "第 10 行：难度“很难”无效，应为 1–5 或 易、较易、中、较难、难",
        "第 11 行：分值“两分”不是数字",
        "第 12 行：有合并的单元格（A12:A13），请取消合并，每题一行",
        "第 13 行：有合并的单元格（A12:A13），请取消合并，每题一行",
    ]
    assert not reading.ok


def test_a_sheet_without_the_template_columns_is_refused_at_its_header():
    book, _ = sheet_with(["题目", "答案"], header=("题目", "答案"))
    assert messages(excel.read(saved(book))) == [
        "第 1 行：缺少列：题型、题干、正确答案、选项A、选项B（请使用下载的模板）"]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "文件不是 Excel（.xlsx）工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "不支持旧版 Excel（.xls）文件"),
    (b"%PDF-1.7 not a workbook", "文件不是 Excel（.xlsx）工作簿"),
    (b"PK\x03\x04" + bytes(range(256)) * 4, "文件不是有效的 Excel（.xlsx）工作簿，或已损坏"),
])
def test_junk_renamed_xlsx_is_refused_whole(data, message):
    with pytest.raises(Refused, match=message):
        excel.read(data)


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (201 * 1024 * 1024))
    with pytest.raises(Refused, match="解压后过大"):
        excel.read(out.getvalue())


def test_ten_thousand_rows_are_read_in_seconds_and_one_more_is_refused():
    book, sheet = sheet_with()
    for n in range(10_001):
        sheet.append(row("单选", f"第{n}题", "甲", "乙", "丙", "丁", answer="C"))
    data = saved(book)
    started = time.monotonic()
    reading = excel.read(data)
    assert time.monotonic() - started < 30
    assert len(reading.questions) == 10_000
    assert messages(reading) == ["文件中的题目超过 10000 道"]


#: What a spreadsheet would run as a formula (or DDE) if it were written as one.
HOSTILE = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1")
HOSTILE_BANK = [
    Draft(QuestionType.single, HOSTILE[0], HOSTILE[1:], frozenset({0}), HOSTILE[3]),
    Draft(QuestionType.multiple, HOSTILE[1], (HOSTILE[2], HOSTILE[0], "甲"), frozenset({0, 1}),
          HOSTILE[0]),
    true_false(HOSTILE[2], True, HOSTILE[1]),
    true_false(HOSTILE[3], False, HOSTILE[2]),
]


def test_texts_that_look_like_formulas_are_exported_as_text_and_read_back_unchanged():
    data = excel.workbook(HOSTILE_BANK)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
    reading = excel.read(data)
    assert messages(reading) == []
    assert [d for _, d in reading.questions] == HOSTILE_BANK


def test_a_bank_exported_to_the_template_and_to_gift_reads_back_the_same():
    from_excel = [d for _, d in excel.read(excel.workbook(BANK)).questions]
    assert from_excel == BANK
    from_gift = gift.read(gift.write(BANK))
    assert from_gift.problems == []
    assert [(d.type, d.stem, d.options, d.answer, d.explanation) for _, d in from_gift.questions] \
        == [(d.type, d.stem, d.options, d.answer, d.explanation) for d in BANK]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_mangled_workbooks_are_refused_or_read_never_crash(rng: random.Random):
    data = bytearray(VALID)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(data))
        if rng.random() < 0.5:
            data[at] = rng.randrange(256)
        else:
            del data[at:at + rng.randint(1, 200)]
    try:
        reading = excel.read(bytes(data))
    except Refused:
        return
    assert all(str(p) for p in reading.problems)
