"""Uploading a file through the JSON API the way the browser's upload script does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def csrf_headers(client: Any) -> dict[str, str]:
    return {"X-CSRFToken": client.csrf_token("/courses/")}


def start(client: Any, course_id: int, name: str, size: int, headers: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/courses/{course_id}/videos",
        data=json.dumps({"filename": name, "size": size}),
        content_type="application/json",
        headers=headers,
    )


def send(client: Any, url: str, data: bytes, offset: int, headers: dict[str, str]) -> Any:
    return client.put(
        url, data=data, headers={**headers, "Upload-Offset": str(offset)},
        content_type="application/offset+octet-stream",
    )


def upload(client: Any, course_id: int, path: Path, *, name: str | None = None,
           chunk: int = 256 * 1024) -> dict[str, Any]:
    """Upload ``path`` in chunks; return the video's final state from the API."""
    headers = csrf_headers(client)
    data = path.read_bytes()
    started = start(client, course_id, name or path.name, len(data), headers)
    assert started.status_code == 201, started.get_json()
    video = started.get_json()
    offset = 0
    while offset < len(data):
        answer = send(client, video["upload_url"], data[offset : offset + chunk], offset, headers)
        assert answer.status_code == 200, answer.get_json()
        offset = answer.get_json()["received"]
    return client.get(f"/api/v1/videos/{video['id']}").get_json()
