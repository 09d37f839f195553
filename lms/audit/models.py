"""The audit record's one table, append-only in the database itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.db import Base, UTCDateTime

#: Every action code the record knows, with what the admin's page calls it. Codes are stable:
#: entries keep them for ever, so a code is never renamed or reused (docs/audit.md).
ACTIONS = {
    "registration.activate": _l("激活注册"),
    "registration.reject": _l("驳回注册"),
    "account.open": _l("开设账号"),
    "account.release": _l("释放身份证号"),
    "staff.import": _l("导入人员"),
    "staff.reset_password": _l("重置密码"),
    "staff.export_year": _l("导出人员学时（含完整身份证号）"),
    "role.grant": _l("授予角色"),
    "role.revoke": _l("撤销角色"),
    "org.create": _l("新增机构"),
    "course.submit": _l("提交课程审核"),
    "course.return": _l("退回课程"),
    "course.publish": _l("发布课程"),
    "course.archive": _l("归档课程"),
    "bank.create": _l("新建题库"),
    "question.create": _l("新增试题"),
    "question.edit": _l("修改试题"),
    "question.retire": _l("停用试题"),
    "question.restore": _l("恢复试题"),
    "questions.import": _l("导入试题"),
    "exam.settings": _l("保存考试设置"),
    "review.approve": _l("审核通过"),
    "review.reject": _l("审核不通过"),
    "review.return": _l("退回修改"),
    "record.revoke": _l("撤销学时"),
    "declaration.rules": _l("设定申报规则"),
    "rectification.order": _l("责令整改"),
    "rectification.report": _l("上传整改报告"),
    "rectification.lift": _l("解除整改"),
}

#: What an entry may be about: the object's table, and what the page calls it.
OBJECT_TYPES = {
    "users": _l("账号"),
    "organisations": _l("机构"),
    "courses": _l("课程"),
    "question_banks": _l("题库"),
    "questions": _l("试题"),
    "declarations": _l("学时申报"),
    "learning_records": _l("学时记录"),
    "rectification_orders": _l("整改通知"),
}


class AuditEntry(Base):
    """One privileged action, written in the transaction of the action itself. The actor is
    copied as they were at that moment, so a later rename or change of role rewrites nothing."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_at", "at"),
        sa.Index("ix_audit_entries_actor_id_at", "actor_id", "at"),
        sa.Index("ix_audit_entries_action_at", "action", "at"),
        sa.Index("ix_audit_entries_object", "object_type", "object_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The server's clock (UTC) when the action was done.
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: None: done from the command line or by the system itself.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str | None] = mapped_column(sa.String(50))
    #: The role the actor acted in (a ``Role`` value), and its Chinese label at the time.
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    actor_role_label: Mapped[str | None] = mapped_column(sa.String(40))
    #: The organisation the role is scoped to (else the actor's unit), not a foreign key: the
    #: entry outlives whatever happens to the organisation.
    actor_org_id: Mapped[int | None]
    actor_org_name: Mapped[str | None] = mapped_column(sa.String(100))
    #: A stable dotted code, one of ``ACTIONS``.
    action: Mapped[str] = mapped_column(sa.String(40))
    #: The object's table (one of ``OBJECT_TYPES``) and id, and what it was called then; an ID
    #: number in the label is masked.
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    object_label: Mapped[str | None] = mapped_column(sa.String(200))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Small and optional: what changed, how many were imported.
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: The client's address (behind the configured proxies), or "cli" / "system".
    client_address: Mapped[str] = mapped_column(sa.String(45))

    actor: Mapped[User | None] = relationship()

    @property
    def action_label(self) -> str:
        return str(ACTIONS.get(self.action, self.action))

    @property
    def object_type_label(self) -> str:
        return str(OBJECT_TYPES.get(self.object_type or "", self.object_type or ""))


# --- append-only: the database refuses UPDATE, DELETE and TRUNCATE --------------------------
# Run by ``after_create`` below, so a schema built from the models (not the migrations) gets the
# guard too. Migration 0008 keeps its own copy as it made it: a migration never changes later.

REFUSAL = "audit_entries is append-only"

APPEND_ONLY = {
    "sqlite": [
        f"""CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
        f"""CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
        # INSERT OR REPLACE deletes the old row without firing delete triggers: refuse an
        # insert whose id is taken, before SQLite's conflict handling sees it.
        f"""CREATE TRIGGER audit_entries_no_replace BEFORE INSERT ON audit_entries
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_entries WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""",
    ],
    "postgresql": [
        f"""CREATE FUNCTION audit_entries_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{REFUSAL}', DETAIL = TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$$""",
        # Per statement, so even an UPDATE or DELETE that matches no row is refused.
        """CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse()""",
        """CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse()""",
    ],
}

DROP_APPEND_ONLY = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_entries_no_update",
        "DROP TRIGGER IF EXISTS audit_entries_no_delete",
        "DROP TRIGGER IF EXISTS audit_entries_no_replace",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
        "DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries",
        "DROP FUNCTION IF EXISTS audit_entries_refuse()",
    ],
}

for _dialect, _statements in APPEND_ONLY.items():
    for _statement in _statements:
        sa.event.listen(
            AuditEntry.__table__, "after_create",
            sa.DDL(_statement).execute_if(dialect=_dialect),
        )
