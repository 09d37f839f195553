"""The embedded set-up's media server: signed links checked here, bytes sent with ranges.

In production nginx answers ``/media/s/`` itself (see ``deploy/nginx.conf``) and requests never
reach this view.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.wrappers import Response

from lms.courses import storage, streaming

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.route("/s/<sig>/<int:expires>/<int:user_id>/<path:rest>")
def signed(sig: str, expires: int, user_id: int, rest: str) -> Response:
    try:
        relative = streaming.resolve(sig, expires, user_id, rest)
    except streaming.LinkRefused as refused:
        abort(refused.status)
    response = send_from_directory(
        storage.media_root(), str(relative), conditional=True, max_age=3600,
        mimetype=streaming.MEDIA_TYPES.get(relative.suffix),
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/vendor/hls.min.js")
def hls_js() -> Response:
    """hls.js, installed from the npm registry at install time (``make``), served from here."""
    directory = current_app.config["NODE_MODULES"] / "hls.js" / "dist"
    return send_from_directory(directory, "hls.min.js", max_age=86400)
