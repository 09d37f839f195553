"""Headers every response carries."""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

#: Everything comes from this site: no CDN, no inline script. The player (hls.js) feeds the
#: video element from blob: URLs and may run its transmuxer in a blob: worker.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "media-src 'self' blob:; worker-src 'self' blob:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in HEADERS.items():
            if name not in headers:
                headers.add(name, value)
        return response
