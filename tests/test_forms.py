"""Every form says what is wrong in the reader's language, WTForms' own messages included, and
reads only the form a page posts."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from flask_wtf import FlaskForm

import lms
from lms.forms import ActionForm, Form

ENGLISH = re.compile(r"Not a valid|not a valid choice|This field is required|Invalid (input|"
                     r"Choice|choice|CSRF)|CSRF token|must be between|cannot be longer|"
                     r"could not coerce")


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def test_every_form_of_the_platform_stands_on_its_base():
    for module in pkgutil.walk_packages(lms.__path__, "lms."):
        if module.name.endswith("forms"):
            importlib.import_module(module.name)
    ours = {cls for cls in _subclasses(FlaskForm) if cls.__module__.startswith("lms.")}
    assert len(ours) > 15
    assert {cls.__name__ for cls in ours if not issubclass(cls, Form)} == set()


@pytest.fixture
def settings(client, people, login_as, course):
    login_as(people.exam_admin)
    return f"/exam/courses/{course.id}"


BAD_SETTINGS = {"minutes": "abc", "single_count": "1.5", "show_after": "nope",
                "banks": "999999", "pass_mark": "x"}


def test_wtforms_own_messages_are_in_chinese(client, settings):
    html = client.submit(settings, BAD_SETTINGS).get_data(as_text=True)
    errors = re.findall(r'class="error" role="alert">([^<]*)<', html)
    assert "请输入整数。" in errors  # minutes, single_count: IntegerField
    assert "请输入数字。" in errors  # pass_mark: DecimalField
    assert errors.count("请从列表中选择。") == 2  # show_after: SelectField; banks: checkboxes
    assert not ENGLISH.search(html), ENGLISH.search(html)


def test_an_unknown_choice_on_a_public_form_is_in_chinese(client):
    html = client.submit("/register", {"unit_id": "abc", "title_series_id": "99999999"}
                         ).get_data(as_text=True)
    assert "请从列表中选择。" in html and not ENGLISH.search(html)


def test_wtforms_messages_follow_the_readers_language(client, settings):
    client.get("/language/en")
    html = client.submit(settings, BAD_SETTINGS).get_data(as_text=True)
    assert "Not a valid integer value." in html and "Not a valid choice." in html
    assert "请输入整数" not in html


def test_a_failed_csrf_check_inside_a_form_is_in_chinese(app, database):
    """The app-wide check answers first (a page of its own); a form's own check says the same."""
    with app.test_request_context("/", method="POST", data={"csrf_token": "forged"}):
        form = ActionForm()
        assert not form.validate()
        assert form.errors == {"csrf_token": ["页面已过期，请刷新页面后重新提交。"]}


@pytest.mark.parametrize("body", ["[1, 2]", '"x"', "1", "null", "[[1, 2, 3]]"])
def test_a_form_page_posted_json_reads_no_form_from_it(client, body):
    answer = client.post("/login", data=body, content_type="application/json",
                         headers={"X-CSRFToken": client.csrf_token("/login")})
    assert answer.status_code == 200  # the login form again, saying what is missing
    assert "请输入身份证号" in answer.get_data(as_text=True)
