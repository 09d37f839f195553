"""The ``lms`` console script: Flask's CLI (run, db, shell) plus the platform's own commands,
which each package registers on the app in :func:`lms.create_app`."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from lms import create_app


@click.group(cls=FlaskGroup, create_app=create_app, help="威海市专业技术人员继续教育平台")
def main() -> None:
    pass
