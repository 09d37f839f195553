"""Rate limits on logging in (page and API) and registering, from Flask-Limiter: per address and
per ID number, counted in Redis (as in production) or in memory (development); a Chinese page
and the API's one error shape; production refuses per-process memory storage."""

import os

import pytest
import redis

from lms import config
from lms.auth import devices
from tests.conftest import Client, make_app
from tests.factories import PASSWORD

#: Flushed by these tests: a database of its own (another one for a suite run beside this one).
REDIS = os.environ.get("LMS_TEST_RATELIMIT_REDIS_URL", "redis://127.0.0.1:6379/15")
LIMITS = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_RATE_LIMIT_PER_ADDRESS": "6/minute",
    "LOGIN_RATE_LIMIT_PER_ID_NUMBER": "3/minute",
    "REGISTER_RATE_LIMIT_PER_ADDRESS": "2/hour",
    "REGISTER_RATE_LIMIT_PER_ID_NUMBER": "1/hour",
}


@pytest.fixture(params=["redis", "memory"])
def limited(request, database_url, database):
    """An app with low limits, counting in Redis (database 15, flushed) or in memory."""
    storage = "memory://"
    if request.param == "redis":
        store = redis.Redis.from_url(REDIS)
        store.flushdb()
        request.addfinalizer(store.flushdb)
        storage = REDIS
    app = make_app(database_url, RATELIMIT_STORAGE_URI=storage, **LIMITS)
    app.test_client_class = Client
    with app.app_context():
        yield app


def _login(browser, number, address="10.1.1.1", password="Wrong4guess"):
    return browser.submit(
        "/login", {"id_number": number, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_login_is_limited_per_id_number_with_a_chinese_page(limited):
    browser = limited.test_client()
    for n in range(3):
        assert _login(browser, "110105194912310021", f"10.1.1.{n}").status_code == 200
    refused = _login(browser, "110105194912310021", "10.1.1.9")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "请求过于频繁" in html and "per" not in html
    assert "Retry-After" in refused.headers
    # Another ID number, from the same address, is not held up.
    assert _login(browser, "110105194912310013", "10.1.1.9").status_code == 200


def test_login_and_tokens_share_the_per_address_limit_in_the_api_shape(limited):
    browser = limited.test_client()
    for n in range(6):
        _login(browser, f"11010519491231{n:04d}")
    response = browser.post(
        "/api/v1/tokens",
        json={"id_number": "110105194912310099", "password": "Wrong4guess"},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"] == "rate_limited" and "频繁" in body["message"]
    # Another address still may.
    other = browser.post(
        "/api/v1/tokens",
        json={"id_number": "110105194912310099", "password": "Wrong4guess"},
        environ_base={"REMOTE_ADDR": "10.2.2.2"},
    )
    assert other.status_code == 401


def test_the_owners_device_is_not_held_to_the_per_id_number_limit(limited, people):
    number = people.learner.id_number
    owner = limited.test_client()
    assert _login(owner, number, password=PASSWORD, address="10.5.5.5").status_code == 302
    assert owner.get_cookie(devices.COOKIE) is not None
    owner.submit("/logout")
    attacker = limited.test_client()
    for n in range(4):
        _login(attacker, number, f"10.6.6.{n}")
    assert _login(attacker, number, "10.6.6.9").status_code == 429
    assert _login(owner, number, password=PASSWORD, address="10.5.5.5").status_code == 302


def test_registration_is_limited(limited, orgs):
    browser = limited.test_client()
    form = {"id_number": "110105194912310021", "name": "王五", "phone": "13800000000",
            "unit_id": orgs.unit.id, "password": "Good4password", "confirm": "Good4password"}
    browser.submit("/register", form)
    assert browser.submit("/register", form).status_code == 429  # same ID number
    other = {**form, "id_number": "110105194912310013"}
    browser.submit("/register", other)
    third = {**form, "id_number": "11010519491231005X"}
    assert browser.submit("/register", third).status_code == 429  # same address


def test_production_refuses_memory_storage(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("LMS_PUBLIC_URL", "https://jxjy.example.cn")
    monkeypatch.delenv("LMS_RATE_LIMIT_STORAGE", raising=False)
    with pytest.raises(config.ConfigError, match="LMS_RATE_LIMIT_STORAGE"):
        config.load(tmp_path)
    monkeypatch.setenv("LMS_RATE_LIMIT_STORAGE", "memory://")
    with pytest.raises(config.ConfigError, match="redis://"):
        config.load(tmp_path)
    monkeypatch.setenv("LMS_RATE_LIMIT_STORAGE", "redis://127.0.0.1:6379/1")
    assert config.load(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/1"
