"""Real headless Chromium (Debian's `chromium` package) driven by Playwright against a live
server on a fresh database seeded with the demo content."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest

from lms.demo import seed_demo
from lms.extensions import db
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.servers import Server

CHROMIUM = os.environ.get("LMS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: Flags that keep Chromium from calling out on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

#: Every browser test module carries this mark: skipped, saying why, where there is no Chromium.
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"browser tests need Chromium at {CHROMIUM}: `apt-get install chromium` "
    "(or set LMS_CHROMIUM)",
)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on a free local port, with demo accounts; yields its URL and the accounts."""
    with fresh_database("browser", tmp_path_factory.mktemp("browser-db")) as url:
        # Jobs run on the in-process runner and heartbeats in batches, as in production.
        app = make_app(url, JOBS_EAGER=False, HEARTBEAT_BATCHING=True,
                       MEDIA_ROOT=tmp_path_factory.mktemp("browser-media"))
        with app.app_context():
            flask_migrate.upgrade()
            accounts = {role: id_number for role, id_number, _ in seed_demo()}
            db.session.commit()
        server = Server(app)
        try:
            yield {"url": server.url, "accounts": accounts}
        finally:
            server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need playwright: pip install -e '.[test]'"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    """A page the size of a phone screen."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $LMS_SCREENSHOTS if set, for a person to look at."""
    target = os.environ.get("LMS_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        return Path(target)
    return tmp_path_factory.mktemp("screenshots")
