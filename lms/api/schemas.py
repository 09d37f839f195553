"""The JSON API's types for tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from lms.jsonapi import Schema


class TokenRequest(Schema):
    id_number: str = Field(max_length=30, description="居民身份证号码")
    password: str = Field(max_length=128)


class TokenResponse(Schema):
    token: str
    expires_at: datetime
