"""Declarations' pages."""

from lms.declarations import models  # noqa: F401
