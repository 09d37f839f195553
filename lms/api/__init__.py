"""The JSON API (``/api/v1``): what learners and providers do, for apps and scripts.

Authenticated by the browser's login session (writes then need the ``X-CSRFToken`` header) or by
a bearer token from ``POST /api/v1/tokens``. Described at ``/api/v1/openapi.json``.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
