"""``lms declarations``: the year's rules from the command line, and ``verify``, which reads
every decided declaration's files again where the page only looks at their size and time."""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa

from lms.attachments import services as attachments
from lms.audit.models import AuditEntry
from lms.declarations import rules, services
from lms.declarations.models import Declaration, DeclarationRule, DeclarationType
from lms.extensions import db
from lms.reviews.models import Action
from tests.declarations.conftest import draft, submitted

HOUR = rules.HOUR


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["declarations", *args])


def approved(people: Any, **kwargs: Any) -> Declaration:
    declaration = submitted(people.learner, **kwargs)
    for reviewer in (people.unit_reviewer, people.department_reviewer, people.district_reviewer):
        services.decide(reviewer, declaration, Action.approve, reason=None)
    db.session.flush()
    return declaration


def rule_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(DeclarationRule)) or 0


# --- rules -----------------------------------------------------------------------------------


def test_show_marks_placeholders(app, database):
    year = services.today().year
    result = run(app, "rules", "show")
    assert result.exit_code == 0, result.output
    assert f"rules for {year}" in result.output
    assert result.output.count("placeholder") == len(DeclarationType)
    assert "training (培训进修)" in result.output and "per day: 8" in result.output


def test_set_changes_what_is_given_and_keeps_the_rest(app, database):
    result = run(app, "rules", "set", "--year", "2030", "--type", "training", "--per-day", "6.5",
                 "--categories", "professional,public_elective", "--no-evidence")
    assert result.exit_code == 0, result.output
    training = rules.rules_for(2030)[DeclarationType.training]
    assert not training.placeholder
    assert training.max_seconds_per_day == int(6.5 * HOUR)
    assert training.max_seconds_per_year == 60 * HOUR  # the placeholder's, kept
    assert [c.value for c in training.categories] == ["professional", "public_elective"]
    assert training.evidence_required is False
    # Only that type was written; the others are still placeholders.
    assert rules.rules_for(2030)[DeclarationType.self_study].placeholder

    result = run(app, "rules", "set", "--year", "2030", "--type", "training",
                 "--per-year", "none", "--per-item", "10")
    assert result.exit_code == 0, result.output
    training = rules.rules_for(2030)[DeclarationType.training]
    assert training.max_seconds_per_year is None and training.max_seconds_per_item == 10 * HOUR
    assert training.max_seconds_per_day == int(6.5 * HOUR) and not training.evidence_required
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "declaration.rules")) == 2

    shown = run(app, "rules", "show", "--year", "2030").output
    assert shown.count("placeholder") == len(DeclarationType) - 1


@pytest.mark.parametrize("bad", [
    ["--per-day", "-1"], ["--per-day", "0"], ["--per-item", "2.3"], ["--per-year", "nan"],
    ["--per-year", "abc"], ["--categories", "professional,nonsense"], ["--categories", ","],
    ["--type", "lecture"],
])
def test_set_refuses_bad_values_and_writes_nothing(app, database, bad):
    args = ["rules", "set", "--year", "2030", "--type", "training", *bad]
    if "--type" in bad:
        args = ["rules", "set", "--year", "2030", *bad]
    result = run(app, *args)
    assert result.exit_code == 2, result.output
    assert rule_rows() == 0


def test_seed_writes_the_placeholders_as_the_years_rules(app, database):
    result = run(app, "rules", "seed", "--year", "2031")
    assert result.exit_code == 0, result.output
    seeded = rules.rules_for(2031)
    assert rule_rows() == len(DeclarationType)
    assert not any(rule.placeholder for rule in seeded.values())
    assert seeded[DeclarationType.training].max_seconds_per_day == 8 * HOUR


# --- verify ----------------------------------------------------------------------------------


def test_verify_passes_when_nothing_changed(app, people):
    approved(people)
    draft(people.learner, title="从未提交")  # no decision: not looked at
    submitted(people.learner, title="审核中")  # submitted, undecided: not looked at
    result = run(app, "verify")
    assert result.exit_code == 0, result.output
    assert "checked 1 decided declarations: all intact" in result.output


def test_verify_reports_a_file_edited_after_approval(app, people):
    declaration = approved(people)
    intact = approved(people, title="另一项培训", hours=4)
    path = attachments.location(declaration.evidence[0].attachment)
    with path.open("ab") as handle:
        handle.write(b"%% edited")
    result = run(app, "verify")
    assert result.exit_code == 1, result.output
    assert f"declaration {declaration.id} " in result.output and ": changed" in result.output
    assert f"declaration {intact.id} " not in result.output
    assert "checked 2 decided declarations: 1 changed since decided" in result.output


def test_verify_reports_a_missing_file(app, people):
    declaration = approved(people)
    attachments.location(declaration.evidence[0].attachment).unlink()
    result = run(app, "verify")
    assert result.exit_code == 1 and ": missing" in result.output


def test_verify_reports_a_field_changed_in_the_database(app, people):
    declaration = approved(people)
    db.session.execute(sa.text("UPDATE declarations SET title = :title WHERE id = :id"),
                       {"title": "篡改后的标题", "id": declaration.id})
    result = run(app, "verify")
    assert result.exit_code == 1, result.output
    assert f"declaration {declaration.id} 「篡改后的标题」" in result.output
    assert result.output.count("no longer matches") == 3  # each of the three approvals


def test_verify_rehashes_what_the_page_check_takes_on_trust(app, people):
    """Same size, same modification time, other bytes: ``stat`` cannot tell; hashing can."""
    declaration = approved(people)
    path = attachments.location(declaration.evidence[0].attachment)
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[-2] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert services.check(declaration).intact  # the page's check: stat only
    assert not services.check(declaration, rehash=True).intact
    result = run(app, "verify")
    assert result.exit_code == 1 and ": changed" in result.output


def test_verify_goes_in_batches(app, people, monkeypatch):
    from lms.declarations import cli

    monkeypatch.setattr(cli, "VERIFY_BATCH", 2)
    made = [approved(people, title=f"培训{i}", hours=2) for i in range(5)]
    attachments.location(made[3].evidence[0].attachment).unlink()
    result = run(app, "verify")
    assert result.exit_code == 1, result.output
    assert "checked 5 decided declarations: 1 changed" in result.output
    assert f"declaration {made[3].id} " in result.output
