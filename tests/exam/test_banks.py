"""Question banks in the browser (rules §5): the city's exam admins and providers keep banks;
a file is previewed with every problem by its row or line, and imported all or nothing, once;
a bank exports to the template and to GIFT."""

import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from lms.exam import services
from lms.exam.formats import excel, gift
from lms.exam.models import Question, QuestionBank, QuestionImport
from lms.exam.questions import Draft, QuestionType, true_false
from lms.extensions import db
from tests.watching.conftest import FakeClock

GIFT = """$CATEGORY: 医疗法规
::1:: 高血压的诊断标准是？ { ~120 mmHg =140 mmHg ####见指南 }

::2:: 以下属于抗菌药物的有 { ~%50%青霉素 ~%50%头孢 ~%-100%阿司匹林 }

::3:: 医师可以不经患者同意公开其病历。 {F}
"""
AIKEN_GBK = "传染病疫情应当在几小时内报告？\nA. 2\nB. 24\nANSWER: A\n".encode("gbk")


def upload(client, bank, data: bytes, filename: str, format: str = "auto"):
    return client.submit(f"/exam/banks/{bank.id}/import",
                         {"file": (io.BytesIO(data), filename), "format": format},
                         content_type="multipart/form-data")


def in_bank(bank) -> list[Question]:
    return list(db.session.scalars(services.questions(bank)))


def confirm_url(page: str) -> str:
    return re.search(r'action="(/exam/imports/\d+/confirm)"', page).group(1)


@pytest.fixture
def admin(client, people, login_as):
    login_as(people.exam_admin)
    return people.exam_admin


@pytest.fixture
def bank(admin):
    bank = services.create_bank(admin, "公需科目题库")
    db.session.commit()
    return bank


def test_an_exam_admin_creates_a_city_bank_and_a_provider_its_own(client, new_client, people,
                                                                   orgs, login_as):
    login_as(people.exam_admin)
    created = client.submit("/exam/banks", {"name": "市公需题库", "provider_id": ""})
    assert created.status_code == 302
    provider = login_as(people.provider, browser=new_client())
    page = provider.get("/exam/banks").get_data(as_text=True)
    assert "市公需题库" not in page  # not the provider's
    provider.submit("/exam/banks", {"name": "护理专业题库", "provider_id": str(orgs.provider.id)})
    [mine] = services.banks_for(people.provider)
    assert mine.name == "护理专业题库" and mine.provider_id == orgs.provider.id
    other = login_as(people.other_provider, browser=new_client())
    assert other.get(f"/exam/banks/{mine.id}").status_code == 403
    assert other.submit("/exam/banks", {"name": "冒名", "provider_id": str(orgs.provider.id)}
                        ).status_code == 200  # not a choice for them: the form says so
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuestionBank)) == 2


def test_a_gift_file_is_previewed_then_imported_once_however_often_confirmed(client, bank):
    preview = upload(client, bank, GIFT.encode(), "法规.gift")
    page = preview.get_data(as_text=True)
    assert "文件中有 3 道题，没有发现问题" in page and "高血压的诊断标准是？" in page
    assert in_bank(bank) == []  # nothing until confirmed
    url = confirm_url(page)
    for _ in range(3):  # a double click, a retried request
        client.submit(url)
    questions = in_bank(bank)
    assert [(q.type, q.stem, q.answer, q.tags) for q in questions] == [
        (QuestionType.single, "高血压的诊断标准是？", [1], ["医疗法规"]),
        (QuestionType.multiple, "以下属于抗菌药物的有", [0, 1], ["医疗法规"]),
        (QuestionType.true_false, "医师可以不经患者同意公开其病历。", [1], ["医疗法规"]),
    ]
    assert questions[0].explanation == "见指南"
    [done] = db.session.scalars(sa.select(QuestionImport))
    assert done.imported == 3 and done.data == b""


def test_a_preview_never_confirmed_is_let_go_after_a_day_and_saying_so(app, client, bank,
                                                                       monkeypatch):
    imported = confirm_url(upload(client, bank, GIFT.encode(), "法规.gift").get_data(as_text=True))
    client.submit(imported)
    forgotten = confirm_url(upload(client, bank, AIKEN_GBK, "a.txt").get_data(as_text=True))
    later = FakeClock()
    later.advance(25 * 3600)
    monkeypatch.setitem(app.extensions, "clock", later)

    result = app.test_cli_runner().invoke(args=["exam", "prune-imports", "--hours", "24"])
    assert "removed 1 unconfirmed question files" in result.output
    assert [i.imported for i in db.session.scalars(sa.select(QuestionImport))] == [3]

    page = client.submit(forgotten, follow_redirects=True).get_data(as_text=True)
    assert "预览已过期" in page and len(in_bank(bank)) == 3


def test_an_aiken_file_in_gbk_is_recognised(client, bank):
    page = upload(client, bank, AIKEN_GBK, "传染病.txt").get_data(as_text=True)
    assert "Aiken（Moodle）" in page
    client.submit(confirm_url(page))
    assert [q.stem for q in in_bank(bank)] == ["传染病疫情应当在几小时内报告？"]


def test_a_file_with_problems_lists_them_by_row_and_imports_nothing(client, bank):
    book = openpyxl.load_workbook(io.BytesIO(excel.workbook([
        Draft(QuestionType.single, "好题", ("甲", "乙"), frozenset({0})),
    ])))
    book.active.append(["单选", "坏题", "甲", "乙", None, None, None, None, None, None, "E"])
    out = io.BytesIO()
    book.save(out)
    page = upload(client, bank, out.getvalue(), "题库.xlsx").get_data(as_text=True)
    assert "发现 1 个问题，未导入任何题目" in page
    assert "第 3 行" in page and "正确答案 E 没有对应的选项" in page
    assert "确认导入" not in page
    assert in_bank(bank) == [] and db.session.scalars(sa.select(QuestionImport)).all() == []


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"PK\x03\x04 this is no workbook" * 10, "题库.xlsx", "文件不是有效的 Excel（.xlsx）工作簿"),
    (bytes(range(256)) * 8, "题库.txt", "这不是文本文件"),
    (b"", "空.txt", "文件是空的"),
    ("::1:: 谈谈医德 {}".encode(), "论述.gift", "不支持问答题（essay）"),
])
def test_junk_and_unsupported_files_get_a_clear_answer(client, bank, data, filename, message):
    response = upload(client, bank, data, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert in_bank(bank) == []


def test_someone_elses_import_cannot_be_confirmed(client, new_client, bank, people, login_as):
    page = upload(client, bank, GIFT.encode(), "法规.gift").get_data(as_text=True)
    url = confirm_url(page)
    other = login_as(people.city_admin, browser=new_client())
    assert other.submit(url).status_code == 403
    assert in_bank(bank) == []


def test_a_bank_exports_to_the_template_and_to_gift_and_reads_back(client, bank):
    drafts = [Draft(QuestionType.multiple, "以下正确的是", ("甲", "乙", "丙"), frozenset({0, 2})),
              true_false("判断题", True, "解析")]
    db.session.add_all(Question.from_draft(bank, d) for d in drafts)
    db.session.commit()
    sheet = client.get(f"/exam/banks/{bank.id}/export.xlsx")
    assert sheet.status_code == 200
    assert [d for _, d in excel.read(sheet.data).questions] == drafts
    text = client.get(f"/exam/banks/{bank.id}/export.gift").get_data(as_text=True)
    assert [(d.stem, d.answer) for _, d in gift.read(text).questions] == [
        (d.stem, d.answer) for d in drafts]
    template = client.get("/exam/template.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(template.data)).active["A1"].value == "题型"


def test_the_gift_export_names_its_charset_once(client, bank):
    db.session.add(Question.from_draft(bank, true_false("判断题", True)))
    db.session.commit()
    exported = client.get(f"/exam/banks/{bank.id}/export.gift")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert exported.mimetype_params == {"charset": "utf-8"}


def test_a_bank_with_texts_like_formulas_exports_as_text_and_imports_back_unchanged(client,
                                                                                  bank):
    from tests.exam.test_excel import HOSTILE_BANK

    db.session.add_all(Question.from_draft(bank, d) for d in HOSTILE_BANK)
    db.session.commit()
    sheet = client.get(f"/exam/banks/{bank.id}/export.xlsx").data
    with zipfile.ZipFile(io.BytesIO(sheet)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml and "HYPERLINK" in xml
    page = upload(client, bank, sheet, "导出.xlsx").get_data(as_text=True)  # the app's importer
    assert "确认导入" in page and "未导入任何题目" not in page
    client.submit(confirm_url(page))
    stems = [q.stem for q in in_bank(bank)]
    assert stems == [d.stem for d in HOSTILE_BANK] * 2
    assert [q.draft() for q in in_bank(bank)][len(HOSTILE_BANK):] == HOSTILE_BANK


def test_a_file_over_eight_megabytes_is_refused_unread():
    reading = services.read_file("gift", b"a" * (8 * 1024 * 1024 + 1))
    assert [str(p) for p in reading.problems] == ["文件超过 8 MB，请拆分成几个文件"]
