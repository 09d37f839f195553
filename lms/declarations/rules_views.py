"""The city admin's page of the year's declaration rules."""

from lms.declarations import bp  # noqa: F401
