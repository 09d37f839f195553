"""The JSON API: tokens for non-browser clients, the OpenAPI document, uploads with a token."""

import json

from lms.jsonapi import OPERATIONS
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
