"""Every route × every role, anonymous included: who gets in, who is sent to log in, who is refused.

A new route fails `test_every_route_is_in_the_matrix` until it is added here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

ROLES = (
    "anonymous", "learner", "provider", "exam_admin", "unit_reviewer", "other_unit_reviewer",
    "department_reviewer", "district_reviewer", "city_admin",
)
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
LOGIN = "login"  # anonymous is redirected to the login page


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: Callable[[object], str]
    #: role → expected status; roles not named get `otherwise`.
    expect: dict[str, int | str] = field(default_factory=dict)
    otherwise: int | str = 403
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}" + (f" ({self.label})" if self.label else "")


def allow(roles: frozenset[str] | set[str], status: int | str = 200) -> dict[str, int | str]:
    return {role: status for role in roles} | ({} if "anonymous" in roles else {"anonymous": LOGIN})


ADMIN = {"city_admin"}
UNIT_MANAGERS = {"unit_reviewer", "city_admin"}

MATRIX = [
    Route("main.index", "GET", lambda w: "/", allow(EVERYONE, 302)),
    Route("main.home", "GET", lambda w: "/home", allow(SIGNED_IN)),
    Route("main.language", "GET", lambda w: "/language/en", allow(EVERYONE, 302)),
    Route("main.health", "GET", lambda w: "/healthz", allow(EVERYONE)),
    Route("auth.login", "GET", lambda w: "/login", {"anonymous": 200}, otherwise=302),
    Route("auth.login", "POST", lambda w: "/login", {"anonymous": 200}, otherwise=302),
    Route("auth.register", "GET", lambda w: "/register", allow(EVERYONE)),
    Route("auth.register", "POST", lambda w: "/register", allow(EVERYONE)),
    Route("auth.logout", "POST", lambda w: "/logout", allow(EVERYONE, 302)),
    Route("auth.logout_everywhere", "POST", lambda w: "/account/logout-everywhere",
          allow(SIGNED_IN, 302)),
    Route("auth.account", "GET", lambda w: "/account", allow(SIGNED_IN)),
    Route("auth.change_password", "GET", lambda w: "/account/password", allow(SIGNED_IN)),
    Route("auth.change_password", "POST", lambda w: "/account/password", allow(SIGNED_IN)),
    Route("staff.index", "GET", lambda w: "/staff/",
          allow(UNIT_MANAGERS) | {"unit_reviewer": 302, "other_unit_reviewer": 302}),
    Route("staff.roster", "GET", lambda w: f"/staff/units/{w.orgs.unit.id}",
          allow(UNIT_MANAGERS)),
    Route("staff.activate", "POST", lambda w: f"/staff/users/{w.people.pending.id}/activate",
          allow(UNIT_MANAGERS, 302)),
    Route("staff.reject", "POST", lambda w: f"/staff/users/{w.people.pending.id}/reject",
          allow(UNIT_MANAGERS, 302)),
    Route("staff.reset_password", "POST",
          lambda w: f"/staff/users/{w.people.learner.id}/reset-password", allow(UNIT_MANAGERS)),
    # A unit's reviewer may not reset a colleague reviewer's password, nor their own.
    Route("staff.reset_password", "POST",
          lambda w: f"/staff/users/{w.people.unit_reviewer.id}/reset-password", allow(ADMIN),
          label="reviewer-target"),
    Route("staff.import_sheet", "GET", lambda w: f"/staff/units/{w.orgs.unit.id}/import",
          allow(UNIT_MANAGERS)),
    Route("staff.import_sheet", "POST", lambda w: f"/staff/units/{w.orgs.unit.id}/import",
          allow(UNIT_MANAGERS)),
    Route("staff.import_template", "GET", lambda w: "/staff/import-template.xlsx",
          allow(UNIT_MANAGERS | {"other_unit_reviewer"})),
    Route("staff.accounts", "GET", lambda w: "/staff/accounts", allow(ADMIN)),
    Route("staff.accounts", "POST", lambda w: "/staff/accounts", allow(ADMIN)),
    Route("staff.new_account", "GET", lambda w: "/staff/accounts/new", allow(ADMIN)),
    Route("staff.new_account", "POST", lambda w: "/staff/accounts/new", allow(ADMIN)),
    Route("staff.account", "GET", lambda w: f"/staff/accounts/{w.people.learner.id}",
          allow(ADMIN)),
    Route("staff.account", "POST", lambda w: f"/staff/accounts/{w.people.learner.id}",
          allow(ADMIN)),
    Route("staff.revoke_role", "POST",
          lambda w: f"/staff/accounts/{w.people.learner.id}/roles/"
                    f"{w.people.learner.roles[0].id}/revoke",
          allow(ADMIN, 302)),
    Route("orgs.index", "GET", lambda w: "/orgs/", allow(ADMIN)),
    Route("orgs.index", "POST", lambda w: "/orgs/", allow(ADMIN)),
]


@dataclass
class World:
    orgs: object
    people: object


def test_every_route_and_method_is_in_the_matrix(app):
    routed = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == {(route.endpoint, route.method) for route in MATRIX}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", MATRIX, ids=lambda r: r.id)
def test_access(route: Route, role: str, client, orgs, people, login_as):
    if role != "anonymous":
        login_as(getattr(people, role))
    url = route.url(World(orgs, people))
    response = client.submit(url) if route.method == "POST" else client.get(url)
    expected = route.expect.get(role, route.otherwise)
    if expected == LOGIN:
        assert response.status_code == 302 and "/login" in response.location
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]
    # Whatever the page, nobody's full ID number is in it.
    body = response.get_data().decode("utf-8", "replace")
    for person in vars(people).values():
        assert person.id_number not in body
