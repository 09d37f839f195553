"""Every form says what is wrong in the reader's language, WTForms' own messages included,
reads only the form a page posts, and holds no number it cannot hold."""

from __future__ import annotations

import importlib
import pkgutil
import re
from decimal import Decimal

import pytest
import wtforms
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField
from wtforms.validators import NumberRange, Optional

import lms
from lms.forms import NUMBER_LIMIT, ActionForm, DecimalField, Form, IntegerField

ENGLISH = re.compile(r"Not a valid|not a valid choice|This field is required|Invalid (input|"
                     r"Choice|choice|CSRF)|CSRF token|must be between|cannot be longer|"
                     r"could not coerce")


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def _platform_forms() -> set[type]:
    for module in pkgutil.walk_packages(lms.__path__, "lms."):
        if module.name.endswith("forms"):
            importlib.import_module(module.name)
    return {cls for cls in _subclasses(FlaskForm) if cls.__module__.startswith("lms.")}


def test_every_form_of_the_platform_stands_on_its_base():
    ours = _platform_forms()
    assert len(ours) > 15
    assert {cls.__name__ for cls in ours if not issubclass(cls, Form)} == set()


def test_every_number_field_of_the_platform_is_one_of_its_own():
    """WTForms' number fields take NaN and a 400-digit integer, which its NumberRange then
    fails on with a 500; lms.forms' refuse them (a FloatField would need one there too)."""
    numbers = []
    for form in _platform_forms():
        for name in dir(form):
            field = getattr(form, name)
            if isinstance(field, UnboundField) and issubclass(
                    field.field_class,
                    (wtforms.IntegerField, wtforms.DecimalField, wtforms.FloatField)):
                numbers.append((form.__name__, name, field.field_class))
    assert len(numbers) > 5
    assert [(form, name) for form, name, cls in numbers
            if not issubclass(cls, (IntegerField, DecimalField))] == []


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


class Numbers(Form):
    class Meta:
        csrf = False

    count = IntegerField(validators=[Optional(), NumberRange(min=-NUMBER_LIMIT)])
    amount = DecimalField(places=1, validators=[Optional(), NumberRange(min=-NUMBER_LIMIT)])


def _read(app, **data: str) -> Numbers:
    with app.test_request_context("/", method="POST", data=data):
        form = Numbers()
        form.validate()
        return form


NOT_A_NUMBER = "请输入有效的数字。"


@pytest.mark.parametrize("value", ["sNaN", "-sNaN", "NaN", "nan", "Infinity", "-inf", "1e999",
                                   "-1E+999999999", "9" * 400, str(NUMBER_LIMIT + 1)])
def test_a_decimal_field_refuses_what_is_not_a_finite_number_within_the_limit(app, value):
    form = _read(app, amount=value)
    assert form.errors["amount"][0] == NOT_A_NUMBER  # then the range's, of a field left empty
    assert form.amount.data is None


@pytest.mark.parametrize("value", ["9" * 400, "-" + "9" * 400, "9" * 5000, "0" * 30 + "1",
                                   str(NUMBER_LIMIT + 1), str(-NUMBER_LIMIT - 1), "1_" * 20 + "1"])
def test_an_integer_field_refuses_an_integer_past_the_limit(app, value):
    form = _read(app, count=value)
    assert form.errors["count"][0] == NOT_A_NUMBER
    assert form.count.data is None


@pytest.mark.parametrize("value", ["sNaN", "NaN", "Infinity", "-1e999", "1.5"])
def test_an_integer_field_says_what_is_no_integer_in_wtforms_words(app, value):
    assert _read(app, count=value).errors["count"][0] == "请输入整数。"


@pytest.mark.parametrize("count, amount", [
    ("42", "2.5"), (" -7 ", "-0.5"), ("0", "1e2"), ("1_000", "60"),
    (str(NUMBER_LIMIT), str(NUMBER_LIMIT)), (str(-NUMBER_LIMIT), "0.0000001"),
])
def test_numbers_within_the_limit_are_read_as_before(app, count, amount):
    form = _read(app, count=count, amount=amount)
    assert form.errors == {}
    assert (form.count.data, form.amount.data) == (int(count), Decimal(amount))


def test_a_field_says_it_in_its_own_words_where_it_has_them(app):
    with app.test_request_context("/", method="POST", data={"n": "9" * 400, "d": "sNaN"}):
        class Own(Form):
            class Meta:
                csrf = False

            n = IntegerField(out_of_range_message="太大了")
            d = DecimalField(invalid_value_message="不是数")

        assert not (form := Own()).validate()
        assert form.errors == {"n": ["太大了"], "d": ["不是数"]}


NUMBERS_NO_FIELD_HOLDS = {"pass_mark": "sNaN", "single_points": "Infinity",
                          "multiple_points": "-1e999", "minutes": "9" * 400,
                          "single_count": "9" * 400}


def test_a_number_no_field_holds_is_a_message_on_the_page(client, settings):
    answer = client.submit(settings, NUMBERS_NO_FIELD_HOLDS)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    errors = re.findall(r'class="error" role="alert">([^<]*)<', html)
    assert errors.count(NOT_A_NUMBER) == len(NUMBERS_NO_FIELD_HOLDS), errors
    assert not ENGLISH.search(html), ENGLISH.search(html)


def test_a_number_no_field_holds_is_said_in_english_to_an_english_reader(client, settings):
    client.get("/language/en")
    html = client.submit(settings, NUMBERS_NO_FIELD_HOLDS).get_data(as_text=True)
    assert "Please enter a valid number." in html and NOT_A_NUMBER not in html
