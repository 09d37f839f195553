"""Questions courses ask of the packages above them, answered through registries those packages
fill when they are imported at app creation (``jobs.RECOVERERS`` is the same pattern). Courses
never import watching, records or exams: they call what is registered here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.courses.models import Course

PublishCheck = Callable[["Course"], list[str]]
PagePart = Callable[["User", "Course"], dict[str, Any]]
WatchedSeconds = Callable[["User"], dict[int, float]]

#: Reasons a submitted course may not be published yet (e.g. a public course without an exam
#: that can draw a paper); empty lists from every check let it through.
PUBLISH_CHECKS: dict[str, PublishCheck] = {}
#: What else goes on a course's page for the person looking at it (progress, credit, ...): each
#: part adds template variables.
COURSE_PAGE_PARTS: dict[str, PagePart] = {}
#: Seconds of each video the learner has verifiably watched, by video id (for "my courses").
WATCHED: dict[str, WatchedSeconds] = {}


def publish_check(check: PublishCheck) -> PublishCheck:
    PUBLISH_CHECKS[f"{check.__module__}.{check.__qualname__}"] = check
    return check


def course_page_part(part: PagePart) -> PagePart:
    COURSE_PAGE_PARTS[f"{part.__module__}.{part.__qualname__}"] = part
    return part


def watched_seconds(source: WatchedSeconds) -> WatchedSeconds:
    WATCHED[f"{source.__module__}.{source.__qualname__}"] = source
    return source


def publish_problems(course: Course) -> list[str]:
    return [problem for check in PUBLISH_CHECKS.values() for problem in check(course)]


def course_page(user: User, course: Course) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for part in COURSE_PAGE_PARTS.values():
        context.update(part(user, course))
    return context


def watched(user: User) -> dict[int, float]:
    seconds: dict[int, float] = {}
    for source in WATCHED.values():
        seconds.update(source(user))
    return seconds
