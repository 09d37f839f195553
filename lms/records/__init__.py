"""The learning record (学习档案) and each year's completion (年度完成情况), rules §6."""

from flask import Blueprint

bp = Blueprint("records", __name__, template_folder="templates", url_prefix="/record")
