"""The embedded set-up's media server: signed links checked here, bytes sent with ranges.

In production nginx answers ``/media/s/`` itself (see ``deploy/nginx.conf``) and requests never
reach this view.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, send_from_directory
from flask_login import current_user
from werkzeug.wrappers import Response

from lms.courses import storage, streaming

logger = logging.getLogger(__name__)
bp = Blueprint("media", __name__, url_prefix="/media")


@bp.route("/s/<sig>/<int(max=None):expires>/<int:user_id>/<path:rest>")  # expires: a time
def signed(sig: str, expires: int, user_id: int, rest: str) -> Response:
    if current_app.config["MEDIA_DELIVERY"] == "nginx":
        logger.warning("a media request reached the app: nginx should answer /media/s/")
        abort(404)
    try:
        relative = streaming.resolve(sig, expires, user_id, rest)
    except streaming.LinkRefused as refused:
        abort(refused.status)
    # Here the app can do what nginx cannot: the link works only in its learner's own login.
    if not current_user.is_authenticated or current_user.id != user_id:
        abort(403)
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
