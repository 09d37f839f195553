"""Configuration comes from LMS_* variables; production refuses to run without a secret key."""

import pytest

from lms import create_app
from lms.config import ConfigError
from lms.urls import absolute_url


@pytest.fixture(autouse=True)
def instance_in_tmp(monkeypatch, tmp_path):
    """Apps built here keep their development secret key out of the work tree."""
    monkeypatch.setattr("lms.config.PROJECT_ROOT", tmp_path)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path / "i"))


def test_production_without_secret_key_is_an_error(monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="LMS_SECRET_KEY"):
        create_app()


def test_production_takes_its_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "s3cret-from-env")
    monkeypatch.setenv("LMS_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("LMS_MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.setenv("LMS_LOGIN_LOCK_MINUTES", "30")
    monkeypatch.setenv("LMS_PUBLIC_URL", "https://jxjy.weihai.gov.cn/")
    monkeypatch.setenv("LMS_RATE_LIMIT_STORAGE", "redis://127.0.0.1:6379/1")
    app = create_app()
    assert app.config["SECRET_KEY"] == "s3cret-from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["MEDIA_ROOT"] == tmp_path / "media"
    assert app.config["LOGIN_LOCK_MINUTES"] == 30
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PUBLIC_URL"] == "https://jxjy.weihai.gov.cn"


def test_production_needs_its_public_address(monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "s3cret-from-env")
    monkeypatch.delenv("LMS_PUBLIC_URL", raising=False)
    with pytest.raises(ConfigError, match="LMS_PUBLIC_URL"):
        create_app()


@pytest.mark.parametrize("url", ["jxjy.weihai.gov.cn", "ftp://x.cn", "https://x.cn/lms?a=1",
                                 "https://"])
def test_a_public_address_that_is_no_site_is_an_error(monkeypatch, url):
    monkeypatch.setenv("LMS_PUBLIC_URL", url)
    with pytest.raises(ConfigError, match="LMS_PUBLIC_URL"):
        create_app()


def test_absolute_links_come_from_the_public_address_never_the_host_header(monkeypatch):
    monkeypatch.setenv("LMS_PUBLIC_URL", "https://jxjy.weihai.gov.cn")
    app = create_app()
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert absolute_url("auth.login") == "https://jxjy.weihai.gov.cn/login"


def test_bad_number_is_reported_by_name(monkeypatch):
    monkeypatch.setenv("LMS_LOGIN_LOCK_MINUTES", "soon")
    with pytest.raises(ConfigError, match="LMS_LOGIN_LOCK_MINUTES"):
        create_app()


def test_passwords_use_scrypt_by_default(monkeypatch):
    monkeypatch.delenv("LMS_PASSWORD_HASH_METHOD", raising=False)
    app = create_app()
    from lms.auth.passwords import hash_password

    with app.app_context():
        assert hash_password("Correct4horse").startswith("scrypt:32768:8:1$")


def test_development_keeps_one_generated_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    assert len(first) == 64 and create_app().config["SECRET_KEY"] == first
    assert (tmp_path / "i" / "secret_key").stat().st_mode & 0o077 == 0


def test_nginx_delivery_needs_the_shared_media_secret(monkeypatch):
    monkeypatch.setenv("LMS_MEDIA_DELIVERY", "nginx")
    monkeypatch.delenv("LMS_MEDIA_SECRET", raising=False)
    with pytest.raises(ConfigError, match="LMS_MEDIA_SECRET"):
        create_app()
    monkeypatch.setenv("LMS_MEDIA_SECRET", "shared-with-nginx")
    assert create_app().config["MEDIA_DELIVERY"] == "nginx"
