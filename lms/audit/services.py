"""Writing the audit record, the registry of privileged services, and reading the record back.

A privileged service calls :func:`record` once, after its checks and its change and before its
caller commits: the entry is part of the action's transaction, kept with it or rolled back
with it. Services add themselves to :data:`PRIVILEGED` with :func:`privileged`, so that a test
can hold each of them to writing exactly one entry.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy.orm import selectinload

from lms import clock
from lms.audit.models import ACTIONS, AuditEntry
from lms.auth.models import ROLE_LABELS, Role, User
from lms.extensions import db
from lms.orgs import services as orgs
from lms.orgs.models import Organisation
from lms.pagination import Page, paginate

logger = logging.getLogger(__name__)
PAGE_SIZE = 50
#: Dates in searches are the city's.
CITY_TIME = ZoneInfo("Asia/Shanghai")
#: Anything shaped like a resident ID number, inside any text the record keeps.
ID_NUMBER = re.compile(r"(?<![0-9])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")

F = TypeVar("F", bound=Callable[..., Any])

#: Privileged services by action code: what the test of the record walks through.
PRIVILEGED: dict[str, Callable[..., Any]] = {}

#: A capacity a service accepts: an unscoped role, or a role scoped to an organisation.
Capacity = Role | tuple[Role, Organisation | None]


def privileged(*actions: str) -> Callable[[F], F]:
    """Register a service under the action codes it records (one for each outcome it has,
    e.g. a question created or edited)."""
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise ValueError(f"add {unknown or 'an action'} to lms.audit.models.ACTIONS first")

    def register(function: F) -> F:
        for action in actions:
            if PRIVILEGED.setdefault(action, function) is not function:
                raise ValueError(f"{action} is already recorded by {PRIVILEGED[action]}")
        return function

    return register


def record(
    actor: User | None,
    action: str,
    obj: Any = None,
    *,
    acting_as: Iterable[Capacity] = (),
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry for ``action`` done by ``actor`` (None: the command line or the system) to
    ``obj`` (a model instance with an ``id``). The role recorded is the first of ``acting_as``
    the actor holds: list the capacities as the service's permission rule names them. Flushed,
    never committed."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    role, org = _capacity(actor, acting_as)
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else None,
        actor_role=role.value if role else None,
        actor_role_label=chinese(ROLE_LABELS[role]) if role else None,
        actor_org_id=org.id if org else None,
        actor_org_name=org.name if org else None,
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=obj.id if obj is not None else None,
        object_label=_masked(label_of(obj))[:200] if obj is not None else None,
        reason=_masked(reason.strip()) if reason and reason.strip() else None,
        details=_masked_details(details) if details else None,
        client_address=client_address(),
    )
    db.session.add(entry)
    db.session.flush()
    logger.info("audit %s: %s by %s on %s %s", entry.id, action, entry.actor_id,
                entry.object_type, entry.object_id)
    return entry


def _capacity(actor: User | None,
              acting_as: Iterable[Capacity]) -> tuple[Role | None, Organisation | None]:
    if actor is None:
        return None, None
    for capacity in acting_as:
        role, org = capacity if isinstance(capacity, tuple) else (capacity, None)
        if role.scope_kind is not None and org is None:
            continue  # a scoped role in no organisation: nobody holds it
        if actor.has_role(role, org):
            return role, org if org is not None else actor.unit
    return None, actor.unit


def chinese(label: object) -> str:
    """A label as the pages' source language says it, whoever's language the request is in:
    the record keeps one wording."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return str(label)


def label_of(obj: Any) -> str:
    """What an object is called: a person's name and masked ID number, a course's title, a
    bank's or an organisation's name, the start of a question."""
    if isinstance(obj, User):
        return f"{obj.name}（{obj.masked_id_number}）"
    for attribute in ("title", "name", "stem"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str):
            return value if len(value) <= 60 else value[:59] + "…"
    return f"#{obj.id}"


def _masked(text: str) -> str:
    return ID_NUMBER.sub(lambda m: m[1] + "*" * 10 + m[2].upper(), text)


def _masked_details(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _masked_details(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked_details(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _masked(str(value))  # lazy strings, decimals, enums: as text


def client_address() -> str:
    """Who sent the request (ProxyFix has already put the client's address here when the app
    is behind a proxy), or where the action came from without one."""
    if has_request_context():
        return (request.remote_addr or "unknown")[:45]
    return "cli" if click.get_current_context(silent=True) is not None else "system"


# --- organisations: below this package, so they announce and the record listens -------------


@orgs.organisation_created.connect
def _organisation_created(org: Organisation, **_: Any) -> None:
    """An organisation was added. Its service knows no users (it sits below them), so the
    actor is whoever is logged in to the request: a city admin on the page; nobody on the
    command line."""
    actor = current_user if has_request_context() and current_user.is_authenticated else None
    record(actor._get_current_object() if actor else None, "org.create", org,
           acting_as=[Role.city_admin], details={"kind": org.kind.value})


privileged("org.create")(orgs.create_organisation)


# --- reading the record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    #: A name (contained in the actor's name as recorded) or a masked ID number (3710…1089).
    who: str = ""
    actor_id: int | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None
    object_type: str | None = None
    object_id: int | None = None
    page: int = 1


MASKED_ID = re.compile(r"([0-9]{4})[*＊.…]+([0-9]{3}[0-9X])", re.ASCII)


def search(query: Search) -> Page[AuditEntry]:
    """Entries matching ``query``, newest first, a page at a time."""
    select = sa.select(AuditEntry).options(selectinload(AuditEntry.actor))
    who = query.who.strip().upper()
    if masked := MASKED_ID.fullmatch(who):
        people = sa.select(User.id).where(User.id_number.like(f"{masked[1]}%{masked[2]}"))
        select = select.where(AuditEntry.actor_id.in_(people))
    elif who:
        select = select.where(AuditEntry.actor_name.contains(query.who.strip(), autoescape=True))
    if query.actor_id:
        select = select.where(AuditEntry.actor_id == query.actor_id)
    if query.action:
        select = select.where(AuditEntry.action == query.action)
    if query.start:
        select = select.where(AuditEntry.at >= city_midnight(query.start))
    if query.end:
        select = select.where(AuditEntry.at < city_midnight(query.end + timedelta(days=1)))
    if query.object_type:
        select = select.where(AuditEntry.object_type == query.object_type)
    if query.object_id:
        select = select.where(AuditEntry.object_id == query.object_id)
    return paginate(select.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), query.page,
                    PAGE_SIZE)


def city_midnight(day: date) -> datetime:
    """The moment ``day`` begins in the city."""
    return datetime.combine(day, time(), CITY_TIME)


def history(obj: Any, actions: Sequence[str]) -> list[AuditEntry]:
    """What was done to ``obj`` by these actions, oldest first."""
    return list(db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == obj.__tablename__, AuditEntry.object_id == obj.id,
               AuditEntry.action.in_(actions))
        .order_by(AuditEntry.at, AuditEntry.id)
    ))
