"""The JSON API's plumbing, below every feature: the ``/api/v1`` blueprint, the registry of
operations (each declared once: route, schemas, OpenAPI entry), the schema base, reading a
request's JSON, and the one error shape. Features declare their operations here; the entry
points (``lms.api``) add tokens and the document's route.

Every error answer of the API is ``{"error": code, "message": words, "field": name}``: ``error``
a stable English code for programs, ``message`` Chinese (the reader's language) for people,
``field`` the request field at fault or null (see docs/api.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from werkzeug.exceptions import HTTPException

from lms.db import MAX_ID

#: Authenticated by the browser's login session (writes then need the ``X-CSRFToken`` header) or
#: by a bearer token from ``POST /api/v1/tokens``. Described at ``/api/v1/openapi.json``.
bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: An id in a request body: a JSON integer that a row's id can be.
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


class Schema(BaseModel):
    """One schema per request and response type; the OpenAPI document is made from these."""

    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    """Every error answer of the API."""

    error: str = Field(pattern="^[a-z][a-z0-9_]*$", examples=["invalid_field"],
                       description="what went wrong, as a stable English code for programs")
    message: str = Field(description="the same for people, in their language (Chinese)")
    field: str | None = Field(examples=["options.0"],
                              description="the request field at fault (a dotted path into "
                                          "the body, or a query parameter), else null")


# --- errors -----------------------------------------------------------------------------------


def error_response(status: int, error: str, message: object,
                   field: str | None = None) -> Response:
    """The one error shape, with ``status``."""
    response = jsonify(error=error, message=str(message), field=field)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


class ApiError(HTTPException):
    """A refusal in the one error shape: raise it anywhere in a request that answers JSON."""

    def __init__(self, status: int, error: str, message: object,
                 field: str | None = None) -> None:
        super().__init__(description=str(message))
        self.code, self.error, self.field = status, error, field

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        return error_response(self.code or 500, self.error, self.description, self.field)


#: The code and words of an HTTP error raised without its own (``abort(404)``, a route that
#: does not exist, a body too large, a crash).
HTTP_ERRORS: dict[int, tuple[str, Any]] = {
    400: ("bad_request", _l("请求无效。")),
    401: ("unauthenticated", _l("请先登录，或在请求中带上有效的令牌。")),
    403: ("forbidden", _l("没有权限进行此操作。")),
    404: ("not_found", _l("请求的对象不存在。")),
    405: ("method_not_allowed", _l("此地址不支持这种请求方式。")),
    409: ("conflict", _l("与当前状态冲突，请刷新后重试。")),
    410: ("gone", _l("链接已过期。")),
    413: ("payload_too_large", _l("请求的内容超过了允许的大小。")),
    415: ("unsupported_media_type", _l("请求体须为 JSON（Content-Type: application/json）。")),
    422: ("unprocessable", _l("请求的内容无法处理。")),
    429: ("rate_limited", _l("请求过于频繁，请稍后再试。")),
    500: ("server_error", _l("服务器处理时出现了问题，我们已记录下来。请稍后再试。")),
}


def http_error_response(error: HTTPException, message: object | None = None) -> Response:
    """``error`` in the one shape: its code's words unless ``message`` says more. Headers it
    carries (``Allow`` of a 405) stay."""
    status = error.code or 500
    code, words = HTTP_ERRORS.get(status, ("error", HTTP_ERRORS[500 if status >= 500 else 400][1]))
    response = error_response(status, code, message or words)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


# --- reading a body ---------------------------------------------------------------------------

#: The deepest nesting a JSON body may have (the API's own bodies go two deep). A body nested
#: a thousand deep would otherwise exhaust the recursion of whatever reads it.
MAX_JSON_DEPTH = 32


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than ``MAX_JSON_DEPTH``."""


def loads(data: str | bytes) -> Any:
    """JSON text as Python values, refusing (ValueError) what no request should carry: nesting
    past ``MAX_JSON_DEPTH``, and a string that is no text (a lone surrogate: nothing can
    encode it, neither the database nor an answer)."""
    text = data.decode(json.detect_encoding(data)) if isinstance(data, bytes | bytearray) else data
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(MAX_JSON_DEPTH) from None
    # Cheap for every usual body: only one with many brackets can be deep, and only one with
    # escapes can hold a lone surrogate.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        raise JSONTooDeep(MAX_JSON_DEPTH)
    if "\\u" in text and not all(_encodable(s) for s in _strings(value)):
        raise ValueError("a lone surrogate in a string")
    return value


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading through ``loads``: every ``request.get_json`` of the app (forms
    read JSON bodies too) refuses what ``parse`` refuses."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


def _deeper_than(value: Any, limit: int) -> bool:
    level = [value] if isinstance(value, list | dict) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [child for node in level
                 for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, list | dict)]
    return False


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            yield from node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_body() -> Any:
    """The request's JSON body (any JSON value), or an ``ApiError``."""
    if not request.is_json:
        raise ApiError(415, *HTTP_ERRORS[415])
    data = request.get_data(cache=True)
    try:
        value = loads(data)
    except JSONTooDeep:
        raise ApiError(400, "invalid_json",
                       _("JSON 嵌套过深：最多 %(n)d 层。", n=MAX_JSON_DEPTH)) from None
    except ValueError:
        raise ApiError(400, "invalid_json", _("请求体不是有效的 JSON。")) from None
    if b"\\u0000" in data:  # only an escape writes a NUL in JSON
        _refuse_nul(value)
    return value


def _refuse_nul(value: Any) -> None:
    """A 400 naming the first field whose text holds a NUL: PostgreSQL stores none, so no
    request may carry one to a query."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str) and "\x00" in node:
            raise ApiError(400, "invalid_field", _("字段 %(field)s：不能含有空字符（U+0000）。",
                                                   field=where), where)
        items = (node.items() if isinstance(node, dict)
                 else enumerate(node) if isinstance(node, list) else ())
        for key, child in items:
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and "\x00" in key:
                stack.append((where, key))
            stack.append((path, child))


def parse(model: type[BaseModel]) -> Any:
    """The request's JSON body as ``model``, or a 400 in the one error shape saying what is
    wrong and with which field."""
    payload = json_body()
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_body", _("请求体须为 JSON 对象。"))
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise field_error(exc.errors(include_url=False, include_input=False)[0]) from None


def parse_query(model: type[BaseModel]) -> Any:
    """The query string as ``model`` (its values are text, read as the fields' types; an empty
    one counts as absent), or a 400 naming the parameter."""
    given = {name: value for name, value in request.args.items() if value != ""}
    _refuse_nul(given)
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise field_error(exc.errors(include_url=False, include_input=False)[0]) from None


#: What is wrong with a value, by pydantic's error type, with its limits from the error's
#: context. Pydantic's own words are English and name internal classes: never shown.
_PROBLEMS: dict[str, Any] = {
    "int_type": _l("须为整数。"),
    "int_parsing": _l("须为整数。"),
    "int_from_float": _l("须为整数。"),
    "int_parsing_size": _l("数值超出范围。"),
    "float_type": _l("须为数字。"),
    "float_parsing": _l("须为数字。"),
    "finite_number": _l("须为有限的数字。"),
    "bool_type": _l("须为 true 或 false。"),
    "bool_parsing": _l("须为 true 或 false。"),
    "string_type": _l("须为字符串。"),
    "string_too_short": _l("至少 %(min_length)s 个字符。"),
    "string_too_long": _l("最多 %(max_length)s 个字符。"),
    "string_pattern_mismatch": _l("格式不正确。"),
    "string_unicode": _l("须为有效的文本。"),
    "list_type": _l("须为数组。"),
    "too_short": _l("至少 %(min_length)s 项。"),
    "too_long": _l("最多 %(max_length)s 项。"),
    "dict_type": _l("须为 JSON 对象。"),
    "model_type": _l("须为 JSON 对象。"),
    "model_attributes_type": _l("须为 JSON 对象。"),
    "greater_than": _l("须大于 %(gt)s。"),
    "greater_than_equal": _l("须不小于 %(ge)s。"),
    "less_than": _l("须小于 %(lt)s。"),
    "less_than_equal": _l("须不大于 %(le)s。"),
    "multiple_of": _l("须为 %(multiple_of)s 的倍数。"),
    "literal_error": _l("须为以下之一：%(expected)s。"),
    "enum": _l("须为以下之一：%(expected)s。"),
    "none_required": _l("须为 null。"),
    "datetime_type": _l("须为 ISO 8601 格式的日期时间。"),
    "datetime_parsing": _l("须为 ISO 8601 格式的日期时间。"),
    "datetime_from_date_parsing": _l("须为 ISO 8601 格式的日期时间。"),
}


def field_error(detail: ErrorDetails) -> ApiError:
    """One of pydantic's errors as a 400 in the one shape, in the reader's language."""
    where = ".".join(str(part) for part in detail["loc"])
    kind = detail["type"]
    if not detail["loc"]:
        return ApiError(400, "invalid_body", _("请求体须为 JSON 对象。"))
    if kind == "missing":
        return ApiError(400, "missing_field", _("缺少字段 %(field)s。", field=where), where)
    if kind == "extra_forbidden":
        return ApiError(400, "unknown_field", _("不认识的字段 %(field)s。", field=where), where)
    context = dict(detail.get("ctx") or {})
    if "expected" in context:  # pydantic lists choices as "'a', 'b' or 'c'"
        context["expected"] = re.sub(r", | or ", "、", str(context["expected"]))
    if kind == "string_too_short" and context.get("min_length") == 1:
        problem = _("不能为空。")
    elif kind in _PROBLEMS:
        try:
            problem = str(_PROBLEMS[kind]) % context
        except (KeyError, TypeError, ValueError):  # a context without the limit: say less
            problem = _("值无效。")
    else:
        problem = _("值无效。")
    return ApiError(400, "invalid_field", _("字段 %(field)s：%(problem)s", field=where,
                                            problem=problem), where)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    many: bool
    parameters: list[dict[str, Any]] = field(default_factory=list)
    auth: bool = True
    raw_body: str | None = None
    #: Further error statuses the operation answers, with what each means (and the schema of
    #: the answer when it carries more than ``Error``).
    errors: dict[int, str | tuple[str, type[BaseModel]]] = field(default_factory=dict)


OPERATIONS: list[Operation] = []


def operation(
    method: str,
    path: str,
    summary: str,
    *,
    tag: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    parameters: list[dict[str, Any]] | None = None,
    auth: bool = True,
    raw_body: str | None = None,
    errors: dict[int, str | tuple[str, type[BaseModel]]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``path`` (Flask syntax) on the API blueprint and describe it."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(method, path, summary, tag, body, response, many, parameters or [],
                      auth, raw_body, errors or {})
        )
        bp.add_url_rule(path, view_func=view, methods=[method])
        return view

    return register


def respond(model: type[BaseModel], data: Any, status: int = 200) -> Any:
    """Serialise through the declared schema, so the document and the answer agree."""
    if isinstance(data, list):
        items = [model.model_validate(item).model_dump(mode="json") for item in data]
        return jsonify(items), status
    return jsonify(model.model_validate(data).model_dump(mode="json")), status


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas[name] = definition
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        path = "/api/v1" + op.path.replace("<int:", "{").replace(">", "}")
        entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "responses": {}}
        parameters = list(op.parameters)
        for name in _path_params(op.path):  # any other number does not match: 404
            parameters.append({"name": name, "in": "path", "required": True,
                               "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}})
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {
                "required": True, "content": {"application/json": {"schema": ref(op.body)}}
            }
        if op.raw_body:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/offset+octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}},
                "description": op.raw_body,
            }
        if op.response is not None:
            schema: dict[str, Any] = ref(op.response)
            if op.many:
                schema = {"type": "array", "items": schema}
            entry["responses"]["200"] = {
                "description": "OK", "content": {"application/json": {"schema": schema}}
            }
        else:
            entry["responses"]["200"] = {"description": "OK"}
        error = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        }
        responses = entry["responses"]
        responses["400"] = {"description": "bad request: invalid_json, invalid_body, "
                            "missing_field, unknown_field or invalid_field (with `field`)"
                            if op.body is not None else "bad request", **error}
        if op.auth:
            responses["401"] = {"description": "unauthenticated: not signed in, or the token "
                                "is invalid or expired", **error}
            responses["403"] = {"description": "forbidden: not allowed", **error}
        else:
            entry["security"] = []
        if _path_params(op.path):
            responses["404"] = {"description": "not_found: no such object", **error}
        if op.body is not None or op.raw_body:
            responses["413"] = {"description": "payload_too_large", **error}
        if op.body is not None:
            responses["415"] = {"description": "unsupported_media_type: the body is not "
                                "application/json", **error}
        for status, described in sorted(op.errors.items()):
            if isinstance(described, tuple):
                description, model = described
                responses[str(status)] = {"description": description, "content": {
                    "application/json": {"schema": ref(model)}}}
            else:
                responses[str(status)] = {"description": described, **error}
        responses["default"] = {"description": "any other error (method_not_allowed, "
                                "server_error, …), in the same shape", **error}
        paths.setdefault(path, {})[op.method.lower()] = entry
    ref(Error)
    return {
        "openapi": "3.1.0",
        "info": {"title": "威海市专业技术人员继续教育平台 API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "lms_session",
                            "description": "the browser's login; writes need X-CSRFToken"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }


def _path_params(path: str) -> list[str]:
    return re.findall(r"<int:(\w+)>", path)
