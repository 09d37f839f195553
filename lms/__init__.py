"""The Weihai continuing-education platform."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import config, jobs
from lms.extensions import babel, csrf, db, login_manager, migrate
from lms.jsonapi import JSONProvider
from lms.urls import IdConverter

__all__ = ["create_app"]


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → CLI → error pages."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.json = JSONProvider(app)  # every JSON body is read through lms.jsonapi.loads
    app.config.update(config.load(Path(app.instance_path)))
    app.config.update(overrides or {})
    if hops := app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from lms.security import register_body_limits

    register_body_limits(app)  # before any other before_request reads a body
    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    jobs.init_app(app)  # after the blueprints: their imports register the jobs
    from lms.auth import limits

    limits.init_app(app)  # after the blueprints: it limits their endpoints

    from lms.errors import register_error_pages
    from lms.security import register_input_checks, register_security_headers
    from lms.templating import register_template_helpers

    register_error_pages(app)
    register_security_headers(app)
    register_input_checks(app)
    register_template_helpers(app)
    logging.getLogger("lms").setLevel(logging.INFO)
    return app


def _init_extensions(app: Flask) -> None:
    from lms.auth import sessions
    from lms.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.session_protection = None  # server-side login sessions do this job
    login_manager.user_loader(sessions.load_user)
    app.session_interface = sessions.SignedCookie()


#: Feature packages; each keeps its blueprint in ``__init__`` and its routes in ``views``.
PACKAGES = ("main", "auth", "staff", "courses", "records", "exam", "audit", "declarations")


def _register_blueprints(app: Flask) -> None:
    for name in PACKAGES:
        package = importlib.import_module(f"lms.{name}")
        importlib.import_module(f"lms.{name}.views")  # attaches the routes to package.bp
        app.register_blueprint(package.bp)
    from lms.courses.media_views import bp as media_bp

    app.register_blueprint(media_bp)
    _register_api(app)


def _register_api(app: Flask) -> None:
    from lms import api
    from lms.api import views  # noqa: F401  (tokens, openapi.json, authentication)
    from lms.courses import api as courses_api  # noqa: F401
    from lms.declarations import api as declarations_api  # noqa: F401
    from lms.exam import api as exam_api  # noqa: F401
    from lms.watching import api as watching_api  # noqa: F401

    csrf.exempt(api.bp)  # checked by the API itself: see lms.api.views
    app.register_blueprint(api.bp)


def _register_commands(app: Flask) -> None:
    from lms.courses.cli import media_cli, topic_cli, worker_command
    from lms.declarations.cli import declarations_cli
    from lms.demo import demo_command
    from lms.exam.cli import exam_cli
    from lms.orgs.cli import org_cli
    from lms.staff.cli import user_cli
    from lms.watching.cli import watch_cli

    app.cli.add_command(user_cli)
    app.cli.add_command(org_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(topic_cli)
    app.cli.add_command(media_cli)
    app.cli.add_command(watch_cli)
    app.cli.add_command(exam_cli)
    app.cli.add_command(declarations_cli)
