"""Configuration: defaults that run with nothing installed, overridden by ``LMS_*`` variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


#: What one uploaded file may make the server read (lms.files.intake), each an ``LMS_*`` setting.
#: Defaults, and why: a real 5,000-person staff sheet is ~150 KB and a 10,000-question bank
#: ~250 KB zipped, ~4 MB unzipped; sheet XML compresses 10-20 to 1 (measured on workbooks
#: openpyxl and Excel save), so 10 MB zipped would unpack to at most ~200 MB of honest XML and
#: the unpacked caps bind first. 50 MB in all and 30 MB for any one part leave a tenfold margin
#: over the largest honest sheet, and keep a worst-case read to a few seconds of one core. A
#: part over 1 MB that unpacks more than 100 times its zipped size is a bomb, not a sheet.
#: Images: 40 megapixels covers a phone photo (12-50 MP) and an A4 page scanned at 600 dpi
#: (35 MP); decoding one costs at most 4 bytes a pixel.
FILE_LIMITS: dict[str, int] = {
    "SHEET_MAX_BYTES": 10 * 1024 * 1024,
    "SHEET_MAX_UNPACKED_BYTES": 50 * 1024 * 1024,
    "SHEET_MAX_PART_BYTES": 30 * 1024 * 1024,
    "SHEET_MAX_PARTS": 1000,
    "SHEET_MAX_RATIO": 100,
    "IMAGE_MAX_BYTES": 10 * 1024 * 1024,
    "IMAGE_MAX_PIXELS": 40_000_000,
    "PDF_MAX_BYTES": 10 * 1024 * 1024,
}


class ConfigError(RuntimeError):
    """The environment asks for something the app cannot run with."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"LMS_{name}", default)


def _env_number(name: str, default: Any, parse: Callable[[str], Any], kind: str) -> Any:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"LMS_{name} must be {kind}, got {raw!r}") from exc


def _env_int(name: str, default: int) -> int:
    return int(_env_number(name, default, int, "an integer"))


def _env_float(name: str, default: float) -> float:
    return float(_env_number(name, default, float, "a number"))


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance_path: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts in development."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


#: Where `make run` serves the site: the public address of a development machine.
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"


def _public_url(production: bool) -> str:
    url = _env("PUBLIC_URL")
    if not url:
        if production:
            raise ConfigError(
                "LMS_PUBLIC_URL is not set. In production absolute links (e.g. in printed "
                "certificates) are built from it alone, e.g. LMS_PUBLIC_URL=https://jxjy.weihai.gov.cn"
            )
        return DEVELOPMENT_PUBLIC_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") \
            or parts.query or parts.fragment:
        raise ConfigError(f"LMS_PUBLIC_URL must be a site's address like https://host, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def load(instance_path: Path) -> dict[str, Any]:
    """Build the app's configuration from the environment."""
    production = _env("ENV", "development") == "production"
    secret_key = _env("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError(
                "LMS_SECRET_KEY is not set. In production the secret key must come from the "
                "environment, e.g. LMS_SECRET_KEY=$(python -c 'import secrets; "
                "print(secrets.token_hex(32))')"
            )
        secret_key = _dev_secret_key(instance_path)

    delivery = _env("MEDIA_DELIVERY", "app")
    if delivery not in ("app", "nginx"):
        raise ConfigError(f"LMS_MEDIA_DELIVERY must be app or nginx, got {delivery!r}")
    if delivery == "nginx" and not _env("MEDIA_SECRET"):
        raise ConfigError(
            "LMS_MEDIA_DELIVERY=nginx needs LMS_MEDIA_SECRET, the same secret as nginx's "
            "secure_link_md5 in deploy/nginx.conf"
        )

    public_url = _public_url(production)
    rate_limit_storage = _env("RATE_LIMIT_STORAGE", "memory://") or "memory://"
    if production and rate_limit_storage.startswith("memory://"):
        raise ConfigError(
            "LMS_RATE_LIMIT_STORAGE is memory:// (each process counting on its own). In "
            "production the rate limits need a shared store, e.g. "
            "LMS_RATE_LIMIT_STORAGE=redis://127.0.0.1:6379/1"
        )
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance_path / 'lms.sqlite3'}"
    media_root = Path(_env("MEDIA_ROOT") or PROJECT_ROOT / "media").resolve()

    return {
        "LMS_PRODUCTION": production,
        #: The site's address as people reach it: the only source of absolute links (never the
        #: request's Host, which any client can set).
        "PUBLIC_URL": public_url,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MEDIA_ROOT": media_root,
        # Form posts and sheet uploads; video uploads stream through their own endpoint.
        "MAX_CONTENT_LENGTH": _env_int("MAX_FORM_BYTES", 10 * 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        # Sessions: server-side rows (see auth.sessions) behind a signed cookie.
        "SESSION_COOKIE_NAME": "lms_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SECURE_COOKIES", production),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_env_int("SESSION_MAX_HOURS", 12)),
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 120),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _env_bool("SECURE_COOKIES", production),
        # A form's token lives as long as the login session (a 4 GB upload can take hours).
        "WTF_CSRF_TIME_LIMIT": None,
        # Passwords: scrypt for what people choose; generated one-time passwords carry ~60 bits
        # of entropy and are replaced at first login, so a cheap setting is enough for them and
        # lets a unit import thousands of staff in seconds.
        "PASSWORD_HASH_METHOD": _env("PASSWORD_HASH_METHOD", "scrypt"),
        "ONE_TIME_PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        # Login throttling (lms/auth/throttle.py): failures lock the (account, address) pair;
        # the account alone only waits, never longer than the cap, so nobody can lock its
        # owner out.
        "LOGIN_ACCOUNT_SLOW_AFTER": _env_int("LOGIN_ACCOUNT_SLOW_AFTER", 3),
        "LOGIN_ACCOUNT_MAX_WAIT_SECONDS": _env_int("LOGIN_ACCOUNT_MAX_WAIT_SECONDS", 30),
        "LOGIN_PAIR_LOCK_AFTER": _env_int("LOGIN_PAIR_LOCK_AFTER", 5),
        # Whole hospitals sit behind one address: only a flood of failures slows it down.
        "LOGIN_ADDRESS_SLOW_AFTER": _env_int("LOGIN_ADDRESS_SLOW_AFTER", 100),
        "LOGIN_ADDRESS_LOCK_AFTER": _env_int("LOGIN_ADDRESS_LOCK_AFTER", 300),
        "LOGIN_LOCK_MINUTES": _env_int("LOGIN_LOCK_MINUTES", 15),
        # Rate limits (Flask-Limiter, lms/auth/limits.py) on POSTs to log in, to get an API
        # token and to register: generous per address (a hospital's staff share one), tighter
        # per ID number (not for the browser holding that account's device cookie).
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": rate_limit_storage,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT_PER_ADDRESS": _env("LOGIN_RATE_LIMIT_PER_ADDRESS", "300/minute"),
        "LOGIN_RATE_LIMIT_PER_ID_NUMBER": _env("LOGIN_RATE_LIMIT_PER_ID_NUMBER", "20/minute"),
        "REGISTER_RATE_LIMIT_PER_ADDRESS": _env("REGISTER_RATE_LIMIT_PER_ADDRESS", "300/hour"),
        "REGISTER_RATE_LIMIT_PER_ID_NUMBER": _env("REGISTER_RATE_LIMIT_PER_ID_NUMBER", "10/hour"),
        # Behind nginx: how many proxies set X-Forwarded-For in front of the app.
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        "STAFF_IMPORT_MAX_ROWS": _env_int("STAFF_IMPORT_MAX_ROWS", 5000),
        # A registration no unit reviewer decides on within this many days is refused
        # (``lms user expire-registrations``), freeing its ID number.
        "REGISTRATION_EXPIRE_DAYS": _env_int("REGISTRATION_EXPIRE_DAYS", 30),
        # Declared hours: evidence files per declaration and the size of each; a year may be
        # declared until this day (MM-DD) of the next year.
        "DECLARATION_MAX_FILES": _env_int("DECLARATION_MAX_FILES", 5),
        "DECLARATION_FILE_MAX_BYTES": _env_int("DECLARATION_FILE_MAX_BYTES", 10 * 1024 * 1024),
        "DECLARATION_CUTOFF": _env("DECLARATION_CUTOFF", "01-31"),
        # Files in: caps on every uploaded sheet, image and PDF (see FILE_LIMITS above).
        **{name: _env_int(name, default) for name, default in FILE_LIMITS.items()},
        # Media: uploads, probing, transcoding, delivery.
        "VIDEO_MAX_BYTES": _env_int("VIDEO_MAX_BYTES", 4 * 1024**3),
        "VIDEO_MAX_SECONDS": _env_int("VIDEO_MAX_SECONDS", 45 * 60),
        "UPLOAD_CHUNK_BYTES": _env_int("UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024),
        #: Uploads are refused when they would leave less free space than this on the media volume.
        "MEDIA_FREE_RESERVE_BYTES": _env_int("MEDIA_FREE_RESERVE_BYTES", 2 * 1024**3),
        # What one provider's videos may take: originals and renditions together.
        "PROVIDER_QUOTA_BYTES": _env_int("PROVIDER_QUOTA_BYTES", 200 * 1024**3),
        #: Lower CPU priority of ffmpeg, so pages stay responsive while it works.
        "TRANSCODE_NICE": _env_int("TRANSCODE_NICE", 10),
        #: A job whose heartbeat is older than this is taken to have died.
        "JOB_STALE_SECONDS": _env_int("JOB_STALE_SECONDS", 120),
        #: Streaming links stay valid this long.
        "STREAM_LINK_SECONDS": _env_int("STREAM_LINK_SECONDS", 4 * 3600),
        #: "app": the app sends media bytes itself; "nginx": nginx checks signed links and does.
        "MEDIA_DELIVERY": delivery,
        #: Shared with nginx's secure_link; derived from the secret key when not set.
        "MEDIA_SECRET": _env("MEDIA_SECRET"),
        #: Front-end packages from the npm registry (hls.js), installed by `make`.
        "NODE_MODULES": PROJECT_ROOT / "node_modules",
        # Verified watching (rules §4): the server's clock decides what a heartbeat earns.
        #: Media seconds per second of the clock: 1.0 allows no fast-forwarding.
        "WATCH_RATE": _env_float("WATCH_RATE", 1.0),
        #: Jitter allowed, seconds.
        "WATCH_GRACE_SECONDS": _env_float("WATCH_GRACE_SECONDS", 2.5),
        #: The player's heartbeat period; a silence longer than two of them earns one gap's worth.
        "HEARTBEAT_SECONDS": _env_int("HEARTBEAT_SECONDS", 15),
        #: A video is complete at this share of its duration covered.
        "VIDEO_COMPLETE_PERCENT": _env_int("VIDEO_COMPLETE_PERCENT", 95),
        #: Presence checks (防挂机) after a random amount of watching in this range, in seconds;
        #: 0 turns them off.
        "PRESENCE_MIN_SECONDS": _env_int("PRESENCE_MIN_SECONDS", 10 * 60),
        "PRESENCE_MAX_SECONDS": _env_int("PRESENCE_MAX_SECONDS", 20 * 60),
        #: Judge heartbeats in batches on a thread of each app process (see watching.heartbeats).
        "HEARTBEAT_BATCHING": _env_bool("HEARTBEAT_BATCHING", True),
        #: The raw heartbeat log is kept this long for disputes (`lms watch prune`).
        "HEARTBEAT_KEEP_DAYS": _env_int("HEARTBEAT_KEEP_DAYS", 180),
        # Jobs: Celery with this broker (Redis) when set, else an in-process runner.
        "CELERY_BROKER_URL": _env("CELERY_BROKER_URL"),
        "CELERY_VISIBILITY_TIMEOUT": _env_int("CELERY_VISIBILITY_TIMEOUT", 3 * 3600),
        #: Run jobs inline, right after the request commits (tests and one-shot commands).
        "JOBS_EAGER": _env_bool("JOBS_EAGER", False),
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_Hans_CN": "简体中文", "en": "English"},
    }
