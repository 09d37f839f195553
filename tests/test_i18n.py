"""Pages are in Simplified Chinese by default; English is selectable; every message has both."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from lms.config import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "lms/translations/en/LC_MESSAGES/messages.po"


def test_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "登录" in html


def test_english_is_selectable_and_remembered(client):
    response = client.get("/language/en?next=/register")
    assert response.location.endswith("/register")
    html = client.get("/register").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "ID card number" in html and "身份证号" not in html
    client.get("/language/zh_Hans_CN")
    assert "身份证号" in client.get("/register").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.get("/language/xx")
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)


def test_every_message_has_an_english_translation():
    with Path(CATALOG).open("rb") as po:
        catalog = read_po(po)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [("lms/**.py", "python"), ("lms/**/templates/**.html", "jinja2")]
    messages = {
        message
        for _, _, message, _, _ in extract_from_dir(
            PROJECT_ROOT, method_map, keywords=keywords
        )
    }
    assert len(messages) > 150
    untranslated = sorted(m for m in messages if not (catalog.get(m) and catalog.get(m).string))
    assert untranslated == [], "run `make translations` and translate these"
