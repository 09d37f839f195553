"""Declared hours (学时申报): other training, expert service, self-study examinations and
publications, declared with evidence and reviewed unit → supervising department → district HR
bureau (the city for 市直 units) through ``lms.reviews``; the year's rules per type; and
rectification orders (责令整改) against units that faked or rubber-stamped."""

from flask import Blueprint

bp = Blueprint("declarations", __name__, url_prefix="/declarations", template_folder="templates")
