"""Managing people: a unit's roster and activations, bulk import, staff accounts and roles, and
the organisation tree they sit in."""

from flask import Blueprint

bp = Blueprint("staff", __name__, template_folder="templates", url_prefix="/staff")
