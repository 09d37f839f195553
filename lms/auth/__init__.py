"""Accounts, roles, login sessions and the permission guards other packages use."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")
