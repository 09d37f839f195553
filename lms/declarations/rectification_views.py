"""Rectification orders' pages (责令整改)."""

from lms.declarations import bp  # noqa: F401
