"""The JSON API: tokens for non-browser clients, the OpenAPI document, uploads with a token."""

import json
import re
from typing import Literal

import pytest

from lms.jsonapi import OPERATIONS
from tests.conftest import make_app
from tests.factories import PASSWORD


def token_for(client, user) -> str:
    answer = client.post("/api/v1/tokens", json={"id_number": user.id_number, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["token"]


def test_openapi_document_describes_every_api_route(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routed = {
        (rule.rule.replace("<int:", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routed == described
    for ref in json.dumps(document).split('"$ref": "')[1:]:
        name = ref.split('"')[0].rsplit("/", 1)[1]
        assert name in document["components"]["schemas"], name
    assert len(OPERATIONS) == len(described)


def test_token_login_goes_through_the_same_checks(client, people):
    wrong = client.post("/api/v1/tokens", json={"id_number": people.learner.id_number,
                                                "password": "Wrong4pw"})
    assert wrong.status_code == 401 and "不正确" in wrong.get_json()["message"]
    pending = client.post("/api/v1/tokens", json={"id_number": people.pending.id_number,
                                                  "password": PASSWORD})
    assert pending.status_code == 401 and "尚未激活" in pending.get_json()["message"]
    malformed = client.post("/api/v1/tokens", json={"id_number": 1})
    assert malformed.status_code == 400 and "id_number" in malformed.get_json()["message"]


def test_a_token_works_without_cookies_or_csrf(app, people, course, files, database):
    bot = app.test_client()
    token = token_for(bot, people.provider)
    headers = {"Authorization": f"Bearer {token}"}
    data = files["small"].read_bytes()
    started = bot.post(f"/api/v1/courses/{course.id}/videos", headers=headers,
                       json={"filename": "small.mp4", "size": len(data), "title": "第一讲"})
    assert started.status_code == 201, started.get_json()
    video = started.get_json()
    put = bot.put(video["upload_url"], data=data,
                  headers={**headers, "Upload-Offset": "0"})
    assert put.status_code == 200 and put.get_json()["state"] == "ready"
    assert bot.get_cookie("lms_session") is None


def test_bad_and_missing_tokens_are_401(app, database):
    bot = app.test_client()
    assert bot.get("/api/v1/courses").status_code == 401
    answer = bot.get("/api/v1/courses", headers={"Authorization": "Bearer nonsense"})
    assert answer.status_code == 401 and answer.is_json


def test_learner_browses_the_catalog_through_the_api(client, people, login_as):
    login_as(people.learner)
    page = client.get("/api/v1/courses?category=professional&page=1").get_json()
    assert page == {"items": [], "page": 1, "pages": 1, "total": 0}


def test_a_browser_login_with_a_one_time_password_gets_no_api_until_it_is_changed(
    client, people, login_as, database
):
    people.learner.must_change_password = True
    database.flush()
    login_as(people.learner)
    answer = client.get("/api/v1/courses")
    assert answer.status_code == 403 and answer.is_json
    assert "修改初始密码" in answer.get_json()["message"]
    assert client.get("/api/v1/openapi.json").status_code == 200


# --- the one error shape ----------------------------------------------------------------------

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
#: Words a message may hold that are not English prose: JSON's own, and header names.
NOT_PROSE = ("JSON", "Content-Type", "application/json", "Upload-Offset", "Content-Length",
             "ISO", "true", "false", "null", "GB", "MB")


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    """``response`` is the API's one error shape, with a message for people that holds no
    English but the field's name; returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error", "message", "field"}, body
    assert CODE.match(body["error"]), body
    if code is not None:
        assert body["error"] == code, body
    assert body["field"] == field, body
    words = re.sub(r"'[^']*'", "", body["message"])  # values, quoted (a choice's)
    for allowed in (body["field"] or "", *NOT_PROSE):  # the field first: "true_false_points"
        words = words.replace(allowed, "") if allowed else words
    assert not re.search(r"[A-Za-z]{2,}", words), body  # pydantic's English, a class name
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), body
    return body


DEEP = "[" * 1000 + "]" * 1000


def test_a_deeply_nested_body_is_a_400_not_a_crash(client, people):
    answer = client.post("/api/v1/tokens", data=DEEP, content_type="application/json")
    assert "嵌套过深" in assert_error(answer, 400, "invalid_json")["message"]
    deep_object = '{"a":' * 1000 + "1" + "}" * 1000
    answer = client.post("/api/v1/tokens", data=deep_object, content_type="application/json")
    assert_error(answer, 400, "invalid_json")
    token = token_for(client, people.learner)
    beat = client.post("/api/v1/heartbeats", data=DEEP, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})
    assert_error(beat, 400, "invalid_json")
    # A page's form reads no JSON body (lms.forms.Form): the login page, asking for its form.
    page = client.post("/login", data=DEEP, content_type="application/json",
                       headers={"X-CSRFToken": client.csrf_token("/login")})
    assert page.status_code == 200


def test_nesting_is_bounded_cheaply_and_exactly():
    from lms.jsonapi import MAX_JSON_DEPTH, JSONTooDeep, loads

    assert loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(JSONTooDeep):
        loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    # Brackets inside strings are text, and many siblings are not depth.
    assert loads(json.dumps({"a": "[" * 5000, "b": [[1]] * 5000}))["a"] == "[" * 5000
    with pytest.raises(ValueError):
        loads('{"a": "\\ud800"}')  # a lone surrogate is no text
    assert loads('{"a": "\\ud83d\\ude00"}') == {"a": "😀"}


@pytest.mark.parametrize("body", ["[]", '"x"', "1", "null", "true"])
def test_a_body_that_is_not_an_object_is_refused_in_plain_words(client, body):
    answer = client.post("/api/v1/tokens", data=body, content_type="application/json")
    assert assert_error(answer, 400, "invalid_body")["message"] == "请求体须为 JSON 对象。"


@pytest.mark.parametrize("body", ["", "{", "{'a': 1}", "\xff"])
def test_a_body_that_is_not_json_is_invalid_json(client, body):
    answer = client.post("/api/v1/tokens", data=body, content_type="application/json")
    assert_error(answer, 400, "invalid_json")


def test_a_body_that_is_not_labelled_json_is_a_415(client):
    answer = client.post("/api/v1/tokens", data='{"id_number": "1"}', content_type="text/plain")
    assert_error(answer, 415, "unsupported_media_type")


@pytest.mark.parametrize(("body", "code", "field", "words"), [
    ({"password": "x"}, "missing_field", "id_number", "缺少字段 id_number。"),
    ({"id_number": "1", "password": "x", "remember": True}, "unknown_field", "remember",
     "不认识的字段 remember。"),
    ({"id_number": 1, "password": "x"}, "invalid_field", "id_number",
     "字段 id_number：须为字符串。"),
    ({"id_number": "1" * 31, "password": "x"}, "invalid_field", "id_number",
     "字段 id_number：最多 30 个字符。"),
])
def test_field_errors_are_said_in_chinese_with_the_field(client, body, code, field, words):
    answer = client.post("/api/v1/tokens", json=body)
    assert assert_error(answer, 400, code, field)["message"] == words


def test_field_errors_follow_the_readers_language(client):
    client.get("/language/en")
    answer = client.post("/api/v1/tokens", json={"id_number": 1, "password": "x"})
    assert answer.get_json() == {"error": "invalid_field", "field": "id_number",
                                 "message": "Field id_number: must be a string."}


def test_every_pydantic_error_type_of_the_api_is_translated(app):
    """Each error type the API's schemas can raise has Chinese words, its limits filled in."""
    from pydantic import BaseModel, Field, ValidationError

    from lms.jsonapi import OPERATIONS, field_error

    class Limits(BaseModel):
        short: str = Field(min_length=2, max_length=3)
        many: list[int] = Field(min_length=1, max_length=2)
        low: int = Field(gt=0, lt=10)
        choice: Literal["a", "b"]

    with app.test_request_context():
        for values, words in [
            ({"short": "x"}, "至少 2 个字符"), ({"short": "xxxx"}, "最多 3 个字符"),
            ({"many": []}, "至少 1 项"), ({"many": [1, 2, 3]}, "最多 2 项"),
            ({"low": 0}, "须大于 0"), ({"low": 10}, "须小于 10"),
            ({"choice": "c"}, "须为以下之一：'a'、'b'"),
        ]:
            full = {"short": "xx", "many": [1], "low": 1, "choice": "a", **values}
            with pytest.raises(ValidationError) as caught:
                Limits.model_validate(full)
            message = field_error(caught.value.errors()[0]).description
            assert words in message and "should" not in message, message
        for op in OPERATIONS:  # what every body schema says of an empty object
            if op.body is not None and op.body.model_fields:
                with pytest.raises(ValidationError) as caught:
                    op.body.model_validate({"": [[]]})
                for detail in caught.value.errors():
                    assert_message(field_error(detail).description)


def assert_message(message: str) -> None:
    words = re.sub(r"[a-z_.0-9]+(?=[：。])", "", message)  # the field's dotted name
    for allowed in NOT_PROSE:
        words = words.replace(allowed, "")
    assert not re.search(r"[A-Za-z]{2,}", words), message


def test_every_http_error_of_the_api_has_the_one_shape(client, people, login_as, app,
                                                       monkeypatch):
    assert_error(client.get("/api/v1/no/such/thing"), 404, "not_found")
    gone = client.get("/api/v1/tokens")
    assert_error(gone, 405, "method_not_allowed")
    assert "POST" in gone.headers["Allow"]
    assert_error(client.get("/api/v1/courses"), 401, "unauthenticated")
    assert_error(client.get("/api/v1/courses", headers={"Authorization": "Bearer x"}), 401,
                 "unauthenticated")
    wrong = client.post("/api/v1/tokens", json={"id_number": people.learner.id_number,
                                                "password": "Wrong4pw"})
    assert_error(wrong, 401, "login_refused")
    login_as(people.learner)
    assert_error(client.get(f"/api/v1/courses/{people.learner.id}/videos"), 404, "not_found")
    assert_error(client.post("/api/v1/courses", json={}), 400, "csrf_failed")
    headers = {"X-CSRFToken": client.csrf_token("/home")}
    assert_error(client.post("/api/v1/courses", json={}, headers=headers), 403, "forbidden")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    big = client.post("/api/v1/heartbeats", json={"playback": "x" * 200}, headers=headers)
    assert_error(big, 413, "payload_too_large")


def test_a_crash_in_the_api_is_a_500_in_the_one_shape(database_url, caplog):
    app = make_app(database_url, TESTING=False)

    @app.route("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    answer = app.test_client().get("/api/v1/boom")
    body = assert_error(answer, 500, "server_error")
    assert "secret internals" not in json.dumps(body)
    assert "secret internals" in caplog.text


def test_the_openapi_document_describes_the_error_shape(client):
    document = client.get("/api/v1/openapi.json").get_json()
    error = document["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "message", "field"}
    assert set(error["required"]) == {"error", "message", "field"}
    tokens = document["paths"]["/api/v1/tokens"]["post"]["responses"]
    assert {"400", "401", "403", "413", "415", "default"} <= set(tokens)
    upload = document["paths"]["/api/v1/videos/{video_id}/upload"]["put"]["responses"]["409"]
    conflict = upload["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"error", "message", "field", "video"} <= set(
        document["components"]["schemas"][conflict]["properties"])


# --- ids past what a column holds -------------------------------------------------------------


def test_an_id_past_what_a_column_holds_is_a_404_in_the_api(client, people):
    headers = {"Authorization": f"Bearer {token_for(client, people.learner)}"}
    for number in (0, 2**31, 2**63, 2**64):
        assert_error(client.get(f"/api/v1/courses/{number}", headers=headers), 404,
                     "not_found")
        assert_error(client.post(f"/api/v1/attempts/{number}/answers", headers=headers,
                                 json={"key": "a", "options": []}), 404, "not_found")
    document = client.get("/api/v1/openapi.json").get_json()
    (param,) = document["paths"]["/api/v1/courses/{course_id}"]["get"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


@pytest.mark.parametrize(("field", "value", "at", "words"), [
    ("provider_id", 2**31, "provider_id", "须不大于 2147483647"),
    ("provider_id", 2**64, "provider_id", "须不大于 2147483647"),
    ("provider_id", 0, "provider_id", "须不小于 1"),
    ("provider_id", True, "provider_id", "须为整数"),
    ("provider_id", "1", "provider_id", "须为整数"),
    ("topic_id", 2**63, "topic_id", "须不大于 2147483647"),
    ("title_series_ids", [1, 2**63], "title_series_ids.1", "须不大于 2147483647"),
    ("category", "misc", "category", "须为以下之一：'public_compulsory'、'public_elective'、"
                                     "'professional'"),
])
def test_ids_in_a_body_are_checked_before_any_query(client, people, orgs, field, value, at,
                                                    words):
    headers = {"Authorization": f"Bearer {token_for(client, people.provider)}"}
    body = {"provider_id": orgs.provider.id, "title": "新课", "category": "professional",
            field: value}
    answer = client.post("/api/v1/courses", json=body, headers=headers)
    assert words in assert_error(answer, 400, "invalid_field", at)["message"]


@pytest.mark.parametrize("query", ["topic=2147483648", f"series={2**64}", "provider=-1",
                                   "topic=abc", f"page={2**64}"])
def test_ids_in_a_query_are_checked_before_any_query(client, people, query):
    headers = {"Authorization": f"Bearer {token_for(client, people.learner)}"}
    answer = client.get(f"/api/v1/courses?{query}", headers=headers)
    assert_error(answer, 400, "invalid_field", query.split("=")[0])
    assert client.get("/api/v1/courses?topic=0&q=&page=", headers=headers).status_code == 200


def test_text_holding_a_nul_is_refused_naming_its_field(client, people, orgs):
    """PostgreSQL stores no NUL in text: no request carries one to a query."""
    headers = {"Authorization": f"Bearer {token_for(client, people.provider)}"}
    answer = client.post("/api/v1/tokens", json={"id_number": "1\x00", "password": "x"})
    assert "空字符" in assert_error(answer, 400, "invalid_field", "id_number")["message"]
    body = {"provider_id": orgs.provider.id, "title": "新课", "category": "professional",
            "title_series_ids": [], "description": "a\x00b"}
    assert_error(client.post("/api/v1/courses", json=body, headers=headers), 400,
                 "invalid_field", "description")
    assert_error(client.get("/api/v1/courses?q=%00", headers=headers), 400, "invalid_field",
                 "q")
