"""The rules page and the learner's declarations over the API in the permission matrix
(tests/test_permissions.py); tried on the World's declarations (tests/declarations/matrix.py)."""

from __future__ import annotations

from lms.declarations import services
from tests.test_permissions_base import ADMIN, Route, allow, api

#: An empty form is shown again with what is missing (400) to the city admin. Over the API a
#: learner lists their own declarations; a declaration is its declarant's alone (the World's
#: are the learner's), whoever else may see it on its page.
ROUTES = [
    Route("declarations.rules_page", "GET", lambda w: "/declarations/rules", allow(ADMIN)),
    Route("declarations.rules_page", "POST", lambda w: "/declarations/rules",
          allow(ADMIN, 400)),
    Route("declarations.rules_page", "GET",
          lambda w: f"/declarations/rules/{services.today().year + 1}", allow(ADMIN), label="year"),
    Route("api.list_declarations", "GET", lambda w: "/api/v1/declarations", api({"learner"})),
    Route("api.get_declaration", "GET",
          lambda w: f"/api/v1/declarations/{w.declarations.approved.id}", api({"learner"})),
    Route("api.get_declaration", "GET",
          lambda w: f"/api/v1/declarations/{w.declarations.draft.id}", api({"learner"}),
          label="draft"),
]
