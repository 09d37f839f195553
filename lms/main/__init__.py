"""The front door: the home page for each role, language choice, health check."""

from flask import Blueprint

bp = Blueprint("main", __name__, template_folder="templates")
