"""Files in: uploaded workbooks and CSV are read under caps, hostile ones refused in under a
second and 50 MB whatever they declare, and a template's example rows never get in."""

import io
import zipfile

import openpyxl
import pytest
from defusedxml import EntitiesForbidden

from lms.files import intake
from lms.files.intake import Formula, Refused, TooManyRows
from lms.files.template import MARKER, SheetTemplate
from tests.files import bombs
from tests.files.measure import measure

#: bomb → what reading it ends in (the refusal, or the harmless rows it holds)
OUTCOMES = {
    "zip_bomb": "refused: 工作簿解压后过大",
    "whole_grid": "read 1 rows",  # the header; nothing in the first 256 columns below it
    "sparse_rows": "read 1 rows",
    "wide_rows": "read 5001 rows",
    "shared_strings_bomb": "refused: 工作簿的压缩比异常",
    "too_many_rows": "refused: 第 5002 行：表格超过 5000 行",
    "laughs_in_strings": "refused: 工作簿中含有不安全的 XML 内容",
    "laughs_in_sheet": "refused: 工作簿中含有不安全的 XML 内容",
    "deep_nesting": "refused: 文件不是有效的 Excel（.xlsx）工作簿",
    "lying_sizes": "refused: 文件不是有效的 Excel（.xlsx）工作簿",
    "many_members": "refused: 工作簿中的部件过多（60006 个）",
    "png_bomb": "refused: 图片尺寸 60000×60000 像素，超过上限 4000 万像素",
    "pdf_that_is_a_zip": "refused: 文件不是 PDF",
    "jpeg_named_pdf": "refused: 文件不是 PDF",
    "pdf_with_hidden_script": "refused: PDF 中含有脚本",
}


def test_every_crafted_file_has_an_expected_outcome():
    assert set(OUTCOMES) == set(bombs.BOMBS)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_a_crafted_file_is_dealt_with_in_under_a_second_and_50_mb(name):
    """Measured in a fresh process (tests/files/measure.py): its peak RSS, reset just before
    the intake, counts what C code allocates too, and no earlier test hides it."""
    found = measure(name)
    assert str(found["outcome"]).startswith(OUTCOMES[name]), found
    assert found["cpu_seconds"] < 1.0, found
    assert found["peak_growth_mb"] < 50, found


def book(*rows, merge=None, header=("身份证号", "姓名", "手机号")) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    if merge:
        workbook.active.merge_cells(merge)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_of(sheet) -> list[tuple[int, tuple]]:
    return [(row.number, row.cells) for row in sheet]


def test_values_come_as_excel_shows_them():
    data = book(("371002199003071233", "张三", 13800000000), (), (None, " 李四 ", 1.5, True),
                ("x", "=1+1", "=A2"))
    assert rows_of(intake.read_table(data, max_rows=10)) == [
        (1, ("身份证号", "姓名", "手机号")),
        (2, ("371002199003071233", "张三", 13800000000)),
        (4, (None, " 李四 ", 1.5, True)),
        (5, ("x", None, None)),  # formulas openpyxl saved without a computed value
    ]


def test_formulas_and_merged_cells_are_reported_to_those_who_ask():
    sheet = intake.read_workbook(book(("=SUM(1,2)", "b"), ("c", "d"), merge="A3:B3"),
                                 max_rows=10, keep_formulas=True)
    rows = rows_of(sheet)
    assert rows[1] == (2, ("=SUM(1,2)", "b")) and isinstance(rows[1][1][0], Formula)
    assert [(m.coord, m.min_row, m.max_row) for m in sheet.merged] == [("A3:B3", 3, 3)]


def test_a_prefixed_namespace_and_shared_strings_with_phonetic_runs_read_as_excel_saves_them():
    main = bombs.MAIN
    strings = (f'<x:sst xmlns:x="{main}"><x:si><x:r><x:t>张</x:t></x:r><x:r><x:t>三</x:t></x:r>'
               "<x:rPh><x:t>ZHANG</x:t></x:rPh></x:si></x:sst>")
    sheet = (f'<x:worksheet xmlns:x="{main}"><x:sheetData><x:row r="1"><x:c r="B1" t="s">'
             "<x:v>0</x:v></x:c></x:row></x:sheetData></x:worksheet>")
    assert rows_of(intake.read_table(bombs.workbook(sheet, strings), max_rows=1)) == [
        (1, (None, "张三"))]


def test_empty_rows_are_passed_over_wherever_they_are():
    """Rows the file leaves out are empty, as rows present with nothing in them are: neither
    comes out, and neither ends the reading."""
    sheet = bombs.worksheet('<row r="2"><c r="A2"><v>1</v></c></row>'
                            '<row r="503"><c r="A503"><v>2</v></c></row>'  # 500 empty between
                            '<row r="504"/>'
                            '<row r="1005"><c r="A1005"><v>3</v></c></row>')  # 501
    assert [n for n, _ in rows_of(intake.read_table(bombs.workbook(sheet), max_rows=9))] == [
        1, 2, 503, 1005]


def test_rows_past_the_cap_are_refused_with_the_row_and_the_cap():
    rows = iter(intake.read_table(book(*[(str(n), "某", "1") for n in range(5)]), max_rows=3))
    assert [next(rows).number for _ in range(4)] == [1, 2, 3, 4]
    with pytest.raises(TooManyRows) as refused:
        next(rows)
    assert (refused.value.line, refused.value.limit) == (5, 3)
    assert str(refused.value) == "第 5 行：表格超过 3 行，请分批导入。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_any_of_its_encodings_gives_the_same_rows(encoding):
    text = "身份证号,姓名\r\n371002199003071233,欧阳娜娜\r\n,\r\n1,2\r\n"
    assert rows_of(intake.read_table(text.encode(encoding), max_rows=5)) == [
        (1, ("身份证号", "姓名")), (2, ("371002199003071233", "欧阳娜娜")), (4, ("1", "2"))]
    with pytest.raises(TooManyRows):
        list(intake.read_table(text.encode(encoding), max_rows=1))


def test_a_csv_line_of_a_million_commas_is_refused():
    with pytest.raises(Refused, match="CSV 文件格式有误"):
        list(intake.read_table(b"a," * (1024 * 1024), max_rows=5))


def test_a_cell_longer_than_excel_allows_is_refused():
    sheet = bombs.worksheet('<row r="2"><c r="A2" t="inlineStr"><is><t>'
                            + "长" * 40_000 + "</t></is></c></row>")
    with pytest.raises(Refused, match="有单元格超过 32767 个字符"):
        list(intake.read_table(bombs.workbook(sheet), max_rows=5))


def rezipped(data: bytes, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            change(target, item, source.read(item))
    return out.getvalue()


def test_encrypted_odd_or_duplicated_members_are_refused():
    good = book(("1", "2", "3"))
    encrypted = bytearray(good)
    encrypted[6] |= 0x1  # the first member's "encrypted" flag, in its local header...
    at = encrypted.find(b"PK\x01\x02")
    encrypted[at + 8] |= 0x1  # ...and in the central directory
    with pytest.raises(Refused, match="工作簿已加密"):
        intake.read_table(bytes(encrypted), max_rows=5)

    def twice(target, item, content):
        target.writestr(item, content)
        if item.filename.endswith("sheet1.xml"):
            target.writestr(item, content)

    with pytest.warns(UserWarning, match="Duplicate name"):
        duplicated = rezipped(good, twice)
    with pytest.raises(Refused, match="不是有效的 Excel"):
        intake.read_table(duplicated, max_rows=5)

    def bzip(target, item, content):
        target.writestr(item, content, compress_type=zipfile.ZIP_BZIP2)

    with pytest.raises(Refused, match="不是有效的 Excel"):
        intake.read_table(rezipped(good, bzip), max_rows=5)


def test_an_excel_password_is_named():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100) + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(Refused, match="设置了打开密码"):
        intake.read_table(ole, max_rows=5)


def test_the_caps_are_settings(app, monkeypatch):
    data = book(*[(str(n), "某人" * 50, "13800000000") for n in range(2000)])
    with app.app_context():
        assert list(intake.read_table(data, max_rows=5000))
        for setting, message in [("SHEET_MAX_BYTES", "超过上限"),
                                 ("SHEET_MAX_PART_BYTES", "解压后过大"),
                                 ("SHEET_MAX_UNPACKED_BYTES", "解压后过大"),
                                 ("SHEET_MAX_PARTS", "部件过多")]:
            with monkeypatch.context() as patch:
                patch.setitem(app.config, setting, 5)
                with pytest.raises(Refused, match=message):
                    list(intake.read_table(data, max_rows=5000))
        monkeypatch.setitem(app.config, "SHEET_MAX_BYTES", 100)
        with pytest.raises(Refused, match="超过上限"):
            intake.read_table(b"a,b\r\n" * 100, max_rows=5000)


def test_the_sizes_a_zip_declares_do_not_bound_what_is_read():
    """zipfile stops at the declared size, and the reader counts what it gets besides: a lying
    directory is refused, never read past the cap."""
    with pytest.raises(Refused, match="不是有效的 Excel"):
        list(intake.read_table(bombs.lying_sizes(), max_rows=5))


def test_openpyxl_parses_with_defusedxml_too():
    """Tests and tools still open workbooks with openpyxl: with defusedxml installed it refuses
    entities by itself (openpyxl.DEFUSEDXML)."""
    import openpyxl.xml.functions

    assert openpyxl.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
    with pytest.raises(ValueError, match="could not read strings") as refused:
        openpyxl.load_workbook(io.BytesIO(bombs.laughs_in_strings()), read_only=True)
    assert isinstance(refused.value.__cause__, EntitiesForbidden)


STAFF = SheetTemplate("人员", ("身份证号", "姓名"),
                      examples=(("371002199003071233", f"{MARKER}张三"),))


def test_a_templates_example_rows_come_refused_with_their_row():
    data = book(("371002199003071233", f"{MARKER}张三"), (" 张三 ", "371002199003071233"),
                ("371002199003071234", "张三"), ("1", f"{MARKER}别的示例"),
                header=("身份证号", "姓名"))
    rows = list(intake.read_table(data, max_rows=10, template=STAFF))
    assert [(row.number, row.refused) for row in rows] == [
        (1, None),
        (2, "这是模板中的示例行，请删除后再导入。"),
        (3, "这是模板中的示例行，请删除后再导入。"),  # unmarked, in any column order
        (4, None),  # another number: a real person
        (5, "这是模板中的示例行，请删除后再导入。"),  # anything marked
    ]


def test_a_template_must_mark_its_examples():
    with pytest.raises(ValueError, match="has no"):
        SheetTemplate("x", ("a",), examples=(("unmarked",),))
