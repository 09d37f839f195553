"""The rules page and the learner's declarations over the API in the permission matrix
(tests/test_permissions.py); tried on the World's declarations (tests/declarations/matrix.py)."""

from __future__ import annotations

from lms.declarations import services
from tests.test_permissions_base import ADMIN, Route, allow

#: An empty form is shown again with what is missing (400) to the city admin.
ROUTES = [
    Route("declarations.rules_page", "GET", lambda w: "/declarations/rules", allow(ADMIN)),
    Route("declarations.rules_page", "POST", lambda w: "/declarations/rules",
          allow(ADMIN, 400)),
    Route("declarations.rules_page", "GET",
          lambda w: f"/declarations/rules/{services.today().year + 1}", allow(ADMIN), label="year"),
]
