"""Bulk import of a unit's staff: every bad row is named, and nothing is half-imported."""

import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from lms.auth.models import AccountState, Role, User
from lms.extensions import db
from lms.files.intake import Refused
from tests.factories import id_number
from tests.files import bombs
from tests.files.measure import in_process

HEADER = ("身份证号", "姓名", "手机号", "职称系列")


def workbook(*rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, unit, data: bytes, filename="staff.xlsx"):
    return client.submit(
        f"/staff/units/{unit.id}/import",
        {"sheet": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


@pytest.fixture
def reviewer(client, people, login_as):
    login_as(people.unit_reviewer)
    return client


def test_a_good_sheet_imports_everyone_with_one_time_passwords(reviewer, orgs):
    numbers = [id_number() for _ in range(3)]
    sheet = workbook(
        HEADER,
        (numbers[0], "赵一", "13800000001", "卫生"),
        (numbers[1].lower(), " 钱二 ", 13800000002, None),
        (),  # blank rows are skipped
        (numbers[2], "孙三", "138-0000-0003", "工程"),
    )
    html = upload(reviewer, orgs.unit, sheet).get_data(as_text=True)
    assert "已导入 3 人" in html
    users = db.session.scalars(sa.select(User).where(User.id_number.in_(numbers))).all()
    assert sorted(u.name for u in users) == ["孙三", "赵一", "钱二"]
    for user in users:
        assert user.unit == orgs.unit and user.state is AccountState.active
        assert user.must_change_password and user.has_role(Role.learner)
        assert user.masked_id_number in html and user.id_number not in html
    assert {u.title_series.name for u in users if u.title_series} == {"卫生", "工程"}
    assert html.count('class="password"') == 3


def test_every_bad_row_is_reported_by_number_and_nothing_is_imported(reviewer, orgs, people):
    good, dup = id_number(), id_number()
    sheet = workbook(
        HEADER,
        (good, "正常", "13800000001", ""),               # row 2: fine on its own
        ("110105194912310021", "校验错", "13800000002"),  # row 3
        (dup, "重复甲", "13800000003"),                    # row 4
        (dup, "重复乙", "13800000004"),                    # row 5
        (people.learner.id_number, "已注册", "13800000005"),  # row 6
        (371002199003071233, "数字", "13800000006"),       # row 7: Excel number
        (id_number(), "", "13800000007"),                 # row 8
        (id_number(), "坏手机", "1380000"),                # row 9
        (id_number(), "未知系列", "13800000009", "魔法"),  # row 10
        (id_number(), "=A2", "13800000010"),              # row 11: a formula with no value
    )
    before = user_count()
    html = upload(reviewer, orgs.unit, sheet).get_data(as_text=True)
    assert user_count() == before
    assert "未导入任何人员" in html
    expected = {
        3: "校验位不正确",
        5: "与第 4 行重复",
        6: "已有账号",
        7: "存成了数字",
        8: "姓名为空",
        9: "不是有效的 11 位手机号码",
        10: "不在列表中",
        11: "姓名为空",
    }
    for row, message in expected.items():
        assert re.search(f"第 {row} 行</td><td>[^<]*{message}", html), (row, message)
    assert "第 2 行" not in html and "第 4 行</td>" not in html


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"", "empty.xlsx", "文件是空的"),
        (b"\x89PNG\r\n\x1a\n\x00\x00junk", "photo.xlsx", "无法识别文件内容"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "不是有效的 Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", "另存为 .xlsx"),
        (bytes(range(0x80, 0x100)) * 4, "latin.csv", "编码无法识别"),
    ],
)
def test_unreadable_files_get_a_clear_message(reviewer, orgs, data, filename, message):
    before = user_count()
    response = upload(reviewer, orgs.unit, data, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert user_count() == before


def test_a_zip_that_is_not_a_workbook_is_refused(reviewer, orgs):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    html = upload(reviewer, orgs.unit, out.getvalue()).get_data(as_text=True)
    assert "不是有效的 Excel" in html


def test_missing_columns_are_named(reviewer, orgs):
    html = upload(reviewer, orgs.unit, workbook(("姓名", "电话"), ("张三", "1"))).get_data(
        as_text=True
    )
    assert "表头缺少列：身份证号、手机号" in html


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_or_utf8_imports(reviewer, orgs, encoding):
    number = id_number()
    text = f"身份证号,姓名,手机号\r\n{number},欧阳娜娜,13900000000\r\n"
    html = upload(reviewer, orgs.unit, text.encode(encoding), "staff.csv").get_data(as_text=True)
    assert "已导入 1 人" in html
    assert db.session.scalar(sa.select(User.name).where(User.id_number == number)) == "欧阳娜娜"


def test_too_many_rows_is_refused(reviewer, orgs, app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_IMPORT_MAX_ROWS", 3)
    rows = [(id_number(), f"人{n}", "13800000000") for n in range(5)]
    html = upload(reviewer, orgs.unit, workbook(HEADER, *rows)).get_data(as_text=True)
    assert "一次最多导入 3 人" in html


def test_oversize_upload_gets_a_friendly_page(reviewer, orgs, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    before = user_count()
    response = upload(reviewer, orgs.unit, b"x" * 100_000, "big.csv")
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True)
    assert user_count() == before


def test_the_template_as_downloaded_is_refused_at_its_example_row(reviewer, orgs):
    response = reviewer.get("/staff/import-template.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book.active[1]] == list(HEADER)
    before = user_count()
    html = upload(reviewer, orgs.unit, response.data).get_data(as_text=True)
    assert re.search("第 2 行</td><td>[^<]*这是模板中的示例行，请删除后再导入", html)
    assert "未导入任何人员" in html and user_count() == before


def test_the_template_with_its_example_deleted_and_a_person_added_imports(reviewer, orgs):
    book = openpyxl.load_workbook(io.BytesIO(reviewer.get("/staff/import-template.xlsx").data))
    sheet = book.active
    assert sheet.column_dimensions["A"].number_format == "@"  # typed ID numbers stay text
    sheet.delete_rows(2)
    number = id_number()
    sheet.append((number, "李四", "13800000001", "卫生"))
    out = io.BytesIO()
    book.save(out)
    html = upload(reviewer, orgs.unit, out.getvalue()).get_data(as_text=True)
    assert "已导入 1 人" in html
    assert db.session.scalar(sa.select(User.name).where(User.id_number == number)) == "李四"


def test_an_old_template_s_example_row_is_refused_too(reviewer, orgs):
    """Templates downloaded before the example was marked: the same person, unmarked."""
    sheet = workbook(HEADER, ("371002199003071233", "张三", "13800000000", "卫生"))
    html = upload(reviewer, orgs.unit, sheet).get_data(as_text=True)
    assert re.search("第 2 行</td><td>[^<]*这是模板中的示例行", html)
    assert db.session.scalar(sa.select(User).where(User.id_number == "371002199003071233")) \
        is None


def test_the_example_id_number_is_refused_whoever_is_named_beside_it(reviewer, orgs):
    """The example's ID number belongs to nobody: overwriting only the name does not make it
    a person."""
    sheet = workbook(HEADER, ("371002199003071233", "李雷", "13900000000", "卫生"))
    html = upload(reviewer, orgs.unit, sheet).get_data(as_text=True)
    assert re.search("第 2 行</td><td>[^<]*这是模板中的示例行", html)
    assert db.session.scalar(sa.select(User).where(User.id_number == "371002199003071233")) \
        is None


def test_another_units_reviewer_cannot_import(client, people, orgs, login_as):
    login_as(people.other_unit_reviewer)
    sheet = workbook(HEADER, (id_number(), "某人", "13800000000"))
    assert upload(client, orgs.unit, sheet).status_code == 403


def test_a_damaged_workbook_or_csv_is_refused_not_crashed_on(reviewer, orgs):
    good = workbook(HEADER, (id_number(), "某人", "13800000000"))
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]  # sheet XML cut in the middle
            target.writestr(item, content)
    html = upload(reviewer, orgs.unit, broken.getvalue()).get_data(as_text=True)
    assert "不是有效的 Excel" in html

    huge_cell = ("身份证号,姓名,手机号\r\n" + id_number() + ',"' + "长" * 140_000 + '",1\r\n')
    html = upload(reviewer, orgs.unit, huge_cell.encode(), "staff.csv").get_data(as_text=True)
    assert "CSV 文件格式有误" in html


def test_a_person_after_thousands_of_empty_rows_is_not_left_behind(reviewer, orgs):
    number = id_number()
    text = "身份证号,姓名,手机号\r\n" + ",,\r\n" * 100_000 + f"{number},迟到,13800000000\r\n"
    html = upload(reviewer, orgs.unit, text.encode(), "staff.csv").get_data(as_text=True)
    assert "已导入 1 人" in html
    assert db.session.scalar(sa.select(User.name).where(User.id_number == number)) == "迟到"


@pytest.mark.parametrize(("bomb", "message"), [
    # 27 KB that took 6.4 s of CPU and 585 MB before (openpyxl padded every row to 16,384
    # columns); the header is all that is within the sheet's first 256 columns
    ("whole_grid", "表头下面没有人员数据"),
    ("sparse_rows", "表头下面没有人员数据"),  # more than 60 s of CPU before
    ("zip_bomb", "工作簿解压后过大"),
    ("shared_strings_bomb", "工作簿的压缩比异常"),
    ("laughs_in_sheet", "不安全的 XML"),
])
def test_a_hostile_sheet_through_the_page_costs_under_a_second_and_50_mb(reviewer, orgs, bomb,
                                                                        message):
    """CPU and peak RSS of this process, measured around the request (tests/files/measure.py)."""
    data = bombs.BOMBS[bomb][1]()
    before = user_count()
    response, cpu, memory = in_process(lambda: upload(reviewer, orgs.unit, data))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert cpu < 1.0 and memory < 50, (cpu, memory)
    assert user_count() == before


def test_someone_registering_during_the_import_leaves_nothing_half_done(app, orgs, people):
    from lms.staff import importer
    from tests.factories import make_user

    rows = importer.check_sheet(
        workbook(HEADER, (id_number(), "甲", "13800000000"), (id_number(), "乙", "13800000001"))
    ).rows
    late = make_user(unit=orgs.unit)
    late.id_number, taken = rows[1].id_number, late.id_number
    db.session.flush()
    before = user_count()
    with pytest.raises(Refused, match="刚刚注册"):
        importer.create_accounts(orgs.unit, rows, by=people.unit_reviewer)
    assert user_count() == before
    assert taken
