"""The audit record: who did which privileged action, to what, when, from where and why."""

from flask import Blueprint

bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/audit")
