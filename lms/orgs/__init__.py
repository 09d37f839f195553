"""Organisations: districts, supervising departments, employer units and training providers."""

from flask import Blueprint

bp = Blueprint("orgs", __name__, template_folder="templates", url_prefix="/orgs")
