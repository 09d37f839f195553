"""Declared hours in a real browser: the learner declares a training course with its
certificate, the unit sends it back, the learner corrects it, the unit, the department (cutting
the hours) and the district approve it; the hours reach the learner's year and the unit's staff
table. And the form and the queue on a phone.

Each test leaves nothing waiting for a reviewer, so they may run in either order on the
module's fresh server (demo accounts only, no demo declarations)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import needs_chromium
from tests.browser.test_login_flows import log_in
from tests.files.bombs import pdf

pytestmark = [pytest.mark.browser, needs_chromium]

TITLE = "2026年全市急诊急救技能培训班"
CERTIFICATE = "结业证书.pdf"
SEND_BACK = "申报学时与结业证书所载学时不一致，请核对后修改。"
CUT = "按实际参加天数核定"


def log_out(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    page.get_by_text("您已安全退出").wait_for()


def nav_link(page: Any, label: str) -> Any:
    return page.locator("nav.menu a", has_text=label)


def open_from_queue(page: Any, title: str) -> None:
    """From anywhere, through the navigation's 申报审核 and the queue, to the declaration."""
    nav_link(page, "申报审核").click()
    page.locator("tr", has_text=title).get_by_role("link", name=title).click()
    page.locator("#decide").wait_for()
    page.wait_for_load_state("load")


def decide(page: Any, action: str, *, hours: str = "", reason: str = "") -> None:
    decision = page.locator("#decide")
    decision.get_by_label(action, exact=True).check()
    if hours:
        decision.get_by_label("核定学时").fill(hours)
    if reason:
        decision.get_by_label("理由").fill(reason)
    decision.get_by_role("button", name="提交审核意见").click()
    page.get_by_text(f"已{action}：{TITLE}").wait_for()


def fill_declaration(page: Any, *, title: str, start: date, end: date, hours: str,
                     evidence: Path) -> None:
    page.get_by_label("申报类型").select_option(label="培训进修")
    page.get_by_label("计入类别").select_option(label="专业科目")
    page.get_by_label("项目名称").fill(title)
    page.get_by_label("主办单位或颁发机构").fill("威海市卫生健康委员会")
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill(end.isoformat())
    page.get_by_label("申报学时").fill(hours)
    page.get_by_label("说明").fill("脱产培训两天，含心肺复苏与创伤急救实操考核。")
    page.get_by_label("证明材料（PDF、JPG 或 PNG）").set_input_files(str(evidence))


def no_sideways_scroll(page: Any) -> None:
    width, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, (page.url, width, inner)


def test_declared_training_through_the_chain(
    live_server, chromium, screenshot_dir, tmp_path
):
    base, accounts = live_server["url"], live_server["accounts"]
    certificate = tmp_path / CERTIFICATE
    certificate.write_bytes(pdf())
    end = date.today() - timedelta(days=10)
    start = end - timedelta(days=1)  # two days, both counted
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN",
                                   accept_downloads=True)
    page = context.new_page()

    # 1. The learner declares the course, with the certificate, and submits it.
    log_in(page, base, accounts["learner"])
    page.get_by_text("您好，张伟").wait_for()
    nav_link(page, "学时申报").click()
    page.get_by_text("还没有申报。").wait_for()
    page.get_by_role("link", name="新建申报").click()
    page.wait_for_load_state("load")
    fill_declaration(page, title=TITLE, start=start, end=end, hours="12", evidence=certificate)
    page.screenshot(path=screenshot_dir / "declaration-form.png", full_page=True)
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("已提交审核。").wait_for()
    assert page.locator("h1 .badge").inner_text() == "审核中"
    assert page.locator("ol.chain li.current").inner_text().split() == ["威海市立医院", "审核中"]
    nav_link(page, "学时申报").click()
    row = page.locator("tr", has_text=TITLE)
    assert "审核中" in row.inner_text()
    assert "待 威海市立医院 审核" in row.inner_text()
    assert row.locator("td[data-label='申报学时']").inner_text() == "12.0"
    log_out(page)

    # 2. The unit reviewer sees it waiting, opens the certificate and sends it back.
    log_in(page, base, accounts["unit_reviewer"])
    page.get_by_text("您好，王芳").wait_for()
    assert nav_link(page, "申报审核").locator(".count").inner_text() == "1"
    open_from_queue(page, TITLE)
    link = page.get_by_role("link", name=CERTIFICATE)
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == CERTIFICATE
    assert Path(download.path()).read_bytes() == certificate.read_bytes()
    # Sent as an attachment, never shown inline (someone else's upload).
    response = page.request.get(base + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.body().startswith(b"%PDF-")
    page.screenshot(path=screenshot_dir / "declaration-decision.png", full_page=True)
    decide(page, "退回修改", reason=SEND_BACK)
    log_out(page)

    # 3. The learner reads why, corrects the hours and submits again.
    log_in(page, base, accounts["learner"])
    nav_link(page, "学时申报").click()
    row = page.locator("tr", has_text=TITLE)
    assert "已退回修改" in row.inner_text()
    row.get_by_role("link", name=TITLE).click()
    assert page.locator("h1 .badge").inner_text() == "已退回修改"
    page.locator("table.records td", has_text=SEND_BACK).wait_for()
    page.get_by_role("link", name="修改").click()
    page.get_by_text(f"退回理由（威海市立医院）：{SEND_BACK}").wait_for()
    assert page.get_by_label("申报学时").input_value() == "12.0"
    page.get_by_role("link", name=CERTIFICATE).wait_for()  # the certificate is kept
    page.get_by_label("申报学时").fill("10")
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("已提交审核。").wait_for()
    assert page.locator("h1 .badge").inner_text() == "审核中"
    log_out(page)

    # 4. The unit approves; the department cuts the hours to 8; the district approves.
    log_in(page, base, accounts["unit_reviewer"])
    open_from_queue(page, TITLE)
    decide(page, "通过")
    log_out(page)
    log_in(page, base, accounts["department_reviewer"])
    page.get_by_text("您好，刘洋").wait_for()
    assert nav_link(page, "申报审核").locator(".count").inner_text() == "1"
    open_from_queue(page, TITLE)
    decide(page, "通过", hours="8", reason=CUT)
    log_out(page)
    log_in(page, base, accounts["district_reviewer"])
    page.get_by_text("您好，陈静").wait_for()
    open_from_queue(page, TITLE)
    decide(page, "通过")
    assert page.locator("h1 .badge").inner_text() == "已通过"
    assert nav_link(page, "申报审核").locator(".count").count() == 0  # nothing waits
    log_out(page)

    # 5. The learner's year has the 8 hours, in the records and the totals; the declaration
    # shows every decision signed, and the signed content unchanged.
    log_in(page, base, accounts["learner"])
    nav_link(page, "学习档案").click()
    if end.year != date.today().year:  # run in the first days of January
        page.get_by_role("link", name=f"{end.year} 年").click()
    record = page.locator("table.records tr", has_text=TITLE)
    assert record.locator("td[data-label='类别']").inner_text() == "专业科目"
    assert record.locator("td[data-label='学时']").inner_text() == "8.0"
    assert record.locator("td[data-label='来源']").inner_text() == "学时申报"
    totals = {
        line.locator(".requirement-label").inner_text(): line.locator(".num").inner_text()
        for line in page.locator("ul.requirements li").all()
    }
    assert totals["专业科目"] == "8.0 / 60"
    assert totals["总学时"] == "8.0 / 90"
    assert page.locator(".ring-number").text_content() == "8.0"
    page.screenshot(path=screenshot_dir / "year.png", full_page=True)

    nav_link(page, "学时申报").click()
    page.get_by_role("link", name=TITLE).click()
    assert page.locator("h1 .badge").inner_text() == "已通过"
    assert page.locator("dd.credit").inner_text() == "8.0"
    decisions = [
        [row.locator(f"td[data-label='{column}']").inner_text()
         for column in ("轮次", "审核层级", "意见", "核定学时", "理由", "审核人（签名）", "时间")]
        for row in page.locator("table.records tbody tr").all()
    ]
    assert [d[:5] for d in decisions] == [
        ["1", "威海市立医院", "退回修改", "—", SEND_BACK],
        ["2", "威海市立医院", "通过", "10.0", "—"],
        ["2", "威海市卫生健康委员会", "通过", "8.0", CUT],
        ["2", "环翠区", "通过", "8.0", "—"],
    ]
    signatures = [d[5] for d in decisions]
    for name, signature in zip(["王芳", "王芳", "刘洋", "陈静"], signatures, strict=True):
        assert signature.startswith(f"{name} · "), signature
    # The decisions of the round that decided it each still match what they signed.
    assert ["内容一致" in d[6] for d in decisions] == [False, True, True, True]
    assert page.locator("table.records .badge.state-failed").count() == 0
    log_out(page)

    # 6. The unit's staff table counts the 8 professional hours.
    log_in(page, base, accounts["unit_reviewer"])
    nav_link(page, "本单位学时").click()
    if end.year != date.today().year:
        page.get_by_role("link", name=f"{end.year}", exact=False).first.click()
    person = page.locator("tr", has_text="张伟")
    assert person.locator("td[data-label='专业科目']").inner_text() == "8.0 / 60"
    assert person.locator("td[data-label='总学时']").inner_text() == "8.0 / 90"
    context.close()


def test_form_and_queue_on_a_phone(live_server, phone, screenshot_dir, tmp_path):
    """Nothing to scroll sideways to reach a button; what this leaves is decided (rejected)."""
    base, accounts = live_server["url"], live_server["accounts"]
    title = "手机上申报的院内护理培训"
    certificate = tmp_path / "培训通知.pdf"
    certificate.write_bytes(pdf())
    end = date.today() - timedelta(days=30)  # not the other test's dates

    log_in(phone, base, accounts["learner"])
    phone.goto(f"{base}/declarations/new")
    phone.wait_for_load_state("load")
    no_sideways_scroll(phone)
    fill_declaration(phone, title=title, start=end, end=end, hours="4", evidence=certificate)
    no_sideways_scroll(phone)
    phone.screenshot(path=screenshot_dir / "declaration-form-phone.png", full_page=True)
    for name in ("提交审核", "保存草稿"):
        button = phone.get_by_role("button", name=name, exact=True)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        assert box["height"] >= 44, (name, box)  # a finger's size, styled as a button
    phone.get_by_role("button", name="提交审核", exact=True).click()
    phone.get_by_text("已提交审核。").wait_for()
    no_sideways_scroll(phone)
    log_out(phone)

    log_in(phone, base, accounts["unit_reviewer"])
    phone.goto(f"{base}/declarations/review")
    phone.wait_for_load_state("load")
    no_sideways_scroll(phone)
    row = phone.locator("tr", has_text=title)
    assert "张伟" in row.inner_text()
    button = phone.get_by_role("button", name="批量通过所选")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box and box["x"] + box["width"] <= 390, box
    phone.screenshot(path=screenshot_dir / "queue-phone.png", full_page=True)
    row.get_by_role("link", name=title).click()
    phone.locator("#decide").wait_for()
    phone.wait_for_load_state("load")
    no_sideways_scroll(phone)
    # Each date on one line (they once broke after a hyphen, in large type).
    dates = phone.locator("dt:text-is('起止日期') + dd .nowrap")
    assert dates.evaluate_all("spans => spans.map(s => s.getClientRects().length)") == [1, 1]
    phone.locator("#decide").get_by_label("不通过", exact=True).check()
    phone.locator("#decide").get_by_label("理由").fill("院内培训不属于可申报的培训进修。")
    phone.screenshot(path=screenshot_dir / "decision-phone.png", full_page=True)
    phone.get_by_role("button", name="提交审核意见").click()
    phone.get_by_text(f"已不通过：{title}").wait_for()
    assert phone.locator("h1 .badge").inner_text() == "未通过"
    no_sideways_scroll(phone)
