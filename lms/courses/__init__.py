"""Courses: catalog, videos, upload → probe → transcode, streaming and verified watching."""

from flask import Blueprint

bp = Blueprint("courses", __name__, template_folder="templates", url_prefix="/courses")
