"""The JSON API's entry point (``/api/v1``): authentication by session or bearer token, tokens,
and the OpenAPI document. The features declare their own operations through ``lms.jsonapi``."""

from lms.jsonapi import bp

__all__ = ["bp"]
