"""A learner and a reviewer use the site in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from lms.demo import DEMO_PASSWORD
from tests.browser.conftest import needs_chromium
from tests.factories import id_number

pytestmark = [pytest.mark.browser, needs_chromium]


def log_in(page: Any, base: str, number: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("身份证号").fill(number)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_learner_logs_in_on_a_phone(live_server, phone, screenshot_dir):
    base, accounts = live_server["url"], live_server["accounts"]
    phone.goto(f"{base}/login")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    phone.screenshot(path=screenshot_dir / "login-phone.png", full_page=True)

    log_in(phone, base, accounts["learner"].lower())  # a lower-case x would do as well
    phone.get_by_text("您好，张伟").wait_for()
    body = phone.locator("body").inner_text()
    assert accounts["learner"] not in body
    assert accounts["learner"][:4] + "**********" + accounts["learner"][-4:] in body
    # Nothing overflows sideways on a narrow screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=screenshot_dir / "home-phone.png", full_page=True)

    phone.get_by_role("button", name="退出").click()
    phone.get_by_text("您已安全退出").wait_for()
    phone.goto(f"{base}/home")
    assert "/login" in phone.url


def test_wrong_password_is_explained(live_server, phone):
    base, accounts = live_server["url"], live_server["accounts"]
    log_in(phone, base, accounts["exam_admin"], "Wrong4password")
    phone.get_by_text("身份证号或密码不正确").wait_for()


def test_newcomer_registers_and_the_unit_reviewer_activates(
    live_server, phone, desktop, screenshot_dir
):
    base, accounts = live_server["url"], live_server["accounts"]
    number = id_number()
    phone.goto(f"{base}/register")
    phone.get_by_label("身份证号").fill(number)
    phone.get_by_label("姓名").fill("周新")
    phone.get_by_label("手机号").fill("13906311111")
    picker = phone.get_by_label("工作单位", exact=True)
    assert picker.input_value() == "0"  # 请选择: nothing chosen for the newcomer
    phone.get_by_label("查找工作单位").fill("市立医")
    assert picker.locator("option").all_inner_texts() == ["请选择", "威海市立医院"]
    assert picker.input_value() == "0"
    picker.select_option(label="威海市立医院")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_label("职称系列").select_option(label="卫生")
    phone.get_by_label("密码", exact=True).fill("Newcomer2026")
    phone.get_by_label("确认密码").fill("Newcomer2026")
    phone.get_by_role("button", name="提交注册").click()
    phone.get_by_text("请等待所在单位审核激活").wait_for()

    log_in(phone, base, number, "Newcomer2026")
    phone.get_by_text("账号尚未激活").wait_for()

    log_in(desktop, base, accounts["unit_reviewer"])
    desktop.get_by_role("link", name="人员管理").click()
    row = desktop.locator("tr", has_text="周新")
    desktop.screenshot(path=screenshot_dir / "roster-desktop.png", full_page=True)
    row.get_by_role("button", name="激活").click()
    desktop.get_by_text("已激活 周新 的账号").wait_for()

    log_in(phone, base, number, "Newcomer2026")
    phone.get_by_text("您好，周新").wait_for()
    phone.get_by_text("您的账号由 威海市立医院 的").wait_for()


def test_reviewer_sees_a_chinese_403_outside_their_unit(live_server, desktop):
    base, accounts = live_server["url"], live_server["accounts"]
    log_in(desktop, base, accounts["unit_reviewer"])
    desktop.get_by_text("您好，王芳").wait_for()
    response = desktop.goto(f"{base}/staff/organisations")
    assert response.status == 403
    desktop.get_by_text("没有权限").wait_for()
