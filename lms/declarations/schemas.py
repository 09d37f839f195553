"""The JSON API's types for the learner's declarations and where each stands."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from lms.jsonapi import Schema


class DecisionView(Schema):
    """One reviewer's decision, as signed: who they were then, and what they decided."""

    round: int = Field(description="1, then one more each time the declaration was submitted "
                       "again after being returned or withdrawn")
    level: str = Field(description="the step decided: its organisation, or its role")
    action: str = Field(description="approve, reject or return")
    action_label: str
    reason: str | None = Field(description="given with every reject and return")
    approved_hours: str | None = Field(description="学时 this level approved (possibly "
                                       "reduced); null when it did not approve")
    reviewer_name: str
    reviewer_role: str
    reviewer_role_label: str
    reviewer_org: str | None
    decided_at: datetime
    in_place: bool = Field(description="decided in place of a step nobody could decide (by a "
                           "later level, or the city)")


class DeclarationView(Schema):
    """A declaration of the caller's own, and where it stands."""

    id: int
    type: str = Field(description="training, expert_service, self_study or achievement")
    type_label: str
    title: str
    organiser: str = Field(description="the organiser, or the body that issued the result")
    start_date: date
    end_date: date
    year: int = Field(description="the year the hours count for: the end date's")
    category: str
    category_label: str
    claimed_hours: str = Field(description="学时, in steps of 0.5")
    approved_hours: str | None = Field(description="学时 credited at final approval; null "
                                       "before")
    status: str = Field(description="draft, in_review, approved, rejected, returned or "
                        "withdrawn")
    status_label: str
    revoked: bool = Field(description="the approved hours were revoked: they no longer count")
    revoke_reason: str | None = Field(description="why they were revoked; null unless revoked")
    waiting_for: str | None = Field(description="the step whose decision it waits for, while "
                                    "in review; else null")
    decisions: list[DecisionView] = Field(description="every decision of every round, oldest "
                                          "first")
