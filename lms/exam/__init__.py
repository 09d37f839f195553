"""Exams: question banks, import/export, papers, attempts and grading (rules §5)."""

from flask import Blueprint

bp = Blueprint("exam", __name__, template_folder="templates", url_prefix="/exam")
