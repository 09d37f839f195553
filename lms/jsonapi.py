"""The JSON API's plumbing, below every feature: the ``/api/v1`` blueprint, the registry of
operations (each declared once: route, schemas, OpenAPI entry), the schema base and the one error
shape. Features declare their operations here; the entry points (``lms.api``) add tokens and the
document's route."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, ValidationError
from werkzeug.exceptions import BadRequest

#: Authenticated by the browser's login session (writes then need the ``X-CSRFToken`` header) or
#: by a bearer token from ``POST /api/v1/tokens``. Described at ``/api/v1/openapi.json``.
bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Schema(BaseModel):
    """One schema per request and response type; the OpenAPI document is made from these."""

    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    error: str
    message: str


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
    #: Further error statuses the operation answers, with what each means.
    errors: dict[int, str] = field(default_factory=dict)


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
    errors: dict[int, str] | None = None,
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


def parse(model: type[BaseModel]) -> Any:
    """The request's JSON body as ``model``, or a 400 saying what is wrong."""
    payload = request.get_json(silent=True)
    if payload is None:
        raise BadRequest(_("请求体须为 JSON。"))
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise BadRequest(_("字段 %(field)s 无效：%(msg)s", field=where, msg=first["msg"])) from None


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
        for name in _path_params(op.path):
            parameters.append(
                {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
            )
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
            schema = ref(op.response)
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
        entry["responses"]["400"] = {"description": "bad request", **error}
        if op.auth:
            entry["responses"]["401"] = {"description": "not signed in", **error}
            entry["responses"]["403"] = {"description": "not allowed", **error}
        else:
            entry["security"] = []
        for status, description in sorted(op.errors.items()):
            entry["responses"][str(status)] = {"description": description, **error}
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
