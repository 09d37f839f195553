"""What the permission matrix is made of: roles, routes and who is let in. Feature matrices
(e.g. tests/declarations/matrix.py) import these; tests/test_permissions.py runs them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = (
    "anonymous", "learner", "provider", "other_provider", "exam_admin", "unit_reviewer",
    "other_unit_reviewer",
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


def api(roles: frozenset[str] | set[str], status: int = 200) -> dict[str, int | str]:
    """API routes answer 401 to the anonymous instead of sending them to the login page."""
    return {role: status for role in roles} | ({} if "anonymous" in roles else {"anonymous": 401})


ADMIN = {"city_admin"}
UNIT_MANAGERS = {"unit_reviewer", "city_admin"}
PROVIDER = {"provider"}  # the course's own provider: other_provider must be refused
PROVIDERS = {"provider", "other_provider"}
COURSE_MANAGERS = {"provider", "city_admin"}
BANK_KEEPERS = {"exam_admin", "provider", "other_provider"}
BANK_MANAGERS = {"exam_admin", "provider"}  # of the provider's own bank
